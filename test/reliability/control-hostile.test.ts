/**
 * Hostile control clients against a real procinit (issue 16 items 8 and 11):
 * - 100 `logs -f` followers that stop reading during a flood: the container's stdout keeps its pace,
 *   memory stays bounded, `status` is answered at once (they used to freeze stdout: 0.1 MB/s, +400 MB);
 * - 200 connections pipelining `status` without reading: `status` still answered at once, and RSS back
 *   within 20 % of its value before the burst soon after (it used to stay at +850 MB for good);
 * - more idle connections than the limit: a new `status` is answered (the idle ones make room).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { procinitArgv, tempDir, testEnv, until } from '../helpers/procinit.js';
import { mb, pause, report, rssKb } from './support/measure.js';
import { RawClient } from './support/socket-client.js';

let child: ChildProcess | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = null;
});

/** procinit on this Procfile; its stdout counted (and thrown away) as fast as it comes. */
async function start(procfile: string): Promise<{ sock: string; pid: number; bytes: () => number }> {
  const dir = tempDir();
  const sock = join(dir, 'ctl.sock');
  writeFileSync(join(dir, 'Procfile'), procfile);
  const [node, script] = procinitArgv();
  child = spawn(node, [script, '--socket', sock], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout!.on('data', (d: Buffer) => (bytes += d.length));
  await until(() => bytes > 0, 20_000, 'first output');
  return { sock, pid: child.pid!, bytes: () => bytes };
}

/**
 * A status round trip on a fresh connection every 100 ms for `ms`, from a process of its own (this one is
 * busy reading procinit's stdout): the slowest, in ms.
 */
const PROBE_JS = `
const net = require('net');
const [sock, ms] = [process.argv[1], Number(process.argv[2])];
let max = 0; const end = Date.now() + ms;
function one() {
  if (Date.now() > end) { process.stdout.write(String(Math.round(max))); return; }
  const t = process.hrtime.bigint(); const c = net.connect(sock); let buf = '';
  c.setEncoding('utf8');
  c.on('connect', () => c.write('{"v":1,"id":1,"cmd":"status"}\\n'));
  c.on('data', (d) => { buf += d; if (buf.includes('"ok":true')) { max = Math.max(max, Number(process.hrtime.bigint() - t) / 1e6); c.destroy(); setTimeout(one, 100); } });
  c.on('error', () => { max = Infinity; setTimeout(one, 100); });
}
one();
`;

function probe(sock: string, ms: number): Promise<number> {
  const p = spawn(process.execPath, ['-e', PROBE_JS, sock, String(ms)], { env: testEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((r) => p.on('close', () => r(Number(out))));
}

/** 200 connections pipelining status without ever reading, from a process of their own. */
const HOG_JS = `
const net = require('net');
const [sock, n] = [process.argv[1], Number(process.argv[2])];
const requests = Buffer.from('{"v":1,"id":1,"cmd":"status"}\\n'.repeat(2000));
for (let i = 0; i < n; i++) {
  const s = net.connect(sock); s.on('error', () => {}); s.pause();
  const pump = () => { while (!s.destroyed && s.write(requests)); if (!s.destroyed) s.once('drain', pump); };
  s.on('connect', pump);
}
`;

/** One status request on a fresh connection: its round trip in ms. */
async function statusMs(sock: string): Promise<number> {
  const t = process.hrtime.bigint();
  const c = await RawClient.open(sock);
  const st = await c.request(1, 'status', {}, 20_000);
  c.destroy();
  expect(st.ok).toBe(true);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Sample while `ms` pass: bytes/s of stdout, peak RSS, slowest status. */
async function watch(run: { sock: string; pid: number; bytes: () => number }, ms: number): Promise<{ mbps: number; peakMb: number; maxStatusMs: number }> {
  const b0 = run.bytes();
  const t0 = Date.now();
  let peak = 0;
  const probed = probe(run.sock, ms);
  while (Date.now() - t0 < ms) {
    peak = Math.max(peak, rssKb(run.pid) ?? 0);
    await pause(100);
  }
  const maxStatusMs = await probed;
  return { mbps: (run.bytes() - b0) / (Date.now() - t0) / 1000, peakMb: mb(peak), maxStatusMs };
}

describe('hostile control clients', () => {
  it('100 followers that stop reading cost neither the container output nor memory', async () => {
    const run = await start(`flood: yes "a line of the flood, as a busy program writes them 0123456789 abcdefghijklmnopqrstuvwxyz"\n`);
    await pause(500);
    const alone = await watch(run, 2000);
    const followers: Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const s = connect(run.sock);
      s.on('error', () => {});
      s.write('{"v":1,"id":1,"cmd":"logs","args":{"follow":true,"lines":0}}\n');
      s.pause(); // never reads
      followers.push(s);
      sockets.push(s);
    }
    const followed = await watch(run, 3000);
    report('stalled-followers-flood', {
      followers: 100,
      aloneMBps: Math.round(alone.mbps),
      withFollowersMBps: Math.round(followed.mbps),
      rssAloneMb: alone.peakMb,
      rssPeakWithFollowersMb: followed.peakMb,
      maxStatusMs: followed.maxStatusMs,
    });
    // before: 0.1 MB/s, +400 MB, status after seconds
    expect(followed.mbps).toBeGreaterThan(alone.mbps * 0.3);
    expect(followed.peakMb - alone.peakMb).toBeLessThan(100);
    expect(followed.maxStatusMs).toBeLessThan(1000);
  }, 60_000);

  it('200 connections pipelining status without reading: status answered, memory given back after', async () => {
    let procfile = '';
    for (let i = 0; i < 10; i++) procfile += `p${i}: exec sleep 600\n`;
    const run = await start(procfile.replace('p0: exec sleep 600', 'p0: echo up; exec sleep 600'));
    await pause(1000);
    const base = rssKb(run.pid)!;
    const hogs = spawn(process.execPath, ['-e', HOG_JS, run.sock, '200'], { env: testEnv(), stdio: 'ignore' });
    const during = await watch(run, 3000);
    const gone = new Promise((r) => hogs.once('exit', r));
    hogs.kill('SIGKILL');
    await gone;
    const t0 = Date.now();
    await until(() => (rssKb(run.pid) ?? Infinity) <= base * 1.2, 30_000, `RSS back within 20 % of ${mb(base)} MB`);
    const backMs = Date.now() - t0;
    report('pipelining-burst', {
      connections: 200,
      rssBeforeMb: mb(base),
      rssPeakMb: during.peakMb,
      maxStatusMs: during.maxStatusMs,
      rssAfterMb: mb(rssKb(run.pid)),
      backWithinMs: backMs,
    });
    // the pool's turn budget (64 requests read a turn over all connections, a new connection first) keeps
    // each turn short; what is left of a new client's wait under load is the CPU it gets (the accept queue
    // is drained at once: control-storm.test.ts measures procinit's CPU ahead of a new client instead, and
    // test/unit/control/pool.test.ts counts the requests served ahead of it). Before: 56 s, then
    // 0.67-1.8 s, 3.5 s at load 9.
    expect(during.maxStatusMs).toBeLessThan(5_000);
  }, 60_000);

  it('more idle connections than the limit: a new status is still answered', async () => {
    const run = await start('p: echo up; exec sleep 600\n');
    const idle: Socket[] = [];
    for (let i = 0; i < 1100; i++) {
      const s = connect(run.sock);
      s.on('error', () => {});
      idle.push(s);
      sockets.push(s);
      if (i % 100 === 99) await pause(20);
    }
    await until(() => idle.filter((s) => s.readyState === 'open').length + idle.filter((s) => s.destroyed).length >= 1000, 20_000, 'connected');
    const ms = await statusMs(run.sock);
    report('idle-connections', { idle: 1100, statusMs: Math.round(ms) });
    expect(ms).toBeLessThan(2000);
  }, 60_000);
});
