/**
 * procinit in real Docker containers: the images users build from docker/ (their Dockerfile.test twins on
 * the offline base image), run with --network none; servers are reached from inside with docker exec.
 *
 * Needs a Docker engine: test/e2e/docker-env.sh starts dockerd when none answers and this process may
 * (root); otherwise every test here is skipped and the reason is printed. CI: sh test/e2e/setup-docker.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container, buildScenarioImages, dockerEnvironment, eventually, imageName } from '../helpers/docker.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const engine = dockerEnvironment();
if (!engine.ready) console.warn(`test/e2e/docker.test.ts: ${engine.message}`);

const PROCFILE = imageName('procfile');
const SUPERVISORD = imageName('supervisord');
const TINI = imageName('tini');

/** Both fly.io guide servers answer from inside the container. */
async function serversAnswer(c: Container, ports: Array<[number, string]> = [[8080, 'Hello Foo'], [8081, 'Hello Bar']]): Promise<void> {
  for (const [port, body] of ports) {
    const r = await eventually(() => c.get(port), (res) => res.code === 0, `port ${port} to answer`);
    expect(r.stdout).toBe(`${body}\n`);
  }
}

/** The pid of the busybox httpd serving PORT. */
async function serverPid(c: Container, port: number): Promise<number> {
  const p = (await c.ps()).find((x) => x.args.includes('httpd') && x.args.includes(`-p ${port}`));
  if (!p) throw new Error(`no server on ${port}: ${JSON.stringify(await c.ps())}`);
  return p.pid;
}

/** `procinit status` inside: skip (with a note) while the command does not exist yet. */
async function expectStatusRunning(c: Container, names: string[], skip: (note: string) => void): Promise<void> {
  // supervisord's programs are STARTING for startsecs (1 s) before RUNNING: status says 3 until then
  const r = await eventually(() => c.exec(['procinit', 'status']), (res) => res.code !== 3, 'every program RUNNING');
  if (r.code === 2 && /unknown (process type|command)/i.test(r.stderr)) {
    skip('procinit status is not implemented yet');
    return;
  }
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  for (const n of names) expect(r.stdout).toMatch(new RegExp(`^${n}\\S*\\s+RUNNING`, 'm'));
}

/** docker stop: done well inside Docker's 10 s grace, so Docker never needed SIGKILL. */
async function expectCleanStop(c: Container, exitCode = 0): Promise<void> {
  const { elapsedMs, exitCode: code } = await c.stop(10);
  expect(code).toBe(exitCode);
  expect(elapsedMs).toBeLessThan(5_000);
}

/** A Procfile whose second program leaves three orphans behind (sleep 2, parent gone at once). */
function zombieProcfile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-e2e-'));
  const file = join(dir, 'Procfile');
  writeFileSync(
    file,
    "foo: /app/server\norphans: for i in 1 2 3; do sh -c 'sleep 2 &'; done; echo orphans made; exec sleep 1000\n",
  );
  return file;
}

/** The orphans exist with `reaper` as parent, then end and leave no zombie behind. */
async function expectOrphansReaped(c: Container, reaper: number): Promise<void> {
  const orphans = await eventually(
    () => c.ps(),
    (ps) => ps.filter((p) => p.args === 'sleep 2').length === 3,
    'three orphaned "sleep 2"',
  );
  for (const o of orphans.filter((p) => p.args === 'sleep 2')) expect(o.ppid).toBe(reaper);
  const after = await eventually(
    () => c.ps(),
    (ps) => !ps.some((p) => p.args === 'sleep 2' || p.stat.startsWith('Z')),
    'the orphans to end and be reaped',
  );
  expect(after.filter((p) => p.stat.startsWith('Z'))).toEqual([]);
}

describe.skipIf(!engine.ready)('procinit in Docker containers', () => {
  beforeAll(async () => {
    await buildScenarioImages(ensureSeaBinary());
  }, 400_000);

  afterAll(async () => {
    await Container.removeAll();
  });

  describe('Procfile (docker/procfile)', () => {
    it('runs both servers as PID 1 and stops cleanly on docker stop', async () => {
      const c = await Container.run(PROCFILE);
      await serversAnswer(c);
      expect((await c.ps()).find((p) => p.pid === 1)?.args).toMatch(/^procinit/);
      await expectCleanStop(c);
      expect(await c.logs()).toMatch(/exiting with code 0/);
    });

    it('docker exec CTR procinit status shows both RUNNING', async (ctx) => {
      const c = await Container.run(PROCFILE);
      await serversAnswer(c);
      await expectStatusRunning(c, ['foo', 'bar'], (note) => ctx.skip(note));
    });

    it('ends the container with the code of a program that crashes (default policy)', async () => {
      const c = await Container.run(PROCFILE);
      await serversAnswer(c);
      await c.exec(['kill', '-KILL', String(await serverPid(c, 8081))]);
      expect(await c.wait()).toBe(128 + 9);
      expect(await c.logs()).toMatch(/bar\.1.*SIGKILL/);
    });

    it('restarts a crashed program with -r all, and the container keeps running', async () => {
      const c = await Container.run(PROCFILE, ['procinit', '-r', 'all']);
      await serversAnswer(c);
      const before = await serverPid(c, 8081);
      await c.exec(['kill', '-KILL', String(before)]);
      await eventually(() => c.ps(), (ps) => ps.some((p) => p.args.includes('-p 8081') && p.pid !== before), 'bar to be restarted');
      await serversAnswer(c);
      expect((await c.state()).running).toBe(true);
      await expectCleanStop(c);
    });

    it('reaps the orphans of programs as PID 1', async () => {
      const c = await Container.run(PROCFILE, ['procinit', '-f', '/app/zombies.Procfile'], ['-v', `${zombieProcfile()}:/app/zombies.Procfile:ro`]);
      await expectOrphansReaped(c, 1);
      await expectCleanStop(c);
    });

    it('(control) a PID 1 that does not reap leaves those orphans as zombies', async () => {
      const c = await Container.run(PROCFILE, ['sh', '-c', "for i in 1 2 3; do sh -c 'sleep 0.2 &'; done; exec sleep 1000"]);
      const ps = await eventually(() => c.ps(), (p) => p.filter((x) => x.stat.startsWith('Z')).length === 3, 'three zombies');
      expect(ps.filter((x) => x.stat.startsWith('Z'))).toHaveLength(3);
    });

    it('works under docker run --init: Docker\'s tini is PID 1, procinit the subreaper of its programs', async () => {
      const c = await Container.run(PROCFILE, ['procinit', '-f', '/app/zombies.Procfile'], ['--init', '-v', `${zombieProcfile()}:/app/zombies.Procfile:ro`]);
      await serversAnswer(c, [[8080, 'Hello Foo']]);
      const ps = await c.ps();
      expect(ps.find((p) => p.pid === 1)?.args).toMatch(/docker-init|tini/);
      const procinit = ps.find((p) => /^procinit\b/.test(p.args));
      expect(procinit?.ppid).toBe(1);
      await expectOrphansReaped(c, procinit!.pid);
      await expectCleanStop(c);
    });
  });

  describe('supervisord.conf (docker/supervisord)', () => {
    it('runs the fly.io guide\'s supervisord.conf unchanged: both servers, status RUNNING, clean stop', async (ctx) => {
      const c = await Container.run(SUPERVISORD);
      await serversAnswer(c);
      let statusNote = '';
      await expectStatusRunning(c, ['foo', 'bar'], (note) => (statusNote = note));
      await expectCleanStop(c);
      if (statusNote) ctx.skip(`${statusNote} (the rest passed)`);
    });

    it('restarts a crashed program (supervisord\'s autorestart=unexpected)', async () => {
      const c = await Container.run(SUPERVISORD);
      await serversAnswer(c);
      const before = await serverPid(c, 8080);
      await c.exec(['kill', '-KILL', String(before)]);
      await eventually(() => c.ps(), (ps) => ps.some((p) => p.args.includes('-p 8080') && p.pid !== before), 'foo to be restarted');
      await serversAnswer(c);
      expect((await c.state()).running).toBe(true);
      await expectCleanStop(c);
    });
  });

  describe('tini mode (docker/tini: ENTRYPOINT ["procinit", "--"])', () => {
    it('runs the one command, reaps orphans as PID 1, and passes SIGTERM\'s 128+15 through on docker stop', async () => {
      const c = await Container.run(TINI);
      await serversAnswer(c, [[8080, 'Hello Foo']]);
      expect((await c.ps()).find((p) => p.pid === 1)?.args).toMatch(/^procinit -- \/app\/server/);
      // orphans of `docker exec` processes are re-parented to PID 1 (their output goes nowhere: docker
      // exec would wait for the pipes they hold)
      await c.exec(['sh', '-c', "for i in 1 2 3; do sh -c 'sleep 2 </dev/null >/dev/null 2>&1 &'; done"]);
      await expectOrphansReaped(c, 1);
      await expectCleanStop(c, 128 + 15);
    });

    it('passes the command\'s exit code through', async () => {
      const c = await Container.run(TINI, ['sh', '-c', 'exit 7']);
      expect(await c.wait()).toBe(7);
    });

    it('read-only root filesystem: root needs nothing (the addon goes to /dev); another user gets one warning naming the fix', async () => {
      const root = await Container.run(TINI, ['sh', '-c', 'exit 3'], ['--read-only']);
      expect(await root.wait()).toBe(3);
      expect(await root.logs()).toBe('');
      const user = await Container.run(TINI, ['sh', '-c', 'exit 3'], ['--read-only', '--user', '1000:1000']);
      expect(await user.wait()).toBe(3);
      const warning = (await user.logs()).trim().split('\n');
      expect(warning).toHaveLength(1);
      expect(warning[0]).toMatch(/^procinit: warning: zombie reaping is OFF: .*\/dev\/shm \(mounted noexec\).*set PROCINIT_NATIVE_DIR/);
      // Docker mounts --tmpfs noexec and root's unless told otherwise
      const ok = await Container.run(TINI, ['sh', '-c', 'exit 3'], ['--read-only', '--user', '1000:1000', '--tmpfs', '/run:exec,uid=1000,gid=1000']);
      expect(await ok.wait()).toBe(3);
      expect(await ok.logs()).toBe('');
    });

    it('exits 127 with one line when the command does not exist', async () => {
      const c = await Container.run(TINI, ['no-such-command']);
      expect(await c.wait()).toBe(127);
      expect((await c.logs()).trim()).toBe('procinit: no-such-command: command not found');
    });
  });
});
