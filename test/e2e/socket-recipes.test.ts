/**
 * The control socket and reaping in the Docker recipes README documents (issue 17 item 7), each run in a
 * real container: `docker exec -u 0` into a `--user 1000` container, `--read-only` alone, and
 * `--read-only --user 1000:1000` with and without a /run tmpfs that belongs to that user. The messages
 * are compared exactly with what README shows.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenarioImages, Container, dockerEnvironment, eventually, imageName } from '../helpers/docker.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const engine = dockerEnvironment();
if (!engine.ready) console.warn(`test/e2e/socket-recipes.test.ts: ${engine.message}`);

const IMAGE = imageName('procfile');

/** A Procfile that needs no writable folder, and whose second program leaves three orphans behind. */
function procfile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-e2e-sock-'));
  const file = join(dir, 'Procfile');
  writeFileSync(file, "web: exec sleep 1000\norphans: for i in 1 2 3; do sh -c 'sleep 2 &'; done; echo orphans made; exec sleep 1000\n");
  chmodSync(file, 0o644);
  chmodSync(dir, 0o755);
  return file;
}

async function run(args: string[]): Promise<Container> {
  const c = await Container.run(IMAGE, ['procinit', '-f', '/app/ro.Procfile'], [...args, '-v', `${procfile()}:/app/ro.Procfile:ro`]);
  await eventually(() => c.logs(), (l) => l.includes('orphans made'), 'the programs to start');
  return c;
}

/** `procinit status` as this user (docker exec -u): exit code and output. */
async function statusAs(c: Container, user: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return c.execAs(user, ['procinit', 'status']);
}

/** The orphans were reaped: none left as a zombie once they ended. */
async function zombies(c: Container): Promise<number> {
  await eventually(() => c.ps(), (ps) => !ps.some((p) => p.args === 'sleep 2'), 'the orphans to end', 20_000);
  return (await c.ps()).filter((p) => p.stat.startsWith('Z')).length;
}

/** procinit's own lines at start-up (warnings), before "procinit as PID 1". */
async function startupNotes(c: Container): Promise<string[]> {
  const lines = (await c.logs()).split('\n');
  return lines.slice(0, lines.findIndex((l) => l.includes('procinit as PID 1'))).map((l) => l.replace(/^procinit\s+\| /, ''));
}

const FORBIDDEN = /^procinit: procinit on @procinit-\d+ refused the connection: uid 1001 \(pid \d+\) may not use this procinit: it runs as uid (0|1000), and only that uid and root may\n$/;

describe.skipIf(!engine.ready)('the control socket in the documented Docker recipes', () => {
  beforeAll(async () => {
    await buildScenarioImages(ensureSeaBinary(), ['procfile']);
  }, 400_000);

  afterAll(async () => {
    await Container.removeAll();
  });

  it('--user 1000: `docker exec -u 0 CTR procinit status` finds it; another uid is refused in one line', async () => {
    const c = await run(['--user', '1000']);
    expect(await startupNotes(c)).toEqual([]);
    for (const user of ['1000', '0']) {
      const r = await statusAs(c, user);
      expect(r.stderr, `as ${user}`).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^web\.1\s+RUNNING/m);
    }
    const other = await statusAs(c, '1001');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(FORBIDDEN);
    expect(await zombies(c)).toBe(0);
  });

  it('--read-only alone: no warning, the socket works, orphans are reaped', async () => {
    const c = await run(['--read-only']);
    expect(await startupNotes(c)).toEqual([]);
    const r = await statusAs(c, '0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await zombies(c)).toBe(0);
  });

  it('--read-only --user 1000:1000 --tmpfs /run:exec,uid=1000,gid=1000: no warning, socket for both users, reaping', async () => {
    const c = await run(['--read-only', '--user', '1000:1000', '--tmpfs', '/run:exec,uid=1000,gid=1000']);
    expect(await startupNotes(c)).toEqual([]);
    for (const user of ['1000', '0']) {
      const r = await statusAs(c, user);
      expect(r.stderr, `as ${user}`).toBe('');
      expect(r.code).toBe(0);
    }
    expect(await zombies(c)).toBe(0);
  });

  it('--read-only --user 1000:1000 --tmpfs /run:exec (root\'s tmpfs): the warning says what to add; the socket works all the same', async () => {
    const c = await run(['--read-only', '--user', '1000:1000', '--tmpfs', '/run:exec']);
    expect(await startupNotes(c)).toEqual([
      'error: zombie reaping is OFF: cannot load native addon procinit.node: no directory allows writing and executing it (tried /run (EACCES), /dev/shm (mounted noexec), /tmp (EROFS), /var/tmp (EROFS), / (EROFS)); set PROCINIT_NATIVE_DIR to a writable directory on a filesystem mounted without noexec (docker run --user: --tmpfs /run:exec,uid=1000,gid=1000)',
    ]);
    for (const user of ['1000', '0']) {
      const r = await statusAs(c, user);
      expect(r.stderr, `as ${user}`).toBe('');
      expect(r.code).toBe(0);
    }
  });
});
