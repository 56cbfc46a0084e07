/**
 * A connection storm against a real procinit (issue 16 items 8 and 11, "status answered within 100 ms
 * during any flood"): 400 connections arrive at once, each sends 64 KiB of pipelined `status` requests and
 * never reads. A new client's `status` in the storm's first seconds used to wait 0.5-2 s: libuv accepts one
 * connection per turn of the event loop, each turn served the turn budget's 64 requests and read every
 * readable connection, so the new client sat in the kernel's accept queue behind the storm's 400, one turn
 * each; once accepted, it queued behind the storm's new connections for its first request.
 *
 * Wall time on a shared 2-core machine depends on the load, so the decisive figure is procinit's own CPU
 * time spent between a probe's connect and its answer (utime + stime of procinit, from /proc): the work done
 * while the new client waited. Before: 470-650 ms of it here (load 4.3-4.5); now 60-150 ms. The wall-time
 * bound is generous (the machine's load decides the rest: see docs/reliability.md, "The 100 ms status goal").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { procinitArgv, tempDir, testEnv, until } from '../helpers/procinit.js';
import { pause, report } from './support/measure.js';
import { RawClient } from './support/socket-client.js';

/** Programs procinit runs: each status answer is about 4 KiB. */
const PROGRAMS = 10;

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0).reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
});

/** procinit's CPU time so far (user + system), ms; 10 ms resolution. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** N connections at once, each sending 64 KiB of status requests and never reading; "go" before the first. */
const STORM_JS = `
const net = require('net');
const [sock, n] = [process.argv[1], Number(process.argv[2])];
const requests = Buffer.from('{"v":1,"id":1,"cmd":"status"}\\n'.repeat(2114));
process.stdout.write('go\\n');
for (let i = 0; i < n; i++) {
  const s = net.connect(sock); s.on('error', () => {}); s.pause();
  s.on('connect', () => s.write(requests));
}
setInterval(() => {}, 1000); // paused sockets keep no loop alive: stay until killed
`;

interface Probe {
  /** ms from the storm's start. */
  at: number;
  wallMs: number;
  /** procinit's CPU time between the connect and the answer. */
  cpuMs: number;
}

/** A status on a fresh connection: its wall time and procinit's CPU time meanwhile. */
async function probe(sock: string, pid: number, t0: number): Promise<Probe> {
  const at = performance.now();
  const c0 = cpuMs(pid);
  const c = await RawClient.open(sock, 20_000);
  try {
    const st = await c.request(1, 'status', {}, 20_000);
    const wallMs = performance.now() - at;
    const cpu = cpuMs(pid) - c0;
    expect(st.ok).toBe(true);
    return { at: Math.round(at - t0), wallMs: Math.round(wallMs), cpuMs: cpu };
  } finally {
    c.destroy();
  }
}

/** `procinit status` (the real client, its own process): wall ms and exit code. */
function cliStatus(sock: string): Promise<{ ms: number; code: number | null }> {
  const [node, script] = procinitArgv();
  const t = performance.now();
  const p = spawn(node, [script, 'status', '--socket', sock], { env: testEnv(), stdio: 'ignore' });
  return new Promise((resolve) => p.on('exit', (code) => resolve({ ms: Math.round(performance.now() - t), code })));
}

describe('a connection storm', () => {
  it('400 connections pipelining 64 KiB each: a new client is accepted and answered ahead of them', async () => {
    const dir = tempDir();
    const sock = join(dir, 'ctl.sock');
    let procfile = '';
    for (let i = 0; i < PROGRAMS; i++) procfile += `p${i}: exec sleep 600\n`;
    writeFileSync(join(dir, 'Procfile'), procfile.replace('p0: exec sleep 600', 'p0: echo up; exec sleep 600'));
    const [node, script] = procinitArgv();
    const pi = spawn(node, [script, '--socket', sock], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(pi);
    let out = '';
    pi.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(() => out.includes('up') && existsSync(sock), 20_000, 'procinit started');
    const pid = pi.pid!;
    expect((await probe(sock, pid, 0)).wallMs).toBeGreaterThanOrEqual(0); // warm: the first status loads handlers

    const storm = spawn(process.execPath, ['-e', STORM_JS, sock, '400'], { env: testEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(storm);
    let said = '';
    storm.stdout!.setEncoding('utf8').on('data', (d: string) => (said += d));
    await until(() => said.includes('go'), 20_000, 'the storm starting');
    const t0 = performance.now();
    const stormCpu0 = cpuMs(pid);

    // a new client every 40 ms for the storm's first 2.5 s (overlapping when one is slow), and the real
    // `procinit status` twice in its first second
    const probes: Array<Promise<Probe>> = [];
    const cli = [pause(100).then(() => cliStatus(sock)), pause(600).then(() => cliStatus(sock))];
    while (performance.now() - t0 < 2500) {
      probes.push(probe(sock, pid, t0));
      await pause(40);
    }
    const got = await Promise.all(probes);
    const clis = await Promise.all(cli);
    const stormCpu = cpuMs(pid) - stormCpu0;
    const slowest = got.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
    const mostCpu = got.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
    report('connection-storm', {
      connections: 400,
      load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
      probes: got.length,
      slowestMs: slowest.wallMs,
      slowestAt: slowest.at,
      mostProcinitCpuAheadMs: mostCpu.cpuMs,
      procinitCpuMs: stormCpu,
      cliStatusMs: clis.map((c) => c.ms).join('/'),
    });
    for (const c of clis) expect(c.code).toBe(0);
    // before: 470-650 ms of procinit's CPU went to the storm while a new client waited (290-1,530 ms in the
    // figures of docs/reliability.md); now 60-150 ms here, at most 210 ms at load 12
    expect(mostCpu.cpuMs).toBeLessThan(350);
    // before: 0.4-6 s (load 3-12); now 0.08-0.45 s at load 5-8 here, up to 1.9 s at load 12 when procinit
    // is off the CPU: the rest is the machine's load
    expect(slowest.wallMs).toBeLessThan(3000);
    for (const c of clis) expect(c.ms).toBeLessThan(5000);
  }, 60_000);
});
