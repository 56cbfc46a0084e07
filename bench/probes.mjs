#!/usr/bin/env node
// Probe cost (issue 15): 100 instances, each with a 1 s http liveness probe, against the same 100
// instances without probes. procinit's own CPU (utime+stime from /proc/PID/stat over a window, as % of
// one core) and RSS (VmRSS, sampled every second over the window, median and max).
//
//   node bench/probes.mjs [--instances 100] [--period 1] [--warmup 10] [--window 30] [--reps 2]
//
// Runs node dist/procinit.js (npm run build:js first) with NODE_EXTRA_CA_CERTS unset; the servers are
// bench/programs/http-ok.c (about 1 MB each). Prints a markdown table for docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repo = dirname(benchDir);
const { values: opt } = parseArgs({
  options: {
    instances: { type: 'string', default: '100' },
    period: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '10' },
    window: { type: 'string', default: '30' },
    reps: { type: 'string', default: '2' },
    'node-flags': { type: 'string', default: '' },
  },
});
const N = Number(opt.instances);
const WARMUP = Number(opt.warmup) * 1000;
const WINDOW = Number(opt.window) * 1000;
const REPS = Number(opt.reps);
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const out = join(benchDir, '.peers/programs');
mkdirSync(out, { recursive: true });
const server = join(out, 'http-ok');
const cc = spawnSync('cc', ['-O2', '-Wall', '-o', server, join(benchDir, 'programs/http-ok.c')], { encoding: 'utf8' });
if (cc.status !== 0) throw new Error(`cc http-ok.c: ${cc.stderr}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(withProbes) {
  const dir = mkdtempSync(join(os.tmpdir(), 'procinit-probes-'));
  writeFileSync(join(dir, 'Procfile'), `web: ${server}\n`);
  if (withProbes) writeFileSync(join(dir, 'procinit.toml'), `[web]\nliveness = "http-get path=/ period=${opt.period}s timeout=1s #failure=3"\n`);
  const base = 20000 + Math.floor(Math.random() * 20000);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [...opt['node-flags'].split(' ').filter(Boolean), join(repo, 'dist/procinit.js'), '-m', `web=${N}`, '-p', String(base), '--socket', join(dir, 'sock')], {
    cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log = (log + d).slice(-20000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  await sleep(WARMUP);
  const t0 = cpuTicks(child.pid);
  const rss = [];
  const began = Date.now();
  while (Date.now() - began < WINDOW) {
    rss.push(rssKb(child.pid));
    await sleep(1000);
  }
  const cpu = ((cpuTicks(child.pid) - t0) / TICK) / ((Date.now() - began) / 1000) * 100;
  const restarts = (log.match(/restarting: liveness/g) ?? []).length;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  rmSync(dir, { recursive: true, force: true });
  return { cpu, rssMedianMb: median(rss) / 1024, rssMaxMb: Math.max(...rss) / 1024, restarts };
}

const rows = [];
for (let r = 0; r < REPS; r++) {
  for (const withProbes of [false, true]) {
    const m = await once(withProbes);
    rows.push({ withProbes, ...m });
    process.stderr.write(`${withProbes ? 'probes   ' : 'no probes'}  cpu ${m.cpu.toFixed(2)} %  rss median ${m.rssMedianMb.toFixed(1)} MB, max ${m.rssMaxMb.toFixed(1)} MB  health restarts ${m.restarts}\n`);
  }
}
const agg = (w) => {
  const xs = rows.filter((r) => r.withProbes === w);
  return { cpu: median(xs.map((x) => x.cpu)), rss: median(xs.map((x) => x.rssMedianMb)), max: Math.max(...xs.map((x) => x.rssMaxMb)) };
};
const a = agg(false);
const b = agg(true);
console.log(`| run (${N} instances, ${opt.window} s window after ${opt.warmup} s, median of ${REPS}) | procinit CPU (% of one core) | procinit RSS median | RSS max |`);
console.log('|---|---|---|---|');
console.log(`| no probes | ${a.cpu.toFixed(2)} % | ${a.rss.toFixed(1)} MB | ${a.max.toFixed(1)} MB |`);
console.log(`| http liveness probe every ${opt.period} s on each | ${b.cpu.toFixed(2)} % | ${b.rss.toFixed(1)} MB | ${b.max.toFixed(1)} MB |`);
console.log(`| difference | ${(b.cpu - a.cpu).toFixed(2)} points | ${(b.rss - a.rss).toFixed(1)} MB | ${(b.max - a.max).toFixed(1)} MB |`);
