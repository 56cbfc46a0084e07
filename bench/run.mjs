#!/usr/bin/env node
// procinit's benchmarks against the tools people would otherwise use, side by side in one run (issue 7).
//
//   npm run bench                 quick mode (< 5 minutes on 2 cores)
//   npm run bench -- --full       the issue's numbers (1,000,000 lines per program, 7 repetitions)
//
// Options: --reps N, --lines N, --only start,idle,control,throughput,shutdown,reaping,restart,
//          churn,scale, --procinit PATH (an executable, or a .js run with node), --no-build, --no-install,
//          --no-profile, --out FILE (default docs/benchmarks.md), --keep-tmp,
//          --also-procinit LABEL=PATH (another procinit build as an extra row: before/after comparisons).
// Builds procinit, installs the peers on Debian (apt-get; pm2 from npm into bench/.peers), compiles the
// benchmark programs, measures everything from outside, and writes docs/benchmarks.md + docs/benchmarks.svg.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderChart } from './lib/chart.mjs';
import { detectFeatures } from './lib/features.mjs';
import { evaluateGoals } from './lib/goals.mjs';
import { killAllLaunched, launch, markers, now, stopTool, waitFor } from './lib/proc.mjs';
import { biggestProfile, summarizeProfile } from './lib/profile.mjs';
import { flameGraphSvg } from './lib/flame.mjs';
import { reapers, reapOnce, reapingScenario } from './lib/reaping.mjs';
import { renderReport } from './lib/report.mjs';
import { restartScenario } from './lib/restart.mjs';
import { sessionScenario } from './lib/session.mjs';
import { buildProcinit, chooseProcinit, cleanEnv, compilePrograms, installPeers, machineInfo, procinitBinary } from './lib/setup.mjs';
import { shutdownOnce, shutdownScenario } from './lib/shutdown.mjs';
import { throughputOnce, throughputScenario } from './lib/throughput.mjs';
import { makeTools, procinitRaw, procinitVariant } from './lib/tools.mjs';
import { churnScenario } from './lib/churn.mjs';
import { scaleMarkdown, scaleScenario, scaleSvg } from './lib/scale.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repo = dirname(benchDir);
const started = now();

const { values: opt } = parseArgs({
  options: {
    full: { type: 'boolean' },
    reps: { type: 'string' },
    lines: { type: 'string' },
    only: { type: 'string' },
    procinit: { type: 'string' },
    'no-build': { type: 'boolean' },
    'no-install': { type: 'boolean' },
    'no-profile': { type: 'boolean' },
    out: { type: 'string' },
    'keep-tmp': { type: 'boolean' },
    'also-procinit': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  const head = spawnSync('sed', ['-n', '2,11p', fileURLToPath(import.meta.url)], { encoding: 'utf8' }).stdout;
  process.stdout.write(head.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const full = opt.full === true;
const options = {
  full,
  reps: Number(opt.reps ?? (full ? 7 : 3)),
  // quick mode's 250,000 lines per program: at 50,000 the whole stream took cat about 35 ms, within the
  // harness's own 5 ms polling and release overhead, so the ratios measured the harness, not the tools
  lines: Number(opt.lines ?? (full ? 1_000_000 : 250_000)),
  // quick mode's throughput runs last about 0.15 s, and cat's rate moved 12.2-17.2 M lines/s between three
  // repetitions on a quiet machine (bench/analysis.md, branch tput): the goal rows (procinit, procinit raw,
  // cat: each run under a second) get 7 repetitions, as in full mode; the peers for context still run once
  tputReps: Number(opt.reps ?? 7),
  blockLines: Number(opt.lines ?? (full ? 200_000 : 20_000)),
  blockReps: full ? Number(opt.reps ?? 7) : Math.min(2, Number(opt.reps ?? 3)),
  restartWindowMs: full ? 10000 : 2000,
  // quick mode: peers no goal compares with run in the first repetition only (bench/lib/goals.mjs GOAL_ROWS)
  contextReps: full ? Infinity : 1,
  churnReps: full ? 3 : 1,
  churnLoadMs: full ? 30000 : 12000,
  churnAfterMs: 60000,
  scaleCounts: [1, 10, 100, 1000],
  scaleReps: full ? 3 : 1,
  controlCalls: full ? 10 : 5,
  orphans: 10000,
};
const ALL = ['start', 'idle', 'control', 'throughput', 'shutdown', 'reaping', 'restart', 'churn', 'scale'];
const only = new Set(opt.only ? opt.only.split(',').map((s) => s.trim()) : ALL);
for (const o of only) if (!ALL.includes(o)) throw new Error(`--only: unknown scenario '${o}' (${ALL.join(', ')})`);

const log = (msg) => process.stderr.write(`[bench ${((now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
let tmp = null;
const cleanup = () => {
  killAllLaunched();
  if (tmp && !opt['keep-tmp']) rmSync(tmp, { recursive: true, force: true });
};
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    cleanup();
    process.exit(code);
  });
}
process.on('exit', cleanup);

// ---- setup ----
if (!opt['no-build'] && !opt.procinit) buildProcinit(repo, log);
const env = cleanEnv();
const procinit = chooseProcinit(repo, opt.procinit);
log(`procinit: ${procinit.label}${procinit.note ? ` (${procinit.note})` : ''}`);
const { peers, notes } = installPeers(benchDir, { install: !opt['no-install'], log });
const programs = compilePrograms(benchDir, log);
tmp = mkdtempSync(join(os.tmpdir(), 'procinit-bench-'));
const ctx = {
  repo,
  benchDir,
  tmp,
  env,
  programs,
  programExes: new Set(Object.values(programs).map((p) => realpathSync(p))),
  procinit,
  peers,
  features: { ini: false, control: false },
  variants: (opt['also-procinit'] ?? []).map((spec) => {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`--also-procinit: expected LABEL=PATH, got '${spec}'`);
    return { name: spec.slice(0, at), ...procinitBinary(spec.slice(at + 1)) };
  }),
};
ctx.features = await detectFeatures(ctx, tmp);
for (const n of ctx.features.notes) notes.push(`feature probe: ${n}`);
log(`features: supervisord config ${ctx.features.ini ? 'yes' : 'no'}, control socket ${ctx.features.control ? 'yes' : 'no'}`);
const machine = machineInfo(peers, procinit, env);
const tools = makeTools(ctx).filter((t) => !(t.id === 'honcho' && t.missing));

// ---- scenarios ----
const metrics = new Map();
const keep = (list) => list.forEach((m) => metrics.set(m.id, m));
// seconds each scenario took (logged, and in the report): where quick mode's minutes go
const seconds = { setup: (now() - started) / 1000 };
let timing = null;
const scenario = (name, what) => {
  if (timing) seconds[timing.name] = (seconds[timing.name] ?? 0) + (now() - timing.t0) / 1000;
  timing = name ? { name, t0: now() } : null;
  if (what) log(`scenario: ${what}`);
};
// Churn first: its loads run alone; the minute after each load, in which procinit only idles and is
// sampled once a second, passes while the other scenarios run (its metrics keep their place in the report).
let churn = null;
if (only.has('churn')) {
  scenario('churn', `memory under churn (${options.churnLoadMs / 1000} s of load, then ${options.churnAfterMs / 1000} s quiet, during the scenarios that follow)`);
  const variants = [{ id: 'procinit', label: 'procinit', bin: procinit }, ...ctx.variants.map((v) => ({ id: `procinit@${v.name}`, label: `procinit (${v.name})`, bin: v }))];
  churn = churnScenario(ctx, variants, { reps: options.churnReps, loadMs: options.churnLoadMs, afterMs: options.churnAfterMs, log });
  await churn.loaded;
}
if (only.has('start') || only.has('idle') || only.has('control')) {
  scenario('session', 'start / idle memory / control');
  // the single executable and the JS bundle it is built from differ in start time and memory: show both
  const sessionTools = [...tools];
  if (procinit.kind === 'sea') sessionTools.splice(1, 0, procinitVariant(ctx, 'node dist/procinit.js', procinitBinary(procinit.js)));
  keep(await sessionScenario(ctx, sessionTools, { reps: options.reps, contextReps: options.contextReps, controlCalls: options.controlCalls, log }));
}
if (only.has('throughput')) {
  scenario('throughput', `log throughput (${options.lines} lines × 8)`);
  const tputTools = [...tools];
  // raw passthrough (supervisord.conf) for procinit and for every other build compared with it
  if (ctx.features.ini) tputTools.splice(1, 0, procinitRaw(ctx), ...ctx.variants.map((v) => procinitRaw(ctx, v)));
  keep(await throughputScenario(ctx, tputTools, { reps: options.tputReps, contextReps: options.contextReps, lines: options.lines, timeoutMs: full ? 900000 : 120000, log }));
  scenario('throughput-block', `log throughput with block writes (${options.blockLines} lines × 8)`);
  keep(await throughputScenario(ctx, tputTools, { reps: options.blockReps, contextReps: options.contextReps, lines: options.blockLines, mode: 'block', timeoutMs: full ? 900000 : 120000, log }));
}
if (only.has('shutdown')) {
  scenario('shutdown', 'shutdown');
  keep(await shutdownScenario(ctx, tools, { reps: options.reps, contextReps: options.contextReps, log }));
}
if (only.has('reaping')) {
  scenario('reaping', 'reaping as PID 1');
  keep(await reapingScenario(ctx, { reps: options.reps, orphans: options.orphans, log }));
}
if (only.has('restart')) {
  scenario('restart', 'restart');
  keep(await restartScenario(ctx, tools, { reps: options.reps, contextReps: options.contextReps, windowMs: options.restartWindowMs, log }));
}
let scaleResult = null;
if (churn) {
  scenario('churn', 'memory under churn: the rest of the quiet minute');
  keep(await churn.done);
}
if (only.has('scale')) {
  scenario('scale', `scale (${options.scaleCounts.join(', ')} programs)`);
  scaleResult = (await scaleScenario(ctx, { counts: options.scaleCounts, reps: options.scaleReps, idleMs: full ? 5000 : 3000, settleMs: full ? 3000 : 2000, log })).scale;
}
scenario(null);
for (const id of [...metrics.keys()]) {
  const scenario = metrics.get(id).scenario;
  if (!only.has(scenario)) metrics.delete(id);
}

// ---- goals and profiles of the missed ones ----
const goals = evaluateGoals(metrics).filter((g) => only.has(g.scenario));
const profiles = [];
if (!opt['no-profile']) {
  scenario('profiling');
  const profileDir = join(benchDir, '.peers/profiles');
  mkdirSync(profileDir, { recursive: true });
  const done = new Set();
  for (const g of goals.filter((x) => x.met === false)) {
    if (done.has(g.scenario)) continue;
    done.add(g.scenario);
    log(`profiling procinit: ${g.scenario} (missed: ${g.goal})`);
    try {
      const p = await profileScenario(g, profileDir);
      if (p) profiles.push({ goal: g.goal, ...p });
    } catch (err) {
      profiles.push({ goal: g.goal, text: `profiling failed: ${err.message}` });
    }
  }
}

scenario(null);
log(`seconds per part: ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);

async function profileScenario(goal, profileRoot) {
  const dir = mkdtempSync(join(tmp, `prof-${goal.scenario}-`));
  const procinitTool = tools.find((t) => t.id === 'procinit');
  const js = relative(repo, procinit.js);
  let command;
  let text = '';
  if (goal.scenario === 'idle') {
    const row = metrics.get('idle').rows.get('procinit');
    const nodeRow = metrics.get('idle').rows.get('node-idle');
    return {
      text: `Memory, not CPU: no CPU profile. What procinit's ${metrics.get('idle').stat('procinit').median.toFixed(1)} MiB is made of (last repetition): ${row.extra.breakdown}. A bare idle node process: ${nodeRow?.extra.breakdown ?? '?'}.`,
    };
  }
  if (goal.scenario === 'start') {
    const mdir = join(dir, 'markers');
    mkdirSync(mdir);
    const progs = Array.from({ length: 10 }, (_, i) => ({ name: `p${i + 1}`, argv: [ctx.programs.marker, join(mdir, `p${i + 1}`)] }));
    const prepared = procinitTool.prepare(dir, { programs: progs, restart: false }, { profileDir: dir });
    const out = openSync(join(dir, 'out.log'), 'a');
    const t0 = now();
    const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir, stdio: ['ignore', out, out] });
    closeSync(out);
    await waitFor(() => markers(mdir).length >= 10, { timeoutMs: 30000, intervalMs: 1 });
    text = `Under the profiler the 10 programs had exec'd after ${(Math.max(...markers(mdir).map((m) => m.ms)) - t0).toFixed(1)} ms; the profile covers start-up and the stop that follows.`;
    await stopTool(run);
    command = `node --cpu-prof ${js} -f Procfile (10 programs)`;
  } else if (goal.scenario === 'throughput') {
    const r = await throughputOnce(ctx, { id: 'procinit', label: 'procinit', kind: 'procinit', tool: procinitTool }, { lines: options.lines, timeoutMs: 300000, profileDir: dir });
    text = `Under the profiler: ${Math.round(r.rate ?? 0).toLocaleString('en')} lines/s (${r.verify.summary}).`;
    command = `node --cpu-prof ${js} -f Procfile (8 × ${options.lines.toLocaleString('en')} lines)`;
  } else if (goal.scenario === 'shutdown') {
    const r = await shutdownOnce(ctx, procinitTool, { settleMs: 1200, profileDir: dir });
    text = `Under the profiler: SIGTERM to exit ${r.ms?.toFixed(1)} ms.`;
    command = `node --cpu-prof ${js} -f Procfile (20 programs, SIGTERM)`;
  } else if (goal.scenario === 'reaping') {
    const which = goal.id === 'reap-procinit-procfile' ? 'procinit-procfile' : 'procinit';
    const r = await reapOnce(ctx, reapers(ctx).find((x) => x.id === which), { orphans: options.orphans, profileDir: dir });
    text = `Under the profiler: ${r.ms !== undefined ? `${r.ms.toFixed(1)} ms` : r.error}.`;
    command = `unshare --pid --fork --mount-proc node --cpu-prof ${js} ${which === 'procinit' ? '-- orphans' : '-f Procfile'}`;
  } else if (goal.scenario === 'control') {
    if (!ctx.features.control) return null;
    const mdir = join(dir, 'markers');
    mkdirSync(mdir);
    const progs = Array.from({ length: 10 }, (_, i) => ({ name: `p${i + 1}`, argv: [ctx.programs.marker, join(mdir, `p${i + 1}`)] }));
    const prepared = procinitTool.prepare(dir, { programs: progs, restart: false });
    const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir });
    await waitFor(() => markers(mdir).length >= 10, { timeoutMs: 30000 });
    const p = procinit.profileArgs(dir);
    const t0 = now();
    spawnSync(p.cmd, [...p.args, ...prepared.control.args.slice(procinit.args.length)], { env: prepared.control.env, cwd: dir });
    text = `The client under the profiler: ${(now() - t0).toFixed(1)} ms.`;
    await stopTool(run);
    command = `node --cpu-prof ${js} status --socket …`;
  } else return null;
  const file = biggestProfile(dir);
  if (!file) return { text: `${text} (no profile was written)` };
  const kept = join(profileRoot, `${goal.scenario}.cpuprofile`);
  copyFileSync(file, kept);
  return { command, scenario: goal.scenario, profile: kept, text: `${text} Profile kept in ${relative(repo, kept)} (not committed).`, summary: summarizeProfile(file) };
}

// ---- report ----
const method = [
  'Every measured process runs without NODE_EXTRA_CA_CERTS and NODE_OPTIONS; the tools run the same compiled programs (bench/programs/*.c): procinit and foreman from a Procfile (each line run through `sh -c`, as Procfile users write them), supervisord from a supervisord.conf (stdout_logfile=/dev/stdout, maxbytes 0), pm2-runtime from an ecosystem file (interpreter none).',
  'Clocks: the programs stamp CLOCK_MONOTONIC into marker files (written then renamed); the harness reads the same clock (process.hrtime). Memory: VmRSS from /proc/<pid>/status summed over the tool’s process tree minus the benchmark programs (so pm2’s and supervisord’s interpreters, and the `sh -c` wrappers a Procfile tool keeps, count). CPU: utime+stime from /proc/<pid>/stat of those processes.',
  'Start: clock read just before the harness spawns the tool, until the last of 10 programs has stamped its marker. Each start, floors included, waits first for a quiet machine (under 10 % of the CPUs busy over 200 ms, at most 5 s): the tool started before it, still running for the idle scenario, may still be busy (pm2-runtime’s daemon is, for about a second). On a machine busy with other work the wait also ends once everything the harness started has used under 5 % of the CPUs for two such windows in a row. Floors: `node -e 0` from spawn to exit; tini (-s) with one program until its marker.',
  'Idle memory: the tools of one repetition start one after another and then idle side by side; each is sampled 5 s after its own start (later when the tools started after it took longer). Floor: a bare `node -e "setInterval(…)"`. The notes split the VmRSS by process (anon = RssAnon) and give the PSS (from smaps_rollup: shared pages divided among their users) for information; the goals use VmRSS.',
  'Control: the status client from spawn to exit, alternating tools call by call, against the tool started for the idle scenario (10 programs); `node -e 0` in the same rotation as the floor. Client max RSS from `/usr/bin/time -v`.',
  `Log throughput: 8 generators write 100-byte lines, 40 per write(2) (4000 bytes, under PIPE_BUF), then stay alive (so no tool sees an exit); the tool’s stdout is a file opened O_APPEND. Once all 8 run under the tool they are released together (each blocks opening a FIFO until the harness opens it), so a slow start does not count. Each generator then waits until the tool has read all its bytes (FIONREAD / SIOCOUTQ on its stdout) and says so; once all have and the file has been quiet for 300 ms, the end is the moment (polled every 5 ms) the file grew past the programs’ last byte (trailing lines the tool logged itself do not count). Rate = lines written ÷ (end − release). CPU per million lines: the tool’s utime+stime from release to end. Every line is checked: “@@” + id + sequence + filler derived from the sequence, after any prefix; per program count and sum of sequence numbers (the checksum). Peak RSS sampled every 100 ms. Floor: the same 8 generators into one pipe read by \`cat\`.`,
  `Log throughput with block writes: the same, but each generator writes 4096-byte blocks that cut lines anywhere, as C stdio does on a pipe (${options.blockLines.toLocaleString('en')} lines per program): a tool that copies chunks from several programs to one output interleaves half lines here.`,
  'Shutdown: 20 programs that exit 0 at once on SIGTERM/SIGINT, 1.2 s after they all started; SIGTERM to the tool until the harness sees it exit. Overhead = that minus the floor of the same repetition: the harness SIGTERMs 20 such programs itself and waits for all to exit. Programs left running after the tool exited are counted and reported.',
  `Reaping: \`unshare --pid --fork --mount-proc TOOL …\`; the program forks a child that forks ${options.orphans.toLocaleString('en')} children which exit at once, and exits: all zombies go to PID 1 at once. From the child’s last stamp before its exit until /proc/<pid1>/task/*/children holds no zombie (polled every 1 ms).`,
  `Memory under churn: one procinit with one supervisord.conf (the load's programs autostart=false); VmRSS 5 s after it came up (idle), then under ${options.churnLoadMs / 1000} s of load (crash loop at full speed + 4 \`yes\` floods + 100 \`logs -f\` followers, sampled every 250 ms), then once a second for ${options.churnAfterMs / 1000} s after the load stopped. The load runs first and alone; the quiet minute after it, in which procinit only idles, passes while the other scenarios run.`,
  `Restart: one program that appends a byte to a file and exits (bytes = starts); supervisord.conf with startsecs=0, autorestart=true (procinit runs the same file with -c), pm2 with restart_delay 0, min_uptime 0 and no restart limit. Restarts per second over a ${options.restartWindowMs / 1000} s window after warm-up; supervisor CPU per restart from the tool’s own utime+stime (10 ms ticks).`,
];
machine.loadEnd = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const docsDir = join(repo, 'docs');
mkdirSync(docsDir, { recursive: true });
const outFile = opt.out ?? join(docsDir, 'benchmarks.md');
const chartFile = join(dirname(outFile), `${basename(outFile, '.md')}.svg`);
// a flame graph beside the report for each profiled miss (old ones go: they belong to the last run)
for (const f of readdirSync(dirname(outFile))) if (f.startsWith(`${basename(outFile, '.md')}-flame-`) && f.endsWith('.svg')) rmSync(join(dirname(outFile), f));
for (const p of profiles) {
  if (!p.profile) continue;
  const svg = flameGraphSvg(p.profile, `procinit, ${p.command}`);
  if (!svg) continue;
  p.flame = `${basename(outFile, '.md')}-flame-${p.scenario}.svg`;
  writeFileSync(join(dirname(outFile), p.flame), svg);
}
writeFileSync(chartFile, renderChart(metrics, ['start', 'idle', 'throughput', 'throughput-cpu', 'throughput-block', 'shutdown-raw', 'reaping', 'restart', 'restart-cpu', 'control']));
if (procinit.note) notes.push(procinit.note);
notes.push('foreman (ruby-foreman from Debian) is measured as a Procfile runner in honcho’s place; it has no auto-restart and no control command.');
if (procinit.kind === 'sea') notes.push('Start, idle memory and control also show `node dist/procinit.js` (the bundle the single executable is built from); the goals use the single executable.');
writeFileSync(
  outFile,
  renderReport({
    metrics,
    goals,
    machine,
    options,
    procinit,
    notes,
    profiles,
    method,
    durationS: (now() - started) / 1000,
    scenarioSeconds: seconds,
    chartFile: basename(chartFile),
    features: ctx.features,
    analysis: existsSync(join(benchDir, 'analysis.md')) ? readFileSync(join(benchDir, 'analysis.md'), 'utf8') : null,
  }),
);
if (scaleResult) {
  const scaleChart = `${basename(outFile, '.md')}-scale.svg`;
  writeFileSync(join(dirname(outFile), scaleChart), scaleSvg(scaleResult));
  const text = readFileSync(outFile, 'utf8');
  // after the results, before the method
  const at = text.indexOf('\n## How each figure is measured');
  const section = scaleMarkdown(scaleResult, scaleChart);
  writeFileSync(outFile, at === -1 ? text + section : text.slice(0, at) + section + text.slice(at));
}
log(`wrote ${relative(repo, outFile)} and ${relative(repo, chartFile)}`);
for (const g of goals) log(`goal ${g.met === null ? 'n/a ' : g.met ? 'MET ' : 'MISS'} ${g.goal}: ${g.measured}`);
if (opt['keep-tmp']) log(`kept ${tmp}`);
