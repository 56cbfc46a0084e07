#!/usr/bin/env node
// Where the CPU of the throughput scenario goes, builds alternating beside `cat` as in throughput-ab.mjs:
// per run, from the release to the last byte, the scheduler's own figures (/proc/PID/task/TID/schedstat,
// nanoseconds, not 10 ms ticks) of the tool's threads, of its main thread alone and of the 8 generators:
// CPU, time spent runnable but waiting for a CPU, voluntary context switches; and how long the output took
// to reach 10/30/50/70/90/100 % of its bytes (the start of a run against its steady state). On 2 cores the
// generators and the tool share the machine: the tool's main thread, the generators' CPU and the sum of both
// say which bound a rate is under. Every line is checked as in the harness.
//
//   node bench/throughput-sched.mjs [--reps 5] [--lines 250000] [--mode prefixed,raw] old=/abs/path new=/abs/path
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAllLaunched, markers, now, sleep, stopTool, tree } from './lib/proc.mjs';
import { cleanEnv, compilePrograms, procinitBinary } from './lib/setup.mjs';
import { median, rotate } from './lib/stats.mjs';
import { GENS, launchGenerators } from './lib/throughput.mjs';
import { procinitVariant } from './lib/tools.mjs';
import { verifyOutput } from './lib/verify.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { reps: { type: 'string' }, lines: { type: 'string' }, mode: { type: 'string' } },
});
const reps = Number(opt.reps ?? 5);
const lines = Number(opt.lines ?? 250_000);
const modes = (opt.mode ?? 'prefixed,raw').split(',');
if (positionals.length === 0) throw new Error('usage: throughput-sched.mjs [--reps N] [--lines N] [--mode prefixed,raw] LABEL=PATH ...');
const log = (m) => process.stderr.write(`${m}\n`);
const tmp = mkdtempSync(join(os.tmpdir(), 'procinit-tput-sched-'));
process.on('exit', () => {
  killAllLaunched();
  rmSync(tmp, { recursive: true, force: true });
});
const programs = compilePrograms(benchDir, log);
const genExe = realpathSync(programs.gen);
const ctx = { tmp, env: cleanEnv(), programs, programExes: new Set([genExe]), features: { ini: true, control: false } };
const participants = [{ id: 'cat' }];
for (const spec of positionals) {
  const at = spec.indexOf('=');
  const bin = procinitBinary(spec.slice(at + 1));
  for (const mode of modes) {
    const t = procinitVariant(ctx, spec.slice(0, at), bin);
    participants.push({ id: `${spec.slice(0, at)} ${mode}`, tool: { ...t, prepare: (dir, s, o = {}) => t.prepare(dir, s, { ...o, ini: mode === 'raw' }) } });
  }
}

const zero = () => ({ run: 0, wait: 0, vol: 0 });

/** The threads of pid (only the main thread when mainOnly): CPU and run-queue wait in ns, voluntary switches. */
function threads(pid, mainOnly) {
  const sum = zero();
  let tids = [];
  try {
    tids = mainOnly ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  } catch {
    return sum;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      sum.run += run;
      sum.wait += wait;
      sum.vol += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return sum;
}

function exeOf(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/** tool: every process of the tree but the generators and shells; main: its main threads; gens: the generators. */
function snapshot(root) {
  const s = { tool: zero(), main: zero(), gens: zero() };
  const add = (into, x) => Object.keys(into).forEach((k) => (into[k] += x[k]));
  for (const pid of tree(root)) {
    const exe = exeOf(pid);
    if (exe === genExe) add(s.gens, threads(pid, false));
    else if (exe && !/\/(sh|dash|bash)$/.test(exe)) {
      add(s.tool, threads(pid, false));
      add(s.main, threads(pid, true));
    }
  }
  return s;
}

const size = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

async function once(p) {
  const { dir, gdir, go, outFile, run } = launchGenerators(ctx, p, { tmp, lines, floorStays: true });
  const count = (suffix) => markers(gdir).filter((m) => m.name.endsWith(suffix)).length;
  const deadline = now() + 60_000;
  while (count('.ready') < GENS && now() < deadline) await sleep(2);
  const bytes = GENS * lines * 100;
  const s0 = snapshot(run.pid);
  const t0 = now();
  const goFd = openSync(go, 'r+');
  let open = true;
  let last = 0;
  let lastAt = t0;
  const growth = [];
  while (now() < deadline + 120_000) {
    const s = size(outFile);
    const t = now();
    if (s !== last) {
      last = s;
      lastAt = t;
      growth.push([t - t0, s]);
    }
    if (open && count('.start') === GENS) {
      closeSync(goFd);
      open = false;
    }
    if (s >= bytes && count('.done') === GENS) break;
    await sleep(2);
  }
  if (open) closeSync(goFd);
  const s1 = snapshot(run.pid);
  await stopTool(run);
  const verify = verifyOutput(outFile, GENS, lines);
  rmSync(dir, { recursive: true, force: true });
  const m = (GENS * lines) / 1e6;
  const d = (part, k) => (s1[part][k] - s0[part][k]) / m;
  const at = [0.1, 0.3, 0.5, 0.7, 0.9, 1].map((f) => (growth.find(([, sz]) => sz >= f * bytes) ?? [lastAt - t0])[0]);
  return {
    rate: (GENS * lines) / ((lastAt - t0) / 1000),
    at,
    tool: d('tool', 'run') / 1e9,
    main: d('main', 'run') / 1e9,
    gens: d('gens', 'run') / 1e9,
    toolWait: d('tool', 'wait') / 1e9,
    gensWait: d('gens', 'wait') / 1e9,
    mainVol: d('main', 'vol'),
    toolVol: d('tool', 'vol'),
    gensVol: d('gens', 'vol'),
    ok: verify.ok,
  };
}

const rows = new Map(participants.map((p) => [p.id, []]));
for (let rep = 0; rep < reps; rep++) {
  const load = os.loadavg()[0].toFixed(1);
  const got = new Map();
  for (const p of rotate(participants, rep)) got.set(p.id, await once(p));
  const cat = got.get('cat').rate;
  const parts = participants.map((p) => {
    const r = got.get(p.id);
    r.ratio = r.rate / cat;
    rows.get(p.id).push(r);
    return `${p.id} ${(r.rate / 1e6).toFixed(2)}M ${r.ratio.toFixed(2)}x cpu ${r.tool.toFixed(3)} (main ${r.main.toFixed(3)}) gens ${r.gens.toFixed(3)}${r.ok ? '' : ' BROKEN'}`;
  });
  log(`rep ${rep + 1}/${reps} load ${load}: ${parts.join(' | ')}`);
}
const med = (id, k) => median(rows.get(id).map((r) => r[k]));
console.log(`\n${reps} reps, 8 x ${lines.toLocaleString('en')} lines, medians (CPU and waits in s per million lines, switches per million lines):`);
console.log('| row | lines/s | ÷ cat | tool CPU | main thread CPU | generators CPU | sum | tool runnable, waiting | generators waiting | main thread sleeps | tool sleeps | generators sleep | ms to 10/30/50/70/90/100 % of the bytes | broken |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
for (const p of participants) {
  const f = (k, d = 4) => med(p.id, k).toFixed(d);
  const at = [0, 1, 2, 3, 4, 5].map((i) => median(rows.get(p.id).map((r) => r.at[i])).toFixed(1)).join(' / ');
  const bad = rows.get(p.id).filter((r) => !r.ok).length;
  console.log(
    `| ${p.id} | ${Math.round(med(p.id, 'rate')).toLocaleString('en')} | ${f('ratio', 2)}× | ${f('tool')} | ${p.tool ? f('main') : ''} | ${f('gens')} | ${(med(p.id, 'tool') + med(p.id, 'gens')).toFixed(4)} | ${f('toolWait')} | ${f('gensWait')} | ${p.tool ? f('mainVol', 0) : ''} | ${f('toolVol', 0)} | ${f('gensVol', 0)} | ${at} | ${bad} |`,
  );
}
