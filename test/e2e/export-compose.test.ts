/**
 * `procinit export compose` end to end: the export, written by the single executable, brought up by
 * docker-compose on the local Docker engine with images built offline (test/helpers/docker.ts), each
 * service with network_mode none (an override file: the export itself is unchanged), the servers reached
 * from inside their containers on their ports.
 *
 * Needs a Docker engine and docker-compose (Debian's 1.29); skipped with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BASE_IMAGE, buildScenarioImages, docker, dockerEnvironment, dockerOk, eventually, imageName, type Result } from '../helpers/docker.js';
import { REPO } from '../helpers/procinit.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const engine = dockerEnvironment();
const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8', timeout: 30_000 }).status === 0;
const skip = !engine.ready ? engine.message : !compose ? 'skipped: docker-compose not installed (apt-get install docker-compose)' : null;
if (skip) console.warn(`test/e2e/export-compose.test.ts: ${skip}`);

const work = mkdtempSync(join(tmpdir(), 'procinit-e2e-export-'));
const APP_IMAGE = `procinit-e2e-export-app:${process.pid}`;
const projects: Array<{ name: string; files: string[] }> = [];
let binary = '';

/** busybox httpd as the web server; the page says the value .env gave it and the instance name. */
const PROCFILE = [
  'web: mkdir -p /tmp/www && echo "hello $GREETING from $PS" > /tmp/www/index.html && exec httpd -f -p $PORT -h /tmp/www',
  'worker: while true; do sleep 1; done',
  'migrate: echo "migrations applied"',
  'db: exec httpd -f -p 5400 -h /tmp',
  '',
].join('\n');

/** The health model (issue 15): web limited and waiting for db to be ready; db ready when its port answers. */
const PROCINIT_TOML = ['[web]', 'memory = "64M"', 'cpu = 0.5', 'depends_on = { db = "ready" }', '[db]', 'readiness = "tcp-socket :5400 period=1s"', ''].join('\n');

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Result {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `procinit export compose ARGS -o OUT` by the single executable, in cwd; the compose file. */
function exportCompose(cwd: string, out: string, args: string[]): string {
  const r = run(binary, ['export', 'compose', '-o', out, ...args], cwd);
  expect(r.stderr).toMatch(/^wrote /);
  expect(r.code).toBe(0);
  return join(out, 'compose.yaml');
}

/** Bring the export up with every service on network_mode none; returns a runner for compose commands. */
function up(file: string, name: string): (args: string[]) => Result {
  const services = Object.keys((parse(readFileSync(file, 'utf8')) as { services: Record<string, unknown> }).services);
  const override = `${file}.no-network.yaml`;
  writeFileSync(override, `services:\n${services.map((s) => `  ${s}:\n    network_mode: none\n`).join('')}`);
  const project = { name, files: [file, override] };
  projects.push(project);
  const dc = (args: string[]) => run('docker-compose', ['-p', name, ...project.files.flatMap((f) => ['-f', f]), ...args], work);
  const r = dc(['up', '-d']);
  expect(`${r.stderr}${r.stdout}`).not.toMatch(/ERROR/);
  expect(r.code).toBe(0);
  return dc;
}

/** The container id of a service's first replica. */
function containerOf(dc: (args: string[]) => Result, service: string): string {
  const id = dc(['ps', '-q', service]).stdout.trim().split('\n')[0];
  expect(id).toMatch(/^[0-9a-f]{12,}$/);
  return id;
}

async function get(id: string, port: number): Promise<Result> {
  return docker(['exec', id, 'wget', '-qO-', `http://127.0.0.1:${port}/`], 5_000);
}

describe.skipIf(skip !== null)('export compose, brought up by docker-compose', () => {
  beforeAll(async () => {
    binary = ensureSeaBinary();
    await buildScenarioImages(binary, ['supervisord', 'procfile']);
    // an app image as a user builds one: the app's folder is the WORKDIR; .env stays out of the image
    const ctx = join(work, 'ctx');
    mkdirSync(join(ctx, 'app'), { recursive: true });
    copyFileSync(binary, join(ctx, 'procinit'));
    writeFileSync(join(ctx, 'app', 'Procfile'), PROCFILE);
    writeFileSync(join(ctx, 'app', 'procinit.toml'), PROCINIT_TOML);
    writeFileSync(join(ctx, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY procinit /usr/local/bin/procinit\nCOPY app /app\nWORKDIR /app\nCMD ["procinit"]\n');
    await dockerOk(['build', '-q', '--label', 'procinit-e2e=1', '--build-arg', `BASE=${BASE_IMAGE}`, '-t', APP_IMAGE, ctx], 300_000);
  }, 400_000);

  afterAll(async () => {
    for (const p of projects.splice(0)) run('docker-compose', ['-p', p.name, ...p.files.flatMap((f) => ['-f', f]), 'down', '-t', '2'], work);
    await docker(['rmi', '-f', APP_IMAGE]);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('a Procfile app: the migration completes first, web answers on its PORT with the .env value and runs within its limits, two workers run', async () => {
    const appDir = join(work, 'app');
    mkdirSync(appDir, { recursive: true });
    writeFileSync(join(appDir, 'Procfile'), PROCFILE);
    writeFileSync(join(appDir, 'procinit.toml'), PROCINIT_TOML);
    writeFileSync(join(appDir, '.env'), 'GREETING=hi-from-dotenv\n');
    const file = exportCompose(appDir, join(work, 'out-app'), ['--image', APP_IMAGE, '-m', 'worker=2']);
    const dc = up(file, `procinit-e2e-app-${process.pid}`);

    const web = containerOf(dc, 'web');
    const r = await eventually(() => get(web, 5000), (res) => res.code === 0, 'web to answer on 5000');
    expect(r.stdout).toBe('hello hi-from-dotenv from web.1\n');

    const migrate = containerOf(dc, 'migrate');
    const [state, finished] = (await dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}|{{.State.FinishedAt}}', migrate])).trim().split('|');
    expect(state).toBe('exited 0');
    const started = (await dockerOk(['inspect', '-f', '{{.State.StartedAt}}', web])).trim();
    expect(Date.parse(started)).toBeGreaterThanOrEqual(Date.parse(finished));
    expect((await docker(['logs', migrate])).stdout).toContain('migrations applied');

    // the formation is deploy.replicas: two worker containers
    const workers = dc(['ps', '-q', 'worker']).stdout.trim().split('\n');
    expect(workers).toHaveLength(2);
    for (const worker of workers) expect((await dockerOk(['inspect', '-f', '{{.State.Running}}', worker])).trim()).toBe('true');

    // the health model reached Docker: web's limits, and db healthy (its healthcheck asks procinit) before web started
    expect((await dockerOk(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', web])).trim()).toBe(`${64 * 1024 ** 2} 500000000`);
    const db = containerOf(dc, 'db');
    expect((await dockerOk(['inspect', '-f', '{{.State.Health.Status}}', db])).trim()).toBe('healthy');
  });

  it('docker/supervisord exported from the repository root runs in its image (config found in the WORKDIR)', async () => {
    const file = exportCompose(REPO, join(work, 'out-supervisord'), ['--image', imageName('supervisord'), '-c', 'docker/supervisord/supervisord.conf']);
    const dc = up(file, `procinit-e2e-sv-${process.pid}`);
    for (const [service, port, body] of [['foo', 8080, 'Hello Foo'], ['bar', 8081, 'Hello Bar']] as const) {
      const id = containerOf(dc, service);
      const r = await eventually(() => get(id, port), (res) => res.code === 0, `${service} to answer on ${port}`);
      expect(r.stdout).toBe(`${body}\n`);
    }
  });

  it('docker/procfile exported from the repository root: each server answers in its own container', async () => {
    const file = exportCompose(REPO, join(work, 'out-procfile'), ['--image', imageName('procfile'), '-f', 'docker/procfile/Procfile']);
    const dc = up(file, `procinit-e2e-pf-${process.pid}`);
    for (const [service, port, body] of [['foo', 8080, 'Hello Foo'], ['bar', 8081, 'Hello Bar']] as const) {
      const id = containerOf(dc, service);
      const r = await eventually(() => get(id, port), (res) => res.code === 0, `${service} to answer on ${port}`);
      expect(r.stdout).toBe(`${body}\n`);
    }
  });
});
