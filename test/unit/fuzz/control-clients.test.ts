/**
 * Fuzz: hostile clients, as sequences. fast-check draws what up to a dozen clients do to one live
 * ControlServer with small limits (8 connections, 512 KiB of answers waiting in all): connect and idle,
 * pipeline requests without reading, send random bytes, a line over the limit, hang up mid-line, follow a
 * stream and stop reading, hang up. After every sequence: a new client's status is answered within 2 s,
 * no more than 8 connections are open, and the answers waiting stay within the cap (plus what one
 * connection may add before it is closed). Seeded (FUZZ_SEED to vary).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, REPLY_HIGH_WATER, STREAM_DROP_BYTES, type CommandEntry } from '../../../src/control/connection.js';
import { ConnectionPool, Reclaimer } from '../../../src/control/pool.js';
import type { Hello } from '../../../src/control/protocol.js';
import { ControlServer } from '../../../src/control/server.js';
import { RawClient } from '../../reliability/support/socket-client.js';

const hello: Hello = { hello: 'procinit', v: 1, version: 'fuzz', pid: 1 };
const ANSWER = 'a'.repeat(2000);
const MAX = 8;
const CAP = 512 * 1024;

type Action =
  | { kind: 'idle' }
  | { kind: 'pipeline'; n: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'huge' }
  | { kind: 'halfLine' }
  | { kind: 'followStall' }
  | { kind: 'hangUp'; which: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ kind: 'idle' } as const),
  fc.integer({ min: 1, max: 3000 }).map((n) => ({ kind: 'pipeline', n }) as const),
  fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((bytes) => ({ kind: 'garbage', bytes }) as const),
  fc.constant({ kind: 'huge' } as const),
  fc.constant({ kind: 'halfLine' } as const),
  fc.constant({ kind: 'followStall' } as const),
  fc.nat().map((which) => ({ kind: 'hangUp', which }) as const),
);

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 160816;

describe('fuzz: hostile clients against the connection limits', () => {
  let dir: string;
  let pool: ConnectionPool;
  let server: ControlServer;
  let events = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procinit-fuzz-clients-'));
    pool = new ConnectionPool(MAX, CAP, new Reclaimer(50, () => {}));
    const commands = new Map<string, CommandEntry>([
      ['status', { handler: async () => ({ a: ANSWER }) }],
      [
        'logs',
        {
          handler: async (_args, ctx) => {
            const s = ctx.beginStream(null);
            const t = setInterval(() => {
              events++;
              if (!s.event({ line: ANSWER })) clearInterval(t);
            }, 1);
            s.onEnd(() => clearInterval(t));
          },
        },
      ],
    ]);
    server = await ControlServer.listen({ path: join(dir, 'sock'), hello, commands, onInternalError: () => {}, pool });
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function play(actions: Action[]): Promise<void> {
    const path = join(dir, 'sock');
    const socks: Socket[] = [];
    const open = (): Socket => {
      const s = connect(path);
      s.on('error', () => {});
      socks.push(s);
      return s;
    };
    for (const a of actions) {
      switch (a.kind) {
        case 'idle':
          open();
          break;
        case 'pipeline': {
          const s = open();
          s.pause();
          s.write('{"v":1,"id":1,"cmd":"status"}\n'.repeat(a.n));
          break;
        }
        case 'garbage':
          open().write(a.bytes);
          break;
        case 'huge':
          open().write(Buffer.alloc(1024 * 1024 + 10, 'x'));
          break;
        case 'halfLine': {
          const s = open();
          s.write('{"v":1,"id":1,"cmd":"sta', () => s.destroy());
          break;
        }
        case 'followStall': {
          const s = open();
          s.write('{"v":1,"id":1,"cmd":"logs"}\n');
          s.pause();
          break;
        }
        case 'hangUp':
          if (socks.length > 0) socks[a.which % socks.length].destroy();
          break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 100));
    // the invariants, with every hostile client still there
    const t = Date.now();
    const c = await RawClient.open(path);
    const first = await c.waitFor(() => true, 5000);
    const served = first.hello === 'procinit' ? (await c.request(9, 'status', {}, 5000)).ok === true : first.error?.code === 'busy';
    c.destroy();
    expect(served, JSON.stringify(first)).toBe(true);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(server.connectionCount).toBeLessThanOrEqual(MAX);
    const oneConnection = Math.max(REPLY_HIGH_WATER + (MAX_IN_FLIGHT + 1) * (ANSWER.length + 40), STREAM_DROP_BYTES + 4096);
    expect(pool.buffered).toBeLessThanOrEqual(CAP + oneConnection);
    for (const s of socks) s.destroy();
    await new Promise((r) => setTimeout(r, 30));
  }

  it('every sequence leaves the server answering a new status, within its connection and memory bounds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), (actions) => play(actions)),
      { numRuns: 40, seed },
    );
    console.log(`[fuzz] hostile client sequences: 40 runs, seed ${seed}, ${events} stream events sent`);
  }, 120_000);
});
