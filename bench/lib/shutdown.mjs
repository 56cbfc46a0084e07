// Scenario 4, shutdown: 20 programs that exit at once on SIGTERM/SIGINT. Time from SIGTERM to the
// supervisor's exit; overhead = that minus the programs' own exit time, measured in the same repetition
// by signalling 20 such programs directly (the floor). Also checks that no program is left running.
import { closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { alive, launch, markers, now, safeName, sleep, stopTool, waitFor, timeout } from './proc.mjs';
import { Metric, rotate } from './stats.mjs';
import { runsInRep } from './goals.mjs';
import { kindOf } from './tools.mjs';

const PROGRAMS = 20;

async function runTool(ctx, tool, { settleMs, profileDir = null }) {
  const dir = mkdtempSync(join(ctx.tmp, `shutdown-${safeName(tool.id)}-`));
  const mdir = join(dir, 'markers');
  mkdirSync(mdir);
  const programs = Array.from({ length: PROGRAMS }, (_, i) => {
    const name = `s${String(i + 1).padStart(2, '0')}`;
    return { name, argv: [ctx.programs.marker, join(mdir, name)] };
  });
  const prepared = tool.prepare(dir, { programs, restart: false }, { profileDir });
  const out = openSync(join(dir, 'out.log'), 'a');
  const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  if (!(await waitFor(() => markers(mdir).length >= PROGRAMS, { timeoutMs: 60000, intervalMs: 2 }))) {
    await stopTool(run);
    return { error: 'not all programs started within 60 s' };
  }
  await sleep(settleMs);
  const pids = markers(mdir).map((m) => m.pid);
  const t0 = now();
  process.kill(run.pid, 'SIGTERM');
  const ex = await Promise.race([run.exited, timeout(30000)]);
  const left = pids.filter(alive).length;
  await stopTool(run, 1000);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
  if (!ex) return { error: 'did not exit within 30 s of SIGTERM', left };
  return { ms: ex.at - t0, left, code: ex.code, signal: ex.signal };
}

/** The programs' own exit time: 20 of them started and SIGTERMed by the harness itself. */
async function runFloor(ctx, settleMs) {
  const dir = mkdtempSync(join(ctx.tmp, 'shutdown-floor-'));
  const runs = Array.from({ length: PROGRAMS }, (_, i) => launch(ctx.programs.marker, [join(dir, `s${i}`)], { env: ctx.env, group: false }));
  await waitFor(() => markers(dir).length >= PROGRAMS, { timeoutMs: 20000 });
  await sleep(Math.min(settleMs, 200));
  const t0 = now();
  for (const r of runs) process.kill(r.pid, 'SIGTERM');
  const exits = await Promise.all(runs.map((r) => r.exited));
  return Math.max(...exits.map((e) => e.at)) - t0;
}

export async function shutdownScenario(ctx, tools, { reps, contextReps = reps, settleMs = 1200, log }) {
  const raw = new Metric('shutdown-raw', { scenario: 'shutdown', title: `Shutdown: SIGTERM to the supervisor’s exit, ${PROGRAMS} programs`, unit: 'ms', better: 'lower', digits: 1 });
  const overhead = new Metric('shutdown', { scenario: 'shutdown', title: `Shutdown overhead: SIGTERM to exit minus the programs’ own exit time, ${PROGRAMS} programs`, unit: 'ms', better: 'lower', digits: 1 });
  const participants = [...tools, { id: 'floor', label: 'floor: programs’ own exit' }];
  for (let rep = 0; rep < reps; rep++) {
    log(`  shutdown rep ${rep + 1}/${reps}`);
    const results = [];
    let floor = null;
    for (const p of rotate(participants, rep)) {
      if (!runsInRep('shutdown', p.id, rep, contextReps)) continue;
      const kind = p.id === 'floor' ? 'floor' : kindOf(p);
      if (p.id === 'floor') {
        floor = await runFloor(ctx, settleMs);
        raw.add(p.id, p.label, kind, floor);
        continue;
      }
      if (p.missing) {
        raw.na(p.id, p.label, kind, p.missing);
        overhead.na(p.id, p.label, kind, p.missing);
        continue;
      }
      const r = await runTool(ctx, p, { settleMs });
      if (r.error) {
        raw.note(p.id, p.label, kind, `rep ${rep + 1}: ${r.error}`);
        continue;
      }
      if (r.left > 0) raw.note(p.id, p.label, kind, `rep ${rep + 1}: ${r.left} program(s) still running after the supervisor exited`);
      raw.add(p.id, p.label, kind, r.ms);
      results.push({ p, kind, ms: r.ms });
    }
    for (const { p, kind, ms } of results) overhead.add(p.id, p.label, kind, ms - floor);
  }
  return [overhead, raw];
}

export { runTool as shutdownOnce };
