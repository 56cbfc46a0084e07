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
import { kubernetesProblems } from '../../helpers/kubernetes-validate.js';

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
      ['Deployment', 'shop-web', 3],
      ['Deployment', 'shop-worker', 2],
      ['Service', 'shop-web', undefined],
    ]);
    // .env by reference (a Secret made with kubectl), never its values
    expect(stdout).not.toContain('postgres://db/app');
    expect(stdout).toContain('#   kubectl create secret generic shop-env --from-env-file=.env\n');
  });

  it('a supervisord.conf exported from another folder: --config relative to its folder (the WORKDIR), name from that folder', async () => {
    const cwd = app({});
    mkdirSync(join(cwd, 'docker', 'supervisord'), { recursive: true });
    writeFileSync(join(cwd, 'docker', 'supervisord', 'supervisord.conf'), '[supervisord]\n[program:foo]\ncommand=/app/server\n');
    const { stdout } = await run(cwd, ['compose', '--image', 'app:1', '-c', 'docker/supervisord/supervisord.conf']);
    expect(stdout).toContain('# Run: docker compose -p supervisord up');
    const file = parse(stdout) as { services: Record<string, { command: string[] }> };
    expect(file.services.foo.command).toEqual(['procinit', 'up', 'foo', '--config', 'supervisord.conf', '--formation', 'foo=1']);
    expect(stdout).not.toContain(cwd);
    // -d names the folder that is the image's WORKDIR; --config-in-image says it outright
    const d = parse((await run(cwd, ['compose', '--image', 'app:1', '-c', 'docker/supervisord/supervisord.conf', '-d', 'docker'])).stdout) as typeof file;
    expect(d.services.foo.command.slice(3, 5)).toEqual(['--config', 'supervisord/supervisord.conf']);
    const k = parseAllDocuments((await run(cwd, ['k8s', '--image', 'app:1', '-c', 'docker/supervisord/supervisord.conf', '--config-in-image', '/etc/supervisord.conf'])).stdout);
    const dep = k[0].toJS() as { metadata: { name: string }; spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
    expect(dep.metadata.name).toBe('supervisord-foo');
    expect(dep.spec.template.spec.containers[0].command.slice(3, 5)).toEqual(['--config', '/etc/supervisord.conf']);
    await expect(run(cwd, ['fly', '-c', 'docker/supervisord/supervisord.conf', '-d', 'docker/other'])).rejects.toThrow(/--config-in-image PATH/);
  });

  it('compose: env_file paths are relative to the folder the compose file is written to', async () => {
    const cwd = app({ Procfile: 'web: bin/web\n', '.env': 'TOKEN=t0ps3cret\n', 'prod.env': 'X=1\n' });
    const { stdout } = await run(cwd, ['compose', '--image', 'app:1', '-e', 'prod.env']);
    expect(stdout).not.toContain('t0ps3cret');
    expect((parse(stdout) as { services: { web: { env_file: string[] } } }).services.web.env_file).toEqual(['.env', 'prod.env']);
    await run(cwd, ['compose', '--image', 'app:1', '-e', 'prod.env', '-o', 'deploy/compose']);
    const written = parse(readFileSync(join(cwd, 'deploy', 'compose', 'compose.yaml'), 'utf8')) as { services: { web: { env_file: string[] } } };
    expect(written.services.web.env_file).toEqual(['../../.env', '../../prod.env']);
  });

  it('the default name is the app folder; TYPE... exports only those types', async () => {
    const cwd = app({ Procfile: 'web: bin/web\nworker: bin/worker\n' });
    const { stdout } = await run(cwd, ['compose', 'worker', '--image', 'app:1']);
    const file = parse(stdout) as { services: Record<string, unknown> };
    expect(stdout).toContain(`# Run: docker compose -p app${n} up`);
    expect(Object.keys(file.services)).toEqual(['worker']);
  });

  it('fly from a manifest (-c, --app): procinit up TYPE per process type', async () => {
    const cwd = app({
      'manifest.yml':
        'applications:\n- name: a\n  processes:\n  - type: web\n    command: bin/a\n- name: b\n  processes:\n  - type: web\n    command: bin/b\n    instances: 2\n    disk_quota: 1G\n  - type: worker\n    command: bin/w\n',
    });
    const { code, stdout, stderr } = await run(cwd, ['fly', '-c', 'manifest.yml', '--app', 'b']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: .*manifest\.yml:8: process 'web': ignored disk_quota/);
    expect(stdout).toContain('# fly scale count web=2 worker=1\n');
    expect(stdout).toContain('app = "b"\n');
    expect(stdout).toContain('web = "procinit up web --config manifest.yml --app b --formation web=1 --port 5000"\n');
    expect(stdout).toContain('worker = "procinit up worker --config manifest.yml --app b --formation worker=1"\n');
  });

  it('-o DIR writes the file, overwrites its own, refuses one written by hand', async () => {
    const cwd = app({ Procfile: 'web: bin/web\n' });
    const first = await run(cwd, ['fly', '-o', 'deploy']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe(`wrote ${join(cwd, 'deploy', 'fly.toml')}\n`);
    const back = readFlyRun(join(cwd, 'deploy', 'fly.toml'), defaultLoadOptions({ env: {}, cwd, root: cwd }), {});
    expect(allProcesses(back).map((p) => [p.name, p.command])).toEqual([['web.1', 'procinit up web --port 5000']]);
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
