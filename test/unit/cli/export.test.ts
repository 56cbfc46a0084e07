/** `procinit export ...` end to end through the option parser and loadRun (no process is started). */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { exportCommand, type ExportIo } from '../../../src/cli/export.js';
import { ConfigError, UsageError } from '../../../src/config/errors.js';
import { readFlyRun } from '../../../src/config/fly.js';
import { allProcesses } from '../../../src/config/model.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { kubernetesProblems } from '../../helpers/kubernetes-shape.js';

const base = mkdtempSync(join(tmpdir(), 'procinit-export-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
/** A fresh app folder with these files. */
function app(files: Record<string, string>): string {
  const dir = join(base, `app${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
async function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: ExportIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env, cwd };
  const code = await exportCommand(args, io);
  return { code, stdout, stderr };
}

describe('procinit export (through loadRun)', () => {
  it('kubernetes from ./Procfile, .env and -m: valid objects on stdout', async () => {
    const cwd = app({ Procfile: 'web: bin/web\nworker: bin/worker\n', '.env': 'DATABASE_URL=postgres://db/app\n' });
    const { code, stdout } = await run(cwd, ['kubernetes', '--image', 'app:1', '-m', 'web=3,worker=2', '--name', 'shop']);
    expect(code).toBe(0);
    const objs = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: { replicas?: number }; data?: unknown });
    for (const o of objs) expect(kubernetesProblems(o)).toEqual([]);
    expect(objs.map((o) => [o.kind, o.metadata.name, o.spec?.replicas])).toEqual([
      ['ConfigMap', 'shop-env', undefined],
      ['Deployment', 'shop-web', 3],
      ['Deployment', 'shop-worker', 2],
      ['Service', 'shop-web', undefined],
    ]);
    expect(objs[0].data).toEqual({ DATABASE_URL: 'postgres://db/app' });
  });

  it('the default name is the app folder; TYPE... exports only those types', async () => {
    const cwd = app({ Procfile: 'web: bin/web\nworker: bin/worker\n' });
    const { stdout } = await run(cwd, ['compose', 'worker', '--image', 'app:1']);
    const file = parse(stdout) as { name: string; services: Record<string, unknown> };
    expect(file.name).toBe(`app${n}`);
    expect(Object.keys(file.services)).toEqual(['worker']);
  });

  it('fly from a manifest (-c, --app) reads back as the same process types', async () => {
    const cwd = app({
      'manifest.yml':
        'applications:\n- name: a\n  processes:\n  - type: web\n    command: bin/a\n- name: b\n  processes:\n  - type: web\n    command: bin/b\n    instances: 2\n    disk_quota: 1G\n  - type: worker\n    command: bin/w\n',
    });
    const { code, stdout, stderr } = await run(cwd, ['fly', '-c', 'manifest.yml', '--app', 'b']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: .*manifest\.yml:8: process 'web': ignored disk_quota/);
    expect(stdout).toContain('# fly scale count web=2 worker=1\n');
    writeFileSync(join(cwd, 'fly.toml'), stdout);
    const back = readFlyRun(join(cwd, 'fly.toml'), defaultLoadOptions({ env: {}, cwd, root: cwd }), {});
    expect(back.programs.map((p) => [p.name, p.instances[0].command])).toEqual([
      ['web', 'bin/b'],
      ['worker', 'bin/w'],
    ]);
  });

  it('-o DIR writes the file, overwrites its own, refuses one written by hand', async () => {
    const cwd = app({ Procfile: 'web: bin/web\n' });
    const first = await run(cwd, ['fly', '-o', 'deploy']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe(`wrote ${join(cwd, 'deploy', 'fly.toml')}\n`);
    const back = readFlyRun(join(cwd, 'deploy', 'fly.toml'), defaultLoadOptions({ env: {}, cwd, root: cwd }), {});
    expect(allProcesses(back).map((p) => [p.name, p.command])).toEqual([['web.1', 'bin/web']]);
    expect((await run(cwd, ['fly', '-o', 'deploy'])).code).toBe(0);

    writeFileSync(join(cwd, 'fly.toml'), 'app = "mine"\n[processes]\nweb = "x"\n');
    await expect(run(cwd, ['fly', '-o', '.'])).rejects.toThrow(/was not written by procinit export/);
    expect(readFileSync(join(cwd, 'fly.toml'), 'utf8')).toBe('app = "mine"\n[processes]\nweb = "x"\n');

    await run(cwd, ['kubernetes', '--image', 'i', '-o', 'k8s']);
    expect(existsSync(join(cwd, 'k8s', 'kubernetes.yaml'))).toBe(true);
  });

  it('usage errors: no platform, unknown platform, no --image, unknown flag, bad -p', async () => {
    const cwd = app({ Procfile: 'web: bin/web\n' });
    await expect(run(cwd, [])).rejects.toThrow(UsageError);
    await expect(run(cwd, ['heroku'])).rejects.toThrow(/unknown platform 'heroku'/);
    await expect(run(cwd, ['kubernetes'])).rejects.toThrow(/--image IMAGE is required/);
    await expect(run(cwd, ['compose', '--image', ''])).rejects.toThrow(/--image IMAGE is required/);
    await expect(run(cwd, ['fly', '--bogus'])).rejects.toThrow(UsageError);
    await expect(run(cwd, ['fly', '-p', 'x'])).rejects.toThrow(UsageError);
    await expect(run(cwd, ['fly', 'nope'])).rejects.toThrow(/unknown process type 'nope'/);
  });

  it('config errors pass through with file:line', async () => {
    const cwd = app({ 'fly.toml': 'app = "x"\n[http_service]\n' });
    await expect(run(cwd, ['fly', '-c', 'fly.toml'])).rejects.toThrow(ConfigError);
    await expect(run(cwd, ['fly', '-c', 'fly.toml'])).rejects.toThrow(/no \[processes\] table/);
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await run(base, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: procinit export kubernetes\|compose\|fly/);
  });
});
