// Scenario 5, reaping: as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`), the tool
// runs a program whose child forks 10 000 children that exit at once and then exits itself: 10 000 zombies
// are handed to PID 1 in one go. Time from that hand-over to the moment no zombie child of PID 1 remains,
// watched from outside through /proc/<pid>/task/*/children and each child's state.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, launch, now, safeName, sleep, status, waitFor, timeout } from './proc.mjs';
import { Metric, rotate } from './stats.mjs';
import { writeProcfile } from './tools.mjs';

/** The tools that can be PID 1 here and how each runs the orphan maker. */
export function reapers(ctx) {
  const list = [
    {
      id: 'procinit',
      label: 'procinit -- CMD (tini mode)',
      kind: 'procinit',
      argv: (dir, prog, profileDir) => [...(profileDir ? profileArgs(ctx, profileDir) : procinitArgv(ctx)), '--', ...prog],
    },
    {
      id: 'procinit-procfile',
      label: 'procinit -f Procfile',
      kind: 'procinit',
      argv: (dir, prog, profileDir) => [...(profileDir ? profileArgs(ctx, profileDir) : procinitArgv(ctx)), '-f', writeProcfile(dir, [{ name: 'orphans', argv: prog }])],
    },
    { id: 'tini', label: 'tini', kind: 'peer', missing: ctx.peers.tini ? null : 'n/a (tini not installed)', argv: (dir, prog) => [ctx.peers.tini, '--', ...prog] },
    { id: 'dumb-init', label: 'dumb-init', kind: 'peer', missing: ctx.peers.dumbInit ? null : 'n/a (dumb-init not installed)', argv: (dir, prog) => [ctx.peers.dumbInit, ...prog] },
  ];
  return list;
}

function procinitArgv(ctx) {
  return [ctx.procinit.cmd, ...ctx.procinit.args];
}

function profileArgs(ctx, dir) {
  const p = ctx.procinit.profileArgs(dir);
  return [p.cmd, ...p.args];
}

const read = (f) => readFileSync(f, 'utf8').trim().split(/\s+/).map(Number);

/** One run; returns { ms, made, left, error }. */
export async function reapOnce(ctx, reaper, { orphans, timeoutMs = 10000, profileDir = null }) {
  const dir = mkdtempSync(join(ctx.tmp, `reap-${safeName(reaper.id)}-`));
  const prog = [ctx.programs.orphans, String(orphans), dir];
  const argv = reaper.argv(dir, prog, profileDir);
  const out = openSync(join(dir, 'out.log'), 'a');
  const run = launch(ctx.peers.unshare, ['--pid', '--fork', '--mount-proc', ...argv], { env: ctx.env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  const result = {};
  try {
    const pid1 = await waitFor(() => children(run.pid)[0], { timeoutMs: 10000 });
    if (!pid1) return { error: 'unshare did not start the tool' };
    const handed = await waitFor(() => existsSync(join(dir, 'orphaned')), { timeoutMs: 60000, intervalMs: 1 });
    if (!handed) return { error: 'the orphan maker did not finish within 60 s' };
    const [startNs, made] = read(join(dir, 'orphaned.start'));
    result.made = made;
    const t0 = startNs / 1e6;
    const deadline = now() + timeoutMs;
    for (;;) {
      const kids = children(pid1);
      const t = now();
      let zombies = kids.length;
      if (kids.length <= 64) zombies = kids.filter((k) => status(k)?.state === 'Z').length;
      if (zombies === 0) {
        result.ms = t - t0;
        result.left = 0;
        break;
      }
      if (t > deadline) {
        result.left = zombies;
        result.error = `${zombies} zombies left after ${timeoutMs / 1000} s`;
        break;
      }
      await sleep(1);
    }
    if (profileDir) {
      // let procinit write its profile: a clean stop (TERM to PID 1 of the namespace)
      process.kill(pid1, 'SIGTERM');
      await Promise.race([run.exited, timeout(10000)]);
    }
    return result;
  } finally {
    const pid1 = children(run.pid)[0];
    if (pid1) {
      try {
        process.kill(pid1, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await Promise.race([run.exited, timeout(10000)]);
  }
}

export async function reapingScenario(ctx, { reps, orphans, log }) {
  const metric = new Metric('reaping', { scenario: 'reaping', title: `Reaping as PID 1: ${orphans.toLocaleString('en')} orphaned zombies handed over at once, until none is left`, chartTitle: `Reaping ${orphans.toLocaleString('en')} orphans as PID 1`, unit: 'ms', better: 'lower', digits: 1 });
  if (!ctx.peers.unshare) {
    metric.na('procinit', 'procinit', 'procinit', 'n/a (no unshare)');
    return [metric];
  }
  const list = reapers(ctx);
  for (let rep = 0; rep < reps; rep++) {
    log(`  reaping rep ${rep + 1}/${reps}`);
    for (const r of rotate(list, rep)) {
      if (r.missing) {
        metric.na(r.id, r.label, r.kind, r.missing);
        continue;
      }
      const res = await reapOnce(ctx, r, { orphans });
      if (res.made !== undefined && res.made !== orphans) metric.note(r.id, r.label, r.kind, `rep ${rep + 1}: only ${res.made} orphans made`);
      if (res.error) metric.note(r.id, r.label, r.kind, `rep ${rep + 1}: ${res.error}`);
      if (res.ms !== undefined) metric.add(r.id, r.label, r.kind, res.ms);
    }
  }
  return [metric];
}
