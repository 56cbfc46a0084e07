/**
 * The npm package as a user gets it: `npm pack`, then `npm i -g` of the tarball in a clean container that
 * has Node and npm but no compiler, no python, no make and no network (Node and npm copied onto the
 * offline busybox base). The prebuilt addons are used, --tty gets a real terminal, and the package adds
 * less than 5 MB. Where no prebuild matches (LIBC=musl), the install still succeeds with one line and
 * procinit runs without reaping, and on a machine with a compiler (this host) it builds from native/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE, Container, docker, dockerEnvironment, dockerOk } from '../helpers/docker.js';
import { REPO } from '../helpers/procinit.js';

const engine = dockerEnvironment();
if (!engine.ready) console.warn(`test/e2e/npm-package.test.ts: ${engine.message}`);
const NODE_IMAGE = `procinit-e2e-node:${process.pid}`;
const NPM_DIR = '/usr/lib/node_modules/npm';
let tarball = '';
let packDir = '';

/** `npm pack` of this checkout (prepack: bundle + prebuilds), once per test file. */
function pack(): string {
  if (tarball && existsSync(tarball)) return tarball;
  packDir = mkdtempSync(join(tmpdir(), 'procinit-pack-'));
  const r = spawnSync('npm', ['pack', '--pack-destination', packDir], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}${r.stdout}`);
  const file = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!file) throw new Error('npm pack wrote no tarball');
  tarball = join(packDir, file);
  return tarball;
}

/** The base image plus /usr/bin/node and npm: a "node:20-slim" made offline, with no compiler. */
async function buildNodeImage(): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'procinit-node-ctx-'));
  try {
    copyFileSync(process.execPath, join(ctx, 'node'));
    cpSync(NPM_DIR, join(ctx, 'npm'), { recursive: true });
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${BASE_IMAGE}
COPY node /usr/bin/node
COPY npm /usr/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm && { [ -e /usr/bin/env ] || ln -s /bin/env /usr/bin/env; } && mkdir -p /root/.npm
`,
    );
    await dockerOk(['build', '-q', '--label', 'procinit-e2e=1', '-t', NODE_IMAGE, ctx], 300_000);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

const hasNpm = existsSync(join(NPM_DIR, 'bin/npm-cli.js'));

describe.skipIf(!engine.ready || !hasNpm)('npm i -g of the packed tarball in a container without a compiler', () => {
  beforeAll(async () => {
    pack();
    await buildNodeImage();
  }, 600_000);

  afterAll(async () => {
    await Container.removeAll();
    await docker(['rmi', '-f', NODE_IMAGE]);
  });

  async function installed(env: string[] = []): Promise<Container> {
    const c = await Container.run(NODE_IMAGE, ['sleep', '1000'], ['-v', `${packDir}:/pkg:ro`, ...env]);
    const probe = await c.exec(['sh', '-c', 'for t in cc gcc make python3 python; do command -v $t; done; true']);
    expect(probe.stdout.trim()).toBe(''); // no compiler, no make, no python
    return c;
  }

  it('installs offline from the prebuilt addons, adds < 5 MB, and runs the example with --tty', async () => {
    const c = await installed();
    const name = tarball.split('/').pop()!;
    // the install script allowed, as npm 10 (node:20 images) runs it: it finds the prebuild and compiles nothing
    const inst = await c.exec(['npm', 'i', '-g', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--allow-scripts=procinit', `/pkg/${name}`], 180_000);
    expect(inst.code, inst.stderr + inst.stdout).toBe(0);
    expect(inst.stderr + inst.stdout).not.toMatch(/gyp info|gyp ERR|CC\(target\)|^procinit: warning: no prebuilt/m);
    const du = await c.exec(['du', '-sk', '/usr/lib/node_modules/procinit']);
    const kb = Number(du.stdout.split(/\s/)[0]);
    expect(kb).toBeLessThan(5 * 1024);
    console.log(`npm package installed: ${kb} KiB in /usr/lib/node_modules/procinit`);
    expect((await c.exec(['procinit', '--version'])).stdout).toMatch(/^procinit \d+\.\d+\.\d+/);
    await c.exec(['sh', '-c', "mkdir -p /ex && printf 'web: if [ -t 1 ]; then echo on a tty; else echo on pipes; fi; sh -c \"sleep 0.2 &\"; sleep 1\\n' > /ex/Procfile"]);
    const run = await c.exec(['sh', '-c', 'cd /ex && procinit --tty web --can-die web'], 30_000);
    expect(run.stdout).toMatch(/web\.1 +\| on a tty/);
    expect(run.stdout + run.stderr).not.toMatch(/reaping is OFF|no terminal|cannot load/);
  }, 240_000);

  it('where no prebuild matches (LIBC=musl) and nothing can compile: installs with one warning, runs without reaping', async () => {
    const c = await installed(['-e', 'LIBC=musl']);
    const name = tarball.split('/').pop()!;
    const inst = await c.exec(['npm', 'i', '-g', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--allow-scripts=procinit', `/pkg/${name}`], 180_000);
    expect(inst.code, inst.stderr + inst.stdout).toBe(0);
    expect(inst.stdout + inst.stderr).toMatch(/^procinit: warning: no prebuilt addon for this platform and building native\/ failed/m);
    await c.exec(['sh', '-c', "mkdir -p /ex && printf 'web: echo hello; sleep 0.3\\n' > /ex/Procfile"]);
    const run = await c.exec(['sh', '-c', 'cd /ex && procinit --can-die web'], 30_000);
    expect(run.stdout).toMatch(/web\.1 +\| hello/);
    expect(run.stdout).toMatch(/zombie reaping is OFF: native addon procinit\.node not found/);
  }, 240_000);
});

describe.skipIf(!hasNpm)('source fallback on a machine with a compiler', () => {
  it('builds native/ when no prebuild matches (LIBC=musl here)', () => {
    const tgz = tarball && existsSync(tarball) ? tarball : pack();
    const prefix = mkdtempSync(join(tmpdir(), 'procinit-prefix-'));
    try {
      mkdirSync(prefix, { recursive: true });
      const r = spawnSync('npm', ['i', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--allow-scripts=procinit', tgz], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, LIBC: 'musl' },
      });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(existsSync(join(prefix, 'lib/node_modules/procinit/native/build/Release/procinit.node'))).toBe(true);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  }, 300_000);
});
