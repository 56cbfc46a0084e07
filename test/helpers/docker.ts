/**
 * A real Docker engine for the end-to-end tests: make it ready (test/e2e/docker-env.sh starts dockerd if
 * it can and builds the offline base image), build the images in docker/, run containers and look inside.
 * Containers use --network none: their servers are reached from inside with `docker exec`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startWatched, type Watched } from './procinit.js';

export const BASE_IMAGE = process.env.PROCINIT_E2E_BASE ?? 'procinit-e2e-base';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function dockerEnv(): NodeJS.ProcessEnv {
  // the legacy builder: needs no buildx plugin, and the base image is local anyway
  return { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' };
}

/** Run `docker ARGS`; never rejects: the exit code is in the result. */
export function docker(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile('docker', args, { env: dockerEnv(), timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      // a number: docker's exit code; otherwise it did not run or was killed by the timeout
      const code = typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr: code === -1 ? `${stderr}${err.message}` : stderr });
    });
  });
}

/** `docker ARGS` that must succeed; returns stdout. */
export async function dockerOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await docker(args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Is a Docker engine usable? Starts one and builds the base image if it can (synchronous: for skipIf). */
export function dockerEnvironment(): { ready: boolean; message: string } {
  const r = spawnSync('sh', [join(REPO, 'test/e2e/docker-env.sh')], { encoding: 'utf8', timeout: 120_000 });
  const message = (r.stdout + r.stderr).trim().split('\n').pop() ?? '';
  if (r.status === 0) return { ready: true, message };
  return { ready: false, message: message.startsWith('skipped:') ? message : `skipped: no docker engine (docker-env.sh: ${r.status ?? r.signal}: ${message})` };
}

export const SCENARIOS = ['procfile', 'supervisord', 'tini', 'supervisor-swap'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Tagged per checkout, so that test runs from two work trees at once never run each other's images. */
const CHECKOUT_TAG = createHash('sha256').update(REPO).digest('hex').slice(0, 8);

export function imageName(scenario: Scenario): string {
  return `procinit-e2e-${scenario}:${CHECKOUT_TAG}`;
}

/** Build docker/<scenario>/Dockerfile.test for each scenario, from a context holding docker/ and the binary. */
export async function buildScenarioImages(binary: string, scenarios: readonly Scenario[] = SCENARIOS): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'procinit-e2e-ctx-'));
  try {
    cpSync(join(REPO, 'docker'), ctx, { recursive: true });
    copyFileSync(binary, join(ctx, 'procinit'));
    for (const s of scenarios) {
      await dockerOk(
        ['build', '-q', '--label', `procinit-e2e=${CHECKOUT_TAG}`, '--build-arg', `BASE=${BASE_IMAGE}`, '-f', join(ctx, s, 'Dockerfile.test'), '-t', imageName(s), ctx],
        300_000,
      );
    }
    // the images these replaced (a new binary each time the sources change): ~95 MB each. Only this
    // checkout's: another checkout's build in progress has dangling intermediate images of its own, and
    // pruning them failed its build ("unknown parent image ID") when two work trees ran the suite at once
    await docker(['image', 'prune', '-f', '--filter', `label=procinit-e2e=${CHECKOUT_TAG}`]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

let counter = 0;

/** A running container, removed by removeAll(). */
export class Container {
  static readonly all: Container[] = [];

  private constructor(readonly name: string) {
    Container.all.push(this);
  }

  /** `docker run -d --network none [runArgs] IMAGE [cmd]`. */
  static async run(image: string, cmd: string[] = [], runArgs: string[] = []): Promise<Container> {
    const name = `procinit-e2e-${process.pid}-${++counter}`;
    const c = new Container(name);
    await dockerOk(['run', '-d', '--name', name, '--network', 'none', ...runArgs, image, ...cmd]);
    return c;
  }

  exec(cmd: string[], timeoutMs?: number): Promise<Result> {
    return docker(['exec', this.name, ...cmd], timeoutMs);
  }

  /** `docker exec -u USER`. */
  execAs(user: string, cmd: string[], timeoutMs?: number): Promise<Result> {
    return docker(['exec', '-u', user, this.name, ...cmd], timeoutMs);
  }

  /** `docker logs -f`, watched: wait for lines with waitFor(). */
  follow(): Watched {
    return startWatched('docker', ['logs', '-f', this.name]);
  }

  async logs(): Promise<string> {
    const r = await docker(['logs', this.name]);
    return r.stdout + r.stderr;
  }

  async state(): Promise<{ running: boolean; exitCode: number }> {
    const out = await dockerOk(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', this.name]);
    const [running, code] = out.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code) };
  }

  /** Block until the container ends (docker wait); its exit code. */
  async wait(timeoutMs = 30_000): Promise<number> {
    const r = await docker(['wait', this.name], timeoutMs);
    if (r.code !== 0) throw new Error(`docker wait ${this.name}: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  /** `docker stop -t GRACE`: how long it took and the exit code Docker recorded. */
  async stop(grace = 10): Promise<{ elapsedMs: number; exitCode: number }> {
    const t0 = Date.now();
    await dockerOk(['stop', '-t', String(grace), this.name], (grace + 20) * 1000);
    const elapsedMs = Date.now() - t0;
    return { elapsedMs, exitCode: (await this.state()).exitCode };
  }

  /** Processes inside: pid, ppid, state letter, command line (busybox ps). */
  async ps(): Promise<Array<{ pid: number; ppid: number; stat: string; args: string }>> {
    const r = await this.exec(['ps', '-o', 'pid,ppid,stat,args']);
    if (r.code !== 0) throw new Error(`ps in ${this.name}: ${r.stderr}`);
    return r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
        return m ? { pid: Number(m[1]), ppid: Number(m[2]), stat: m[3], args: m[4] } : null;
      })
      .filter((p): p is { pid: number; ppid: number; stat: string; args: string } => p !== null && !p.args.startsWith('ps -o'));
  }

  /** GET http://127.0.0.1:PORT/ from inside the container. */
  async get(port: number): Promise<Result> {
    // (busybox-static's wget crashes with -T; the exec's own timeout bounds it instead)
    return this.exec(['wget', '-qO-', `http://127.0.0.1:${port}/`], 5_000);
  }

  static async removeAll(): Promise<void> {
    const names = Container.all.splice(0).map((c) => c.name);
    if (names.length) await docker(['rm', '-f', ...names]);
  }
}

/**
 * Poll a fact only the container knows (a port answering, a process gone) until it holds.
 * Returns the last value; throws with `what` and the last value on timeout.
 */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}
