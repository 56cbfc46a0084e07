// Scenario 6, restart: a program that exits at once (appends one byte to a file: bytes = starts) under
// auto-restart with no backoff (supervisord.conf: startsecs=0, autorestart=true; pm2: restart_delay 0,
// no restart limit). Restarts per second over a window, and the supervisor's own CPU (utime+stime of its
// processes, not the program's) per restart.
import { closeSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpuTicks, launch, now, safeName, sleep, stopTool, TICK_MS, toolProcesses, waitFor } from './proc.mjs';
import { Metric, rotate } from './stats.mjs';
import { runsInRep } from './goals.mjs';
import { kindOf } from './tools.mjs';

function size(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export async function restartOnce(ctx, tool, { windowMs, profileDir = null }) {
  const dir = mkdtempSync(join(ctx.tmp, `restart-${safeName(tool.id)}-`));
  const ticks = join(dir, 'ticks');
  const prepared = tool.prepare(dir, { programs: [{ name: 'r', argv: [ctx.programs.tick, ticks] }], restart: true }, { profileDir });
  const out = openSync(join(dir, 'out.log'), 'a');
  const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  try {
    let exited = null;
    run.exited.then((e) => (exited = e));
    if (!(await waitFor(() => size(ticks) >= 3 || exited, { timeoutMs: 15000, intervalMs: 5 })) || size(ticks) < 3) {
      if (!exited) return { error: 'fewer than 3 starts in 15 s' };
      const tail = readFileSync(join(dir, 'out.log'), 'utf8').trim().split('\n').slice(-2).join(' / ');
      return { error: `the tool exited (code ${exited.code}) after ${size(ticks)} start(s): “${tail}”` };
    }
    await sleep(300);
    const sample = () => ({ t: now(), n: size(ticks), cpu: toolProcesses(run.pid, ctx.programExes).reduce((a, p) => a + cpuTicks(p.pid), 0) });
    const a = sample();
    await sleep(windowMs);
    const b = sample();
    const restarts = b.n - a.n;
    return {
      restarts,
      rate: (restarts / (b.t - a.t)) * 1000,
      cpuMs: restarts > 0 ? ((b.cpu - a.cpu) * TICK_MS) / restarts : null,
      cpuShare: ((b.cpu - a.cpu) * TICK_MS) / (b.t - a.t),
    };
  } finally {
    await stopTool(run);
  }
}

export async function restartScenario(ctx, tools, { reps, contextReps = reps, windowMs, log }) {
  const rate = new Metric('restart', { scenario: 'restart', title: 'Restart: an exiting program under auto-restart without backoff', unit: 'restarts/s', better: 'higher', digits: 0 });
  const cpu = new Metric('restart-cpu', { scenario: 'restart', title: 'Restart: supervisor CPU per restart', unit: 'ms', better: 'lower', digits: 2 });
  for (let rep = 0; rep < reps; rep++) {
    log(`  restart rep ${rep + 1}/${reps}`);
    for (const t of rotate(tools, rep)) {
      if (!runsInRep('restart', t.id, rep, contextReps)) continue;
      const kind = kindOf(t);
      const unsupported = t.missing ?? (t.supports('restart') === true ? null : t.supports('restart'));
      if (unsupported) {
        rate.na(t.id, t.label, kind, unsupported);
        cpu.na(t.id, t.label, kind, unsupported);
        continue;
      }
      const r = await restartOnce(ctx, t, { windowMs });
      if (r.error) {
        rate.note(t.id, t.label, kind, `rep ${rep + 1}: ${r.error}`);
        continue;
      }
      rate.add(t.id, t.label, kind, r.rate);
      if (r.cpuMs !== null) cpu.add(t.id, t.label, kind, r.cpuMs);
      if (r.restarts < 50) cpu.note(t.id, t.label, kind, "under 50 restarts in the window and CPU counted in 10 ms ticks: a coarse figure");
      (rate.row(t.id, t.label, kind).extra.cpuShare ??= []).push(r.cpuShare);
    }
  }
  return [rate, cpu];
}
