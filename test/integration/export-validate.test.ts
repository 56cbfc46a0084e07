/**
 * Exported compose files checked by compose itself: `docker-compose config` (Debian's docker-compose 1.29,
 * v1) validates against the compose-spec JSON schema it ships (compose/config/compose_spec.json) and
 * resolves env_file, depends_on and the rest the way `up` will. No engine needed. Compose v2 (`docker
 * compose config`) is used as well when its plugin is installed; Debian 12 does not package it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportCommand, type ExportIo } from '../../src/cli/export.js';

const base = mkdtempSync(join(tmpdir(), 'procinit-export-validate-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function has(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
}
const V1 = has('docker-compose', ['version']);
const V2 = has('docker', ['compose', 'version']);
if (!V1) console.warn('test/integration/export-validate.test.ts: skipped compose v1 checks: docker-compose not installed (apt-get install docker-compose)');
if (!V2) console.warn('test/integration/export-validate.test.ts: compose v2 (docker compose) not installed: checked with v1 only');

let n = 0;
function app(files: Record<string, string>): string {
  const dir = join(base, `app${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `procinit export compose ARGS -o out` in cwd; the written file's path. */
async function exportTo(cwd: string, args: string[]): Promise<string> {
  const io: ExportIo = { stdout: () => {}, stderr: () => {}, env: {}, cwd };
  expect(await exportCommand(['compose', '--image', 'registry.example/app:1', '-o', 'out', ...args], io)).toBe(0);
  return join(cwd, 'out', 'compose.yaml');
}

/** compose's own view of the file: validated and resolved, or its error message. */
function composeConfig(file: string, v2 = false): { code: number | null; out: string; err: string } {
  const [cmd, args] = v2 ? ['docker', ['compose', '-p', 'check', '-f', file, 'config']] : ['docker-compose', ['-p', 'check', '-f', file, 'config']];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Resolved = {
  services: Record<
    string,
    { environment?: Record<string, string>; restart?: string; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] }; mem_limit?: unknown; cpus?: unknown }
  >;
};

function check(file: string): Resolved[] {
  const views: Resolved[] = [];
  for (const v2 of [false, true]) {
    if (v2 ? !V2 : !V1) continue;
    const r = composeConfig(file, v2);
    expect(r.err + (r.code === 0 ? '' : r.out)).not.toMatch(/invalid|error/i);
    expect(r.code).toBe(0);
    views.push(parse(r.out) as Resolved);
  }
  return views;
}

describe.skipIf(!V1 && !V2)('exported compose files pass compose config', () => {
  it('a Procfile with a release task, a migration and .env: valid; the env reaches each service through env_file', async () => {
    const cwd = app({
      Procfile: 'web: bin/web\nworker: bin/worker\nrelease: bin/release\nmigrate: bin/migrate\n',
      '.env': 'DATABASE_URL=postgres://db/app\nFLAG=no\n',
    });
    for (const view of check(await exportTo(cwd, ['-m', 'worker=2']))) {
      expect(view.services.web.environment).toEqual({ DATABASE_URL: 'postgres://db/app', FLAG: 'no', PORT: '5000' });
      expect(view.services.release.restart).toBe('no');
      expect(view.services.worker.depends_on).toEqual({
        release: { condition: 'service_completed_successfully' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
  });

  it('a supervisord.conf exported from another folder, with -e files and a one-shot program', async () => {
    const cwd = app({
      'docker/supervisord/supervisord.conf':
        '[supervisord]\nnodaemon=true\n[program:foo]\ncommand=/app/server\n[program:bar]\ncommand=/app/server -bar\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)s\n[program:setup]\ncommand=/app/setup\nautorestart=false\nstartsecs=0\n',
      'conf/prod.env': 'A=1\n',
    });
    const [view] = check(await exportTo(cwd, ['-c', 'docker/supervisord/supervisord.conf', '-e', 'conf/prod.env']));
    if (view) expect(Object.keys(view.services).sort()).toEqual(['bar', 'foo', 'setup']);
  });

  it('a Cloud Foundry manifest with several applications (--app)', async () => {
    const cwd = app({
      'manifest.yml':
        'applications:\n- name: shop\n  env:\n    RAILS_ENV: production\n  processes:\n  - type: web\n    command: bundle exec puma -p $PORT\n    instances: 3\n  - type: worker\n    command: bundle exec sidekiq\n',
    });
    check(await exportTo(cwd, ['-c', 'manifest.yml', '--app', 'shop']));
  });

  it('the health model from procinit.toml: healthcheck, mem_limit/cpus, depends_on conditions', async () => {
    const cwd = app({
      Procfile: 'web: bin/web\ndb: bin/db\nmigrate: bin/migrate\n',
      'procinit.toml':
        '[web]\nreadiness = { type = "http", path = "/ready", period = "2s" }\nstartup = "tcp-socket :8000 period=1s #failure=30"\nmemory = "64M"\ncpu = 0.5\ndepends_on = { db = "ready" }\n[migrate]\ndepends_on = { db = "ready" }\n',
    });
    for (const view of check(await exportTo(cwd, []))) {
      expect(view.services.web.healthcheck?.test).toEqual(['CMD', 'procinit', 'status']);
      expect(view.services.web.depends_on).toEqual({ db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
      expect(view.services.migrate.depends_on).toEqual({ db: { condition: 'service_healthy' } });
      expect(view.services.db.healthcheck?.test).toEqual(['CMD', 'procinit', 'status']);
    }
  });
});
