/**
 * Control-socket soak (test/integration/control-abuse.test.ts checks each abuse once; this repeats them for
 * rounds while a program floods output, and watches procinit's file descriptors and memory across rounds):
 * each round opens 200 concurrent clients that ask `status`, half of which then follow `logs -f` and hang up
 * mid-stream, plus 20 that hang up in the middle of a request line. 5 rounds (100 with PROCINIT_LONG=1).
 * Then followers that stop reading: dropped with `too_slow`, memory bounded, the others unaffected.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, until } from '../helpers/procinit.js';
import { startFlood, type FloodRun } from './support/flood.js';
import { fdCount, mb, pause, report, rssKb, scaled } from './support/measure.js';
import { RawClient } from './support/socket-client.js';

const ROUNDS = scaled(5, 100);
const CLIENTS = 200;

/** ~1 MB/s of output: 50 lines of ~100 bytes every 5 ms. */
const CHATTY_JS = `
const line = (i) => 'chatty ' + i + ' ' + 'x'.repeat(90) + '\\n';
let i = 0;
setInterval(() => { let s = ''; for (let k = 0; k < 50; k++) s += line(i++); process.stdout.write(s); }, 5);
`;

let dir: string;
let sock: string;
let run: FloodRun;
let pid: number;

beforeAll(async () => {
  dir = tempDir();
  sock = join(dir, 'sock');
  writeFileSync(join(dir, 'chatty.js'), CHATTY_JS);
  writeFileSync(join(dir, 'Procfile'), `chatty: exec ${process.execPath} chatty.js\nweb: exec sleep 600\n`);
  run = startFlood(dir, ['--socket', sock], ['chatty.1', 'web.1']);
  pid = run.child.pid!;
  await until(() => run.checker.count('chatty.1') > 1000, 30_000, 'chatty output');
});

afterAll(async () => {
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
});

async function healthy(): Promise<void> {
  const c = await RawClient.open(sock);
  const st = await c.request(1, 'status');
  c.destroy();
  expect((st.result as { processes: Array<{ name: string; state: string }> }).processes.map((p) => `${p.name}:${p.state}`)).toEqual([
    'chatty.1:RUNNING',
    'web.1:RUNNING',
  ]);
}

/** One round: 200 clients at once, status each; odd ones then follow logs and hang up after an event. */
async function round(): Promise<{ ms: number; maxLatencyMs: number }> {
  const t0 = Date.now();
  let maxLatencyMs = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const c = await RawClient.open(sock, 30_000);
      const t = Date.now();
      const st = await c.request(1, 'status', { names: [i % 2 ? 'chatty' : 'web'] }, 30_000);
      maxLatencyMs = Math.max(maxLatencyMs, Date.now() - t);
      expect(st.ok).toBe(true);
      if (i % 2 === 1) {
        c.send({ v: 1, id: 2, cmd: 'logs', args: { follow: true, lines: 5, names: ['chatty'] } });
        await c.waitEvents(1, 30_000);
        c.destroy(); // hang up mid-stream
      } else {
        c.socket.end();
        await c.closed;
      }
    }),
  );
  // hang-ups in the middle of a request line
  for (let i = 0; i < 20; i++) {
    const c = await RawClient.open(sock);
    c.socket.write('{"v":1,"id":1,"cmd":"sta');
    c.destroy();
  }
  return { ms: Date.now() - t0, maxLatencyMs };
}

describe('control socket soak', () => {
  it(`${ROUNDS} rounds of ${CLIENTS} concurrent clients, half hanging up mid-stream: fds and memory flat`, async () => {
    await healthy();
    const fdsBase = fdCount(pid)!;
    const first = await round();
    await until(() => fdCount(pid)! <= fdsBase + 1, 20_000, 'connections closed');
    const rssAfterFirst = rssKb(pid)!;
    const linesBefore = run.checker.count('chatty.1');
    let slowest = first.ms;
    let maxLatencyMs = first.maxLatencyMs;
    let peakFds = 0;
    let peakRss = 0;
    const rssRounds: number[] = [mb(rssAfterFirst)];
    for (let r = 1; r < ROUNDS; r++) {
      const res = await round();
      slowest = Math.max(slowest, res.ms);
      maxLatencyMs = Math.max(maxLatencyMs, res.maxLatencyMs);
      peakFds = Math.max(peakFds, fdCount(pid)!);
      peakRss = Math.max(peakRss, rssKb(pid)!);
      rssRounds.push(mb(rssKb(pid)));
    }
    await until(() => fdCount(pid)! <= fdsBase + 1, 20_000, 'connections closed');
    const fdsEnd = fdCount(pid)!;
    const rssEnd = rssKb(pid)!;
    await healthy();
    // output kept flowing to stdout all along
    expect(run.checker.count('chatty.1')).toBeGreaterThan(linesBefore);
    expect(fdsEnd).toBeLessThanOrEqual(fdsBase + 1);
    // RSS rises while V8 sizes its heap (the first ~10 rounds) and then saw-tooths with garbage collection;
    // a leak of even 4 KB per connection would add 88 MB over the long run's 22,000 connections
    expect(mb(rssEnd - rssAfterFirst)).toBeLessThan(96);
    if (ROUNDS >= 20) expect(mb(rssEnd) - rssRounds[Math.floor(ROUNDS / 2)]).toBeLessThan(24);
    report('control-soak', {
      rounds: ROUNDS,
      clientsPerRound: CLIENTS,
      connections: ROUNDS * (CLIENTS + 20),
      slowestRoundMs: slowest,
      maxStatusLatencyMs: maxLatencyMs,
      fdsBase,
      fdsPeak: peakFds,
      fdsEnd,
      rssAfterFirstRoundMb: mb(rssAfterFirst),
      rssPeakMb: mb(peakRss),
      rssEndMb: mb(rssEnd),
      rssEvery10RoundsMb: rssRounds.filter((_, i) => i % 10 === 0).join('/'),
    });
  }, scaled(180_000, 1_200_000));

  it('followers that stop reading are dropped (too_slow) with bounded memory; the others go on', async () => {
    const rssBefore = rssKb(pid)!;
    const stalled = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const c = await RawClient.open(sock);
        c.send({ v: 1, id: 7, cmd: 'logs', args: { follow: true, lines: 0 } });
        await c.waitFor((m) => m.id === 7 && m.ok === true);
        c.socket.pause(); // stop reading
        return c;
      }),
    );
    const t0 = Date.now();
    let peak = 0;
    // a reader that goes on reading meanwhile keeps receiving
    const reader = await RawClient.open(sock);
    reader.send({ v: 1, id: 8, cmd: 'logs', args: { follow: true, lines: 0 } });
    // the drop happens once 4 MiB wait for a stalled client: about 4 s of this program's output
    await until(() => {
      peak = Math.max(peak, rssKb(pid)!);
      return Date.now() - t0 > 8_000;
    }, 20_000, '8 s');
    for (const c of stalled) c.socket.resume();
    const ends = await Promise.all(stalled.map((c) => c.waitFor((m) => m.id === 7 && m.end === true, 30_000)));
    for (const e of ends) expect(e.error?.code).toBe('too_slow');
    const readerEvents = reader.events;
    expect(readerEvents).toBeGreaterThan(1000);
    expect(reader.messages.some((m) => m.end)).toBe(false);
    for (const c of [...stalled, reader]) c.destroy();
    await healthy();
    // what proves the bound is the drop (too_slow, above); memory only has to stay within a few times the
    // 3 x 8 MiB a stalled connection may hold (MAX_WRITE_BACKLOG), garbage collection included
    expect(mb(peak - rssBefore)).toBeLessThan(96);
    report('control-stalled-followers', { stalled: 3, droppedWith: 'too_slow', rssBeforeMb: mb(rssBefore), rssPeakMb: mb(peak), readerEvents });
  }, 60_000);
});
