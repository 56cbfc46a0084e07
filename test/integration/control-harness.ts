/**
 * Shared by the control integration tests: a real procinit with its own socket in a temp folder, and
 * client commands run as real `node dist/procinit.js COMMAND ... --socket PATH` processes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fixtureDir, procinitArgv, startProcinit, testEnv, type Exit, type Watched } from '../helpers/procinit.js';

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a client command to its end. */
export function ctl(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CtlResult> {
  const [node, script] = procinitArgv();
  const child = spawn(node, [script, ...args], { cwd: opts.cwd, env: testEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface Run {
  dir: string;
  sock: string;
  w: Watched;
  /** A client command against this run's socket. */
  ctl(...args: string[]): Promise<CtlResult>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<Exit>;
}

/** Start procinit in a temp folder holding these files; resolves once the first program has started. */
export async function startRun(files: Record<string, string>, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const dir = fixtureDir(files);
  const sock = join(dir, 'ctl.sock');
  const w = startProcinit([...args, '--socket', sock], { cwd: dir, env });
  // the socket exists before any program starts (procinit's words, or supervisord's for a supervisord.conf)
  await w.waitFor(/started \(pid \d+\)|spawned: '[^']+' with pid \d+/);
  return {
    dir,
    sock,
    w,
    ctl: (...a: string[]) => ctl([...a, '--socket', sock], { cwd: dir }),
    stop: async () => {
      if (w.child.exitCode === null && w.child.signalCode === null) w.kill('SIGTERM');
      return w.exit();
    },
  };
}

/** Lines of the status table, as {name: [state, pid, restarts, info]}. */
/** `status`'s table by name: [state, pid, restarts, info, ready] (the per-type summary after the blank line is left out). */
export function parseTable(stdout: string): Record<string, string[]> {
  const table = stdout.split('\n\n')[0];
  const rows = table.trimEnd().split('\n').slice(1);
  return Object.fromEntries(rows.map((r) => {
    const [name, state, ready, pid, restarts, ...info] = r.split(/\s+/);
    return [name, [state, pid, restarts, info.join(' '), ready]];
  }));
}
