/**
 * Memory limits in a real Docker container (the single executable as PID 1, the CF manifest's own
 * `memory: 64M`): by the kernel in a cgroup when the container can write its memory hierarchy (here
 * cgroup v1: `-v /sys/fs/cgroup/memory:/sys/fs/cgroup/memory:rw`, since --privileged is refused on these
 * hosts), and by RSS sampling in a plain container, whose /sys/fs/cgroup is read-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container, buildScenarioImages, dockerEnvironment, eventually, imageName } from '../helpers/docker.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const engine = dockerEnvironment();
if (!engine.ready) console.warn(`test/e2e/limits.test.ts: ${engine.message}`);
const IMAGE = imageName('procfile');

// busybox dd holds a 100 MiB buffer it fills from /dev/zero: 101M resident, over web's 64M
const MANIFEST = `applications:
- name: app
  processes:
  - type: web
    command: dd if=/dev/zero of=/dev/null bs=100M count=1000000
    memory: 64M
  - type: clock
    command: sleep 1000
`;

function manifestDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-e2e-limits-'));
  writeFileSync(join(dir, 'manifest.yml'), MANIFEST);
  return dir;
}

/** The host's v1 memory hierarchy, which the container may be given read-write. */
const hostV1Memory = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;

describe.skipIf(!engine.ready)('memory limits in Docker', () => {
  beforeAll(async () => {
    await buildScenarioImages(ensureSeaBinary(), ['procfile']);
  }, 400_000);

  afterAll(async () => {
    await Container.removeAll();
  });

  async function runLimited(runArgs: string[]): Promise<Container> {
    const dir = manifestDir();
    return Container.run(IMAGE, ['procinit', '-c', '/lim/manifest.yml', '-r', 'all'], ['-v', `${dir}:/lim:ro`, ...runArgs]);
  }

  it.skipIf(!hostV1Memory)('cgroup v1 (memory hierarchy writable): the kernel kills web at 64M, procinit reports it and restarts it, and removes its cgroups', async () => {
    const c = await runLimited(['-v', '/sys/fs/cgroup/memory:/sys/fs/cgroup/memory:rw']);
    const logs = await eventually(() => c.logs(), (l) => /web\.1 killed by SIGKILL, restarting/.test(l), 'the kill and restart', 30_000);
    expect(logs).toMatch(/limits: cgroup v1, memory \(cpu not limited: no writable cpu controller\) enforced by the kernel/);
    expect(logs).toMatch(/warn: web\.1 killed: memory limit 64M exceeded \(the kernel killed (it|a process) in its cgroup\)\n.*web\.1 killed by SIGKILL, restarting/);
    // inside the container's own cgroup, not beside it
    const id = (await c.exec(['cat', '/proc/1/cgroup'])).stdout.split('\n').find((l) => l.includes(':memory:'))!.split(':')[2];
    const parent = `/sys/fs/cgroup/memory${id}/procinit-1`;
    expect(existsSync(parent)).toBe(true);
    expect(readFileSync(`${parent}/web.1/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 << 20));
    const st = JSON.parse((await c.exec(['procinit', 'status', '--json'])).stdout) as Array<{ name: string; resources: { limit_mode: string; memory_limit: number } }>;
    expect(st.find((p) => p.name === 'web.1')!.resources).toMatchObject({ limit_mode: 'cgroup-v1', memory_limit: 64 << 20 });
    const { exitCode } = await c.stop(10);
    expect(exitCode).toBe(0);
    expect(existsSync(parent)).toBe(false);
  }, 60_000);

  it('a plain container (cgroups read-only): RSS sampling kills web over 64M, says why cgroups are not used', async () => {
    const c = await runLimited([]);
    const logs = await eventually(() => c.logs(), (l) => /web\.1 killed by SIGKILL, restarting/.test(l), 'the kill and restart', 30_000);
    expect(logs).toMatch(/limits: RSS sampling every 1s \(cgroups not usable: cannot make a cgroup in \/sys\/fs\/cgroup\/memory \(EROFS\)\)/);
    expect(logs).toMatch(/warn: web\.1 killed: memory limit 64M exceeded \(RSS 10\dM sampled\)/);
    const top = await c.exec(['procinit', 'top', '-n', '1']);
    expect(top.stdout).toMatch(/^web\.1\s+\S+\s+\S+\s+\S+\s+.*\/ 64M.*\s+rss\s+[1-9]/m);
    expect(top.stdout).toMatch(/^clock\.1\s+RUNNING\s+\d+\s+0\.0%\s+\S+\s+-\s+0$/m);
  }, 60_000);
});
