#!/usr/bin/env node
// Issue 16's "status answered within 100 ms during any reload or flood", measured (not a timed test):
//
//   node bench/latency.mjs [--procinit dist/procinit] [--reps 3] [--only storm,reload]
//
// storm:  procinit with 10 programs; 400 connections each send ~64 KiB of pipelined `status` at once and
//         never read; a probe opens a fresh connection every 50 ms for 4 s and asks `status`.
// reload: procinit with [include] conf.d/*.conf and one program `base`; 5,000 included files
//         (autostart=false) are written, then `procinit reload`; the probe asks `status base` (a health
//         check's question) and, on a second connection each time, `status` of all 5,001 (a 1.5 MB answer).
// Each line: the slowest answer (connect to answer) in the window, the number of answers, procinit's CPU
// time in the window, and the machine's 1-minute load average at the start: on 2 shared cores a loaded
// machine adds its CPU share to every figure (docs/reliability.md).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const PROCINIT = resolve(arg('procinit', 'dist/procinit'));
const REPS = Number(arg('reps', '3'));
const ONLY = arg('only', 'storm,reload').split(',');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

function start(dir, args) {
  const sock = join(dir, 'ctl.sock');
  const child = spawn(PROCINIT, [...args, '--socket', sock], { cwd: dir, env, stdio: ['ignore', 'ignore', 'ignore'] });
  return { child, sock };
}

async function ready(sock, names) {
  for (let i = 0; i < 400; i++) {
    const r = await ask(sock, names).catch(() => null);
    if (r !== null && r.ok) return;
    await wait(50);
  }
  throw new Error('procinit did not answer');
}

/** One status on a fresh connection: ms from connect to the whole answer. */
function ask(sock, names = null) {
  return new Promise((resolveAsk, reject) => {
    const t = performance.now();
    const c = net.connect(sock);
    let buf = '';
    let sawHello = false;
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify({ v: 1, id: 1, cmd: 'status', ...(names ? { args: { names } } : {}) }) + '\n'));
    c.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!sawHello) {
          sawHello = true;
          continue;
        }
        c.destroy();
        resolveAsk({ ms: performance.now() - t, ok: JSON.parse(line).ok === true });
      }
    });
    c.on('error', reject);
  });
}

/** A fresh connection every `every` ms for `ms`: the answers' times. */
async function probe(sock, ms, every, names = null) {
  const out = [];
  const pending = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    pending.push(ask(sock, names).then((r) => out.push(r.ms), () => out.push(Infinity)));
    await wait(every);
  }
  await Promise.all(pending);
  return out;
}

const summary = (xs) => `slowest ${Math.max(...xs).toFixed(0)} ms, median ${xs.sort((a, b) => a - b)[xs.length >> 1].toFixed(0)} ms, ${xs.length} answers`;

async function storm() {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-latency-'));
  writeFileSync(join(dir, 'Procfile'), Array.from({ length: 10 }, (_, i) => `p${i}: exec sleep 600\n`).join(''));
  const { child, sock } = start(dir, []);
  try {
    await ready(sock);
    await wait(500);
    const l = load();
    const requests = Buffer.from('{"v":1,"id":1,"cmd":"status"}\n'.repeat(2114));
    const conns = [];
    const c0 = cpuMs(child.pid);
    for (let i = 0; i < 400; i++) {
      const s = net.connect(sock);
      s.on('error', () => {});
      s.pause();
      s.on('connect', () => s.write(requests));
      conns.push(s);
    }
    const times = await probe(sock, 4000, 50);
    const cpu = cpuMs(child.pid) - c0;
    conns.forEach((s) => s.destroy());
    return `storm  (load ${l}): ${summary(times)}; procinit CPU ${cpu} ms in the window`;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reload() {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-latency-'));
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'supervisord.conf'), '[supervisord]\nnodaemon=true\nlogfile=/dev/null\n\n[program:base]\ncommand=sleep 600\nstdout_logfile=NONE\n\n[include]\nfiles=conf.d/*.conf\n');
  const { child, sock } = start(dir, ['-c', 'supervisord.conf']);
  try {
    await ready(sock, ['base']);
    for (let i = 0; i < 5000; i++) writeFileSync(join(dir, 'conf.d', `p${i}.conf`), `[program:p${i}]\ncommand=sleep 600\nautostart=false\nstdout_logfile=NONE\n`);
    await wait(500);
    const l = load();
    const c0 = cpuMs(child.pid);
    const t0 = performance.now();
    const r = spawn(PROCINIT, ['reload', '--socket', sock], { env, stdio: 'ignore' });
    const done = new Promise((res) => r.once('exit', () => res(performance.now() - t0)));
    const [base, all, took] = await Promise.all([probe(sock, 6000, 50, ['base']), probe(sock, 6000, 100), done]);
    const cpu = cpuMs(child.pid) - c0;
    return `reload (load ${l}): status base: ${summary(base)}; status of all 5,001: ${summary(all)}; reload took ${took.toFixed(0)} ms; procinit CPU ${cpu} ms in the window`;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(PROCINIT)) {
  console.error(`bench/latency.mjs: ${PROCINIT} is missing (npm run build)`);
  process.exit(2);
}
for (let i = 0; i < REPS; i++) {
  if (ONLY.includes('storm')) console.log(await storm());
  if (ONLY.includes('reload')) console.log(await reload());
}
