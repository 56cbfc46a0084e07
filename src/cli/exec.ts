/**
 * `procinit -- CMD ARGS...`: tini mode. One command as the only process, under PID-1 care:
 * spawn, reap orphans, forward every signal, wait, and pass its exit code through (128+n for signal n,
 * 127 not found, 126 not executable). On TERM/INT/QUIT the child gets the signal and, if it is still
 * alive after the grace (-t SECONDS, default 5), SIGKILL.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { oneLine, SIGNALS } from '../config/errors.js';
import { killLeftoverChildren } from '../pid1/leftovers.js';
import { startReaper } from '../pid1/reaper.js';
import { handleForwardedSignals } from '../pid1/signals.js';
import { longTimeout, type Timer } from '../supervisor/clock.js';

export interface ExecOptions {
  /** Seconds between the first TERM/INT/QUIT and SIGKILL. */
  grace: number;
}

/** Resolve CMD like execvp does, to tell "not found" (127) from "not executable" (126). */
export function resolveCommand(cmd: string, env: Record<string, string | undefined>): { path: string } | { error: string; code: number } {
  const candidates = cmd.includes('/') ? [cmd] : (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).map((d) => join(d || '.', cmd));
  let sawNonExec = false;
  for (const c of candidates) {
    try {
      if (statSync(c).isDirectory()) {
        sawNonExec = true;
        continue;
      }
      accessSync(c, constants.X_OK);
      return { path: c };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') sawNonExec = true;
    }
  }
  return sawNonExec ? { error: `procinit: ${cmd}: permission denied (not executable)`, code: 126 } : { error: `procinit: ${cmd}: command not found`, code: 127 };
}

export async function execCommand(argv: string[], opts: ExecOptions): Promise<number> {
  const resolved = resolveCommand(argv[0], process.env);
  if ('error' in resolved) {
    process.stderr.write(resolved.error + '\n');
    return resolved.code;
  }
  const interactive = process.stdin.isTTY === true;
  // Signals and reaping are set up before the child exists (as tini does): a signal that arrives in
  // between is kept and passed on once the child runs, never dropped.
  let pid = -1;
  const pending: string[] = [];
  const reaper = startReaper({
    ownPids: () => (pid > 0 ? [pid] : []),
    onUnavailable: (err) => process.stderr.write(`procinit: warning: zombie reaping is OFF: ${err.message}\n`),
    sweepMs: 5000,
  });
  let killTimer: Timer | null = null;
  const send = (sig: string): void => {
    try {
      process.kill(interactive ? pid : -pid, `SIG${sig}` as NodeJS.Signals);
    } catch {
      try {
        process.kill(pid, `SIG${sig}` as NodeJS.Signals);
      } catch {
        /* already gone */
      }
    }
  };
  const forward = (sig: string): void => {
    if (pid <= 0) {
      pending.push(sig);
      return;
    }
    send(sig);
    if (sig === 'TSTP' || sig === 'TTIN' || sig === 'TTOU') return;
    if ((sig === 'TERM' || sig === 'INT' || sig === 'QUIT') && !killTimer) {
      send('CONT'); // a job-control-stopped child must wake up to act on its stop signal
      killTimer = longTimeout(opts.grace * 1000, () => send('KILL'));
    }
  };
  const unlisten = handleForwardedSignals(forward);
  // Own process group (and session) unless we share a terminal with the user: then the child stays in
  // the foreground group so that it can read the terminal.
  const child = spawn(resolved.path, argv.slice(1), { stdio: 'inherit', detached: !interactive, argv0: argv[0] });
  pid = child.pid ?? -1;
  if (pid > 0) pending.splice(0).forEach(forward);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`procinit: ${oneLine(`${argv[0]}: ${err.message}`)}\n`);
      resolve(err.code === 'EACCES' ? 126 : 127);
    });
    child.once('exit', (c, s) => resolve(c ?? 128 + (SIGNALS[(s ?? 'SIGKILL').replace(/^SIG/, '')] ?? 9)));
  });
  (killTimer as Timer | null)?.cancel(); // set by forward(), which TypeScript cannot see
  unlisten();
  // nothing we started may outlive us
  if (!interactive) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* group empty */
    }
  }
  // and neither may a daemon that left its process group (setsid): it was adopted by us
  const leftovers = await killLeftoverChildren({ reap: () => reaper.sweep() });
  if (leftovers > 0) process.stderr.write(`procinit: killed ${leftovers} leftover process(es) that had left their process group\n`);
  reaper.sweep();
  reaper.stop();
  return code;
}
