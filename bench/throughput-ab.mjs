#!/usr/bin/env node
// Log throughput of several procinit builds beside `cat`, alternating within each repetition, with the
// harness's own measurement (lib/throughput.mjs): lines/s, ÷ cat of the same repetition, CPU per million
// lines (which moves far less with the machine's load), every line whole. Prefixed (Procfile) and raw
// (supervisord.conf, stdout_logfile=/dev/stdout) for each build.
//
//   node bench/throughput-ab.mjs [--reps 5] [--lines 250000] [--mode prefixed,raw] old=/tmp/old/procinit new=dist/procinit
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAllLaunched } from './lib/proc.mjs';
import { cleanEnv, compilePrograms, procinitBinary } from './lib/setup.mjs';
import { median, rotate } from './lib/stats.mjs';
import { throughputOnce } from './lib/throughput.mjs';
import { procinitVariant } from './lib/tools.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { reps: { type: 'string' }, lines: { type: 'string' }, mode: { type: 'string' }, block: { type: 'boolean' } },
});
const reps = Number(opt.reps ?? 5);
const lines = Number(opt.lines ?? 250_000);
const modes = (opt.mode ?? 'prefixed,raw').split(',');
if (positionals.length === 0) throw new Error('usage: throughput-ab.mjs [--reps N] [--lines N] [--mode prefixed,raw] LABEL=PATH ...');
const log = (m) => process.stderr.write(`${m}\n`);
const tmp = mkdtempSync(join(os.tmpdir(), 'procinit-tput-ab-'));
process.on('exit', () => {
  killAllLaunched();
  rmSync(tmp, { recursive: true, force: true });
});
const programs = compilePrograms(benchDir, log);
const ctx = { tmp, env: cleanEnv(), programs, programExes: new Set(Object.values(programs).map((p) => realpathSync(p))), features: { ini: true, control: false } };
const participants = [{ id: 'cat', floor: true }];
for (const spec of positionals) {
  const at = spec.indexOf('=');
  const name = spec.slice(0, at);
  const bin = procinitBinary(spec.slice(at + 1));
  for (const mode of modes) {
    const t = procinitVariant(ctx, name, bin);
    const prepare = (dir, s, o = {}) => t.prepare(dir, s, { ...o, ini: mode === 'raw' });
    participants.push({ id: `${name} ${mode}`, tool: { ...t, prepare } });
  }
}
const rows = new Map(participants.map((p) => [p.id, { rate: [], ratio: [], cpu: [], bad: 0 }]));
for (let rep = 0; rep < reps; rep++) {
  const load = os.loadavg()[0].toFixed(1);
  const got = new Map();
  for (const p of rotate(participants, rep)) {
    const r = await throughputOnce(ctx, p, { lines, mode: opt.block ? 'block' : 'lines', timeoutMs: 120000 });
    got.set(p.id, r);
    const row = rows.get(p.id);
    if (r.rate !== null) row.rate.push(r.rate);
    if (r.cpuPerM !== null) row.cpu.push(r.cpuPerM);
    if (!r.verify.ok) row.bad++;
  }
  const cat = got.get('cat')?.rate;
  const parts = [];
  for (const p of participants) {
    const r = got.get(p.id);
    if (cat && r.rate) rows.get(p.id).ratio.push(r.rate / cat);
    parts.push(`${p.id} ${r.rate ? (r.rate / 1e6).toFixed(2) : '-'}M${cat && r.rate && p.id !== 'cat' ? ` ${(r.rate / cat).toFixed(2)}x` : ''}${r.cpuPerM !== null ? ` cpu ${r.cpuPerM.toFixed(3)}` : ''}${r.verify.ok ? '' : ' BROKEN'}`);
  }
  log(`rep ${rep + 1}/${reps} load ${load}: ${parts.join(' | ')}`);
}
console.log(`\n${participants.length - 1} builds/modes beside cat, ${reps} reps, 8 x ${lines.toLocaleString('en')} lines, medians:`);
console.log('| row | lines/s | ÷ cat (median of per-rep ratios) | CPU per M lines | broken runs |');
console.log('|---|---:|---:|---:|---:|');
for (const p of participants) {
  const r = rows.get(p.id);
  const ratio = r.ratio.length ? `${median(r.ratio).toFixed(2)}×` : '';
  console.log(`| ${p.id} | ${Math.round(median(r.rate) ?? 0).toLocaleString('en')} | ${p.floor ? '1×' : ratio} | ${r.cpu.length ? `${median(r.cpu).toFixed(3)} s` : ''} | ${r.bad} |`);
}
