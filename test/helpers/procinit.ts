/**
 * Run the real procinit (dist/procinit.js, built by `npm test` before vitest starts) and watch it:
 * collect its output, wait for lines and for its exit. Events are awaited, never slept on.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');
export const PROCINIT_JS = join(REPO, 'dist/procinit.js');
export const CORPUS = resolve(REPO, '../shared/corpus');

/** The command that runs procinit: [node, dist/procinit.js]. */
export function procinitArgv(): string[] {
  return [process.execPath, PROCINIT_JS];
}

/** Environment for a child procinit: no colour, no slow CA loading. */
export function testEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.FORCE_COLOR;
  delete env.PROCINIT_SOCKET;
  env.NO_COLOR = '1';
  // each procinit a test starts gets its own control socket: a live /run/procinit.sock refuses the next one
  const own = mkdtempSync(join(tmpdir(), 'procinit-sock-'));
  env.PROCINIT_SOCKET = join(own, 'ctl.sock');
  // and its own TMPDIR: a supervisord.conf without childlogdir writes AUTO logs there and clears every
  // *---supervisor-*.log in it at start, as supervisord does; in a shared /tmp one test's start removed the
  // AUTO logs of the tests running beside it ('WARN Failed to clean up' in another test's start-up lines)
  env.TMPDIR = own;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function tempDir(prefix = 'procinit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A temp folder holding these files (name -> content). */
export function fixtureDir(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o755 });
  return dir;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Watched {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      this.stdout += d;
      this.check();
    });
    child.stderr?.on('data', (d: string) => {
      this.stderr += d;
      this.check();
    });
    this.exited = new Promise((res) => child.once('close', (code, signal) => res({ code, signal })));
    void this.exited.then(() => this.check());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolve when the output (stdout + stderr) matches; reject if procinit exits first. */
  waitFor(pattern: RegExp | string, timeoutMs = 30_000): Promise<string> {
    const test = (): boolean => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`)), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.output);
      };
      if (test()) return done();
      this.waiters.push({ test, resolve: done });
      void this.exited.then(() => {
        setImmediate(() => {
          if (!test()) {
            clearTimeout(timer);
            reject(new Error(`procinit exited before ${pattern}; output:\n${this.output}`));
          }
        });
      });
    });
  }

  /** Count of matches of a pattern in the output so far. */
  count(pattern: RegExp): number {
    return (this.output.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g')) ?? []).length;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  async exit(timeoutMs = 30_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`procinit did not exit within ${timeoutMs} ms; output:\n${this.output}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Start procinit with these arguments. */
export function startProcinit(args: string[], opts: SpawnOptions & { env?: Record<string, string | undefined> } = {}): Watched {
  const [node, script] = procinitArgv();
  const child = spawn(node, [script, ...args], { ...opts, env: testEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  return new Watched(child);
}

/** Start any command, watched the same way. */
export function startWatched(cmd: string, args: string[], opts: SpawnOptions & { env?: Record<string, string | undefined> } = {}): Watched {
  const child = spawn(cmd, args, { ...opts, env: testEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  return new Watched(child);
}

/** Is the pid alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Poll a condition (for facts only the kernel knows, like a pid disappearing) until true. */
export async function until(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
