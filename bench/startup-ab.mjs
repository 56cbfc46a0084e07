#!/usr/bin/env node
// A/B of procinit builds on the three short paths (issue 18 goal 4), alternating builds within each
// repetition, with CPU times beside the wall times (on a shared machine the CPU times move far less):
//   start     exec until 10 marker programs have exec'd (wall); procinit's CPU then, every thread (schedstat)
//   status    `procinit status` round trip (wall); the client's CPU (perf stat task-clock)
//   shutdown  20 programs: SIGTERM to exit (wall); procinit's CPU from SIGTERM to exit (task-clock - schedstat)
// `node -e 0` is the floor for start and status (wall and CPU).
//
//   node bench/startup-ab.mjs [--reps N] NAME=PATH [NAME=PATH...]      (PATH: a single executable)
// Needs perf, and bench/.peers/programs/marker (npm run bench compiles it).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { children, launch, markers, now, quiet, sleep, waitFor } from './lib/proc.mjs';

const { values, positionals } = parseArgs({ options: { reps: { type: 'string' } }, allowPositionals: true });
const reps = Number(values.reps ?? 10);
const builds = positionals.map((s) => ({ name: s.slice(0, s.indexOf('=')), bin: s.slice(s.indexOf('=') + 1) }));
if (builds.length === 0 || builds.some((b) => !b.name || !b.bin)) {
  process.stderr.write('usage: node bench/startup-ab.mjs [--reps N] NAME=PATH...\n');
  process.exit(2);
}
const marker = join(dirname(fileURLToPath(import.meta.url)), '.peers/programs/marker');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;
const tmp = mkdtempSync(join(tmpdir(), 'procinit-startup-ab-'));
const results = new Map();
const add = (key, v) => results.set(key, [...(results.get(key) ?? []), v]);

/** CPU time (ms) of a process, every thread, so far. */
function schedMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread ended */
    }
  }
  return ns / 1e6;
}

/** Wall time of one run, then the CPU time of another under perf stat. */
async function timeCall(cmd, args, cwd) {
  const t0 = now();
  const ex = await launch(cmd, args, { env, cwd, group: false }).exited;
  const wall = ex.at - t0;
  const p = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '--', cmd, ...args], { env, cwd, encoding: 'utf8' });
  return { wall, cpu: Number(p.stderr.match(/([\d.]+),msec,task-clock/)?.[1] ?? NaN) };
}

function procfile(dir, n) {
  const md = join(dir, 'm');
  mkdirSync(md);
  writeFileSync(join(dir, 'Procfile'), Array.from({ length: n }, (_, i) => `p${i}: ${marker} ${join(md, `p${i}`)}\n`).join(''));
  return md;
}

async function session(b) {
  const dir = mkdtempSync(join(tmp, `${b.name}-`));
  const md = procfile(dir, 10);
  const sock = join(dir, 'ctl.sock');
  const out = openSync(join(dir, 'out.log'), 'a');
  const t0 = now();
  const run = launch(b.bin, ['-f', 'Procfile', '--socket', sock], { env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  await waitFor(() => markers(md).length >= 10, { timeoutMs: 30000, intervalMs: 1 });
  add(`start cpu  ${b.name}`, schedMs(run.pid));
  add(`start wall ${b.name}`, Math.max(...markers(md).map((m) => m.ms)) - t0);
  await sleep(300);
  await quiet({ maxMs: 3000 });
  for (let k = 0; k < 3; k++) {
    const r = await timeCall(b.bin, ['status', '--socket', sock], dir);
    add(`status wall ${b.name}`, r.wall);
    add(`status cpu  ${b.name}`, r.cpu);
  }
  process.kill(run.pid, 'SIGTERM');
  await run.exited;
}

async function shutdown(b) {
  const dir = mkdtempSync(join(tmp, `${b.name}-sd-`));
  const md = procfile(dir, 20);
  const out = openSync(join(dir, 'out.log'), 'a');
  const perfOut = join(dir, 'perf.txt');
  const run = launch('perf', ['stat', '-x,', '-e', 'task-clock', '-o', perfOut, '--', b.bin, '-f', 'Procfile', '--socket', join(dir, 'ctl.sock')], { env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  await waitFor(() => markers(md).length >= 20, { timeoutMs: 30000, intervalMs: 2 });
  await sleep(500);
  await quiet({ maxMs: 3000 });
  const pid = children(run.pid)[0];
  const before = schedMs(pid);
  const t0 = now();
  process.kill(pid, 'SIGTERM');
  const ex = await run.exited;
  add(`shutdown wall ${b.name}`, ex.at - t0);
  add(`shutdown cpu  ${b.name}`, Number(readFileSync(perfOut, 'utf8').match(/([\d.]+),msec/)[1]) - before);
}

for (let rep = 0; rep < reps; rep++) {
  const order = [...builds, null];
  const rotated = order.slice(rep % order.length).concat(order.slice(0, rep % order.length));
  for (const b of rotated) {
    await quiet({ maxMs: 3000 });
    if (b === null) {
      const r = await timeCall(process.execPath, ['-e', '0'], tmp);
      add('node -e 0 wall', r.wall);
      add('node -e 0 cpu ', r.cpu);
      continue;
    }
    await session(b);
    await quiet({ maxMs: 3000 });
    await shutdown(b);
  }
  process.stderr.write(`rep ${rep + 1}/${reps} done\n`);
}
rmSync(tmp, { recursive: true, force: true });
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log('| measure | median ms | min | max | n |\n|---|---:|---:|---:|---:|');
for (const [k, v] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`| ${k} | ${median(v).toFixed(1)} | ${Math.min(...v).toFixed(1)} | ${Math.max(...v).toFixed(1)} | ${v.length} |`);
}
