/**
 * Limits shared by all connections (issue 16 item 8), on real sockets: a new connection at the limit
 * closes the idle one first (so a status is always answered), a connection that pipelines without reading
 * costs a bounded backlog, the total backlog is capped, and memory is given back after a burst.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, REPLY_HIGH_WATER, type CommandEntry } from '../../../src/control/connection.js';
import { ConnectionPool, Reclaimer } from '../../../src/control/pool.js';
import type { Hello } from '../../../src/control/protocol.js';
import { ControlServer } from '../../../src/control/server.js';
import { RawClient } from '../../reliability/support/socket-client.js';

const hello: Hello = { hello: 'procinit', v: 1, version: 'test', pid: 4242 };
/** An answer of about 4 KiB, like a status of a few dozen processes. */
const BIG = 'x'.repeat(4000);

function commands(): Map<string, CommandEntry> {
  return new Map<string, CommandEntry>([
    ['status', { handler: async () => ({ big: BIG }) }],
    [
      'follow',
      {
        handler: async (_args, ctx) => {
          ctx.beginStream(null);
        },
      },
    ],
  ]);
}

let dir: string;
let server: ControlServer | null = null;
const clients: RawClient[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procinit-pool-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(pool: ConnectionPool): Promise<string> {
  const path = join(dir, 'ctl.sock');
  server = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {}, pool });
  return path;
}

async function open(path: string): Promise<RawClient> {
  const c = await RawClient.open(path);
  clients.push(c);
  await c.waitFor((m) => m.hello === 'procinit' || m.error !== undefined);
  return c;
}

describe('the connection limit', () => {
  it('at the limit, a new connection closes the one idle longest and is answered', async () => {
    const path = await start(new ConnectionPool(4));
    const idle = [];
    for (let i = 0; i < 4; i++) idle.push(await open(path));
    expect((await idle[3].request(1, 'status')).ok).toBe(true); // the newest was active last
    const fresh = await open(path);
    expect((await fresh.request(1, 'status')).ok).toBe(true);
    await idle[0].closed; // the oldest idle one made room
    expect(idle[3].socket.destroyed).toBe(false);
    expect(server!.connectionCount).toBe(4);
  });

  it('when every connection is busy (streams), the newcomer is told busy in one line instead of hanging', async () => {
    const path = await start(new ConnectionPool(3));
    for (let i = 0; i < 3; i++) {
      const c = await open(path);
      c.send({ v: 1, id: 1, cmd: 'follow' });
      await c.waitFor((m) => m.id === 1 && m.ok === true);
    }
    const late = await open(path);
    const msg = late.messages[0];
    expect(msg).toEqual({ id: null, error: { code: 'busy', message: '3 connections are busy (at most 3): try again' } });
    await late.closed;
  });
});

describe('answers waiting for clients that do not read', () => {
  it('a client pipelining 5,000 requests without reading costs at most the high-water mark plus the requests in flight', async () => {
    const pool = new ConnectionPool();
    const path = await start(pool);
    const c = await open(path);
    c.socket.pause(); // never reads
    c.socket.write(Buffer.from('{"v":1,"id":1,"cmd":"status"}\n'.repeat(5000)));
    await new Promise((r) => setTimeout(r, 500));
    const answer = JSON.stringify({ id: 1, ok: true, result: { big: BIG } }).length + 1;
    expect(pool.buffered).toBeGreaterThan(0);
    expect(pool.buffered).toBeLessThanOrEqual(REPLY_HIGH_WATER + (MAX_IN_FLIGHT + 1) * answer);
    // and another client is answered at once
    const other = await open(path);
    const t = Date.now();
    expect((await other.request(2, 'status')).ok).toBe(true);
    expect(Date.now() - t).toBeLessThan(1000);
    // the reader comes back: every request is answered
    c.socket.resume();
    const oks = (): number => c.messages.filter((m) => m.ok === true).length;
    const until = Date.now() + 30_000;
    while (oks() < 5000 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(oks()).toBe(5000);
  });

  it('over the total cap, the connection that adds to the backlog is closed; the others and new clients go on', async () => {
    const pool = new ConnectionPool(1024, 256 * 1024);
    const path = await start(pool);
    const hogs: RawClient[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await open(path);
      c.socket.pause();
      c.socket.write(Buffer.from('{"v":1,"id":1,"cmd":"status"}\n'.repeat(2000)));
      hogs.push(c);
    }
    await new Promise((r) => setTimeout(r, 500));
    const perConnection = REPLY_HIGH_WATER + (MAX_IN_FLIGHT + 1) * 5000;
    expect(pool.buffered).toBeLessThanOrEqual(256 * 1024 + perConnection);
    expect(server!.connectionCount).toBeLessThan(10); // some hogs were closed (10 x ~200 KiB > 256 KiB)
    expect(server!.connectionCount).toBeGreaterThan(0);
    const other = await open(path);
    expect((await other.request(2, 'status')).ok).toBe(true);
  });
});

describe('giving memory back', () => {
  it('trims once, a quiet while after the last activity of a burst', async () => {
    let trims = 0;
    const r = new Reclaimer(100, () => trims++);
    r.soon();
    await new Promise((res) => setTimeout(res, 50));
    r.soon(); // still busy: postponed
    await new Promise((res) => setTimeout(res, 70));
    expect(trims).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(trims).toBe(1);
    expect(r.count).toBe(1);
  });

  it('a burst of connections ends in one trim', async () => {
    let trims = 0;
    const pool = new ConnectionPool(1024, 64 << 20, new Reclaimer(100, () => trims++));
    const path = await start(pool);
    const many = await Promise.all(Array.from({ length: 140 }, () => open(path)));
    for (const c of many) c.destroy();
    await Promise.all(many.map((c) => c.closed));
    await new Promise((res) => setTimeout(res, 400));
    expect(trims).toBe(1);
  });
});

describe('the turn budget (requests read per turn of the event loop, over all connections)', () => {
  it('hands out at most its tokens a turn, FIFO, a new connection first', async () => {
    const { TurnBudget } = await import('../../../src/control/pool.js');
    const budget = new TurnBudget(2);
    const resumed: string[] = [];
    // a resumed connection reads one request: one token
    const taker = (name: string) => {
      const t = { closed: false, pending: 0, resumeTurn: () => (resumed.push(name), budget.take(t)) };
      return t;
    };
    const [a, b, c, fresh] = [taker('a'), taker('b'), taker('c'), taker('fresh')];
    expect([budget.take(a), budget.take(a), budget.take(b), budget.take(c), budget.take(fresh, true)]).toEqual([true, true, false, false, false]);
    expect(budget.waiting).toBe(3);
    await new Promise((r) => setImmediate(r));
    expect(resumed).toEqual(['fresh', 'b']); // two tokens: the new connection first, then the oldest waiting
    await new Promise((r) => setImmediate(r));
    expect(resumed).toEqual(['fresh', 'b', 'c']);
  });

  it('new connections first, the one with the fewest bytes waiting first; an old one waits while a new one does', async () => {
    const { TurnBudget } = await import('../../../src/control/pool.js');
    const budget = new TurnBudget(2);
    const resumed: string[] = [];
    const taker = (name: string, pending: number, fresh: boolean) => {
      const t = { closed: false, pending, resumeTurn: () => (resumed.push(name), budget.take(t, fresh)) };
      return t;
    };
    const old = taker('old', 10, false);
    const [storm1, storm2, lone] = [taker('storm1', 65536, true), taker('storm2', 65536, true), taker('lone', 31, true)];
    expect([budget.take(old), budget.take(old)]).toEqual([true, true]); // the turn's two tokens
    // the storm's connections and then a lone client's status queue in this turn; an old one waits behind them
    expect([budget.take(storm1, true), budget.take(lone, true), budget.take(storm2, true)]).toEqual([false, false, false]);
    expect(budget.take(old)).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(resumed).toEqual(['lone', 'storm2']); // fewest bytes first, then the newest
    await new Promise((r) => setImmediate(r));
    expect(resumed).toEqual(['lone', 'storm2', 'storm1', 'old']);
  });

  it('every connection waiting in the kernel\'s queue is taken at once and set up 32 a turn, newest first, not one a turn', async () => {
    const path = join(dir, 'ctl.sock');
    server = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {}, pool: new ConnectionPool(), deferAccept: true });
    const waiting = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(path)));
    clients.push(...waiting); // connected: they wait in the backlog until serve()
    server.serve();
    let turns = 0;
    while (server.connectionCount < 100 && turns < 1000) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    expect(server.connectionCount).toBe(100);
    // libuv alone takes one connection per turn (100 turns); the queue is drained at the first, 32 set up a turn
    expect(turns).toBeLessThanOrEqual(6);
    await Promise.all(waiting.map((c) => c.waitFor((m) => m.hello === 'procinit')));
  });

  it('connections pipelining thousands of requests without reading: a new client is answered within a turn or two', async () => {
    const { TURN_BUDGET } = await import('../../../src/control/pool.js');
    let calls = 0;
    const path = join(dir, 'ctl.sock');
    server = await ControlServer.listen({
      path, hello, onInternalError: () => {}, pool: new ConnectionPool(),
      commands: new Map<string, CommandEntry>([['status', { handler: async () => (calls++, { small: true }) }]]),
    });
    // the most requests read in one turn of the event loop
    let maxPerTurn = 0;
    let last = 0;
    let watching = true;
    const tick = (): void => {
      maxPerTurn = Math.max(maxPerTurn, calls - last);
      last = calls;
      if (watching) setImmediate(tick);
    };
    setImmediate(tick);
    const line = '{"v":1,"id":1,"cmd":"status"}\n'.repeat(2000);
    for (let i = 0; i < 40; i++) {
      const h = await open(path);
      h.socket.pause(); // never reads its answers
      h.socket.write(line);
    }
    await until(() => calls > 2000, 'the storm under way');
    const c = await open(path);
    const before = calls;
    const st = await c.request(7, 'status');
    const others = calls - before - 1;
    watching = false;
    expect(st.ok).toBe(true);
    // before: 32 requests of each of the 40 connections a turn (1,280) ahead of it; now a new connection goes first
    expect(others).toBeLessThanOrEqual(3 * TURN_BUDGET);
    expect(maxPerTurn).toBeLessThanOrEqual(TURN_BUDGET + 45); // the budget, plus a first line per arriving connection
  });
});

async function until(test: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
