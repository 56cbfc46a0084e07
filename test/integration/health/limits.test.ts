/**
 * A program that allocates past its memory limit is killed, reported as over its limit and restarted by
 * the policy: with cgroups (v1 as root on this host; whichever the host offers) and with RSS sampling.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups } from '../../../src/health/limits/cgroup.js';
import { until } from '../../helpers/procinit.js';
import { runLimited, type LimitedRun } from '../../helpers/limits.js';

const MiB = 1 << 20;
const cgroupsUsable = (() => {
  if (process.getuid?.() !== 0) return false;
  const d = detectCgroups({ mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'), pid: process.pid });
  if (d.ok && d.host.version === 1) {
    // detection made procinit-<pid> parents: the monitor of each test makes (and removes) its own
    for (const dir of [d.host.memoryParent, d.host.cpuParent]) if (dir) try { require('node:fs').rmdirSync(dir); } catch { /* in use */ }
  }
  return d.ok;
})();

let current: LimitedRun | null = null;
afterEach(async () => {
  await current?.stop();
  current = null;
});

const killedLine = (logs: string[]): string | undefined => logs.find((l) => /^hog\.1 killed: memory limit 64M exceeded/.test(l));

describe.skipIf(!cgroupsUsable)('memory limit enforced by a cgroup', () => {
  it('the kernel kills the program at its limit; it is reported and restarted by the policy', async () => {
    current = runLimited('hog: node hog.js\nidle: sleep 1000\n', { hog: { memoryBytes: 64 * MiB } }, { autoRestart: true });
    const { supervisor, monitor, logs } = current;
    const hog = supervisor.instances.find((i) => i.name === 'hog.1')!;
    const pid = hog.pid!;
    // born inside its cgroup: /proc/<pid>/cgroup names it before the program could allocate anything
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /memory/.test(l) || l.startsWith('0::'));
    expect(line).toMatch(/\/hog\.1$/);
    await until(() => killedLine(logs) !== undefined, 30_000, 'the kill report');
    // (a sampling round may see the kill counter before the exit arrives: then "a process")
    expect(killedLine(logs)).toMatch(/\(the kernel killed (it|a process) in its cgroup\)/);
    // the exit comes after the reason, and the policy restarts it
    await until(() => hog.restarts >= 1 && hog.pid !== null, 20_000, 'the restart');
    const i = logs.findIndex((l) => l.startsWith('hog.1 killed'));
    expect(logs.slice(i + 1).some((l) => /^hog\.1 .*signal.*KILL|^hog\.1 .*SIGKILL/i.test(l))).toBe(true);
    const u = monitor.usage(hog);
    expect(u.limit_mode).toMatch(/^cgroup-v[12]$/);
    expect(u.memory_limit).toBe(64 * MiB);
    expect(u.memory_kills).toBeGreaterThanOrEqual(1);
    // the idle program has no limits and no cgroup
    const idle = supervisor.instances.find((i) => i.name === 'idle.1')!;
    expect(monitor.usage(idle).limit_mode).toBeNull();
    expect(readFileSync(`/proc/${idle.pid}/cgroup`, 'utf8')).not.toMatch(/idle\.1/);
  });

  it('a cpu limit is a CFS quota: a busy loop limited to 0.1 core is throttled', async () => {
    current = runLimited('spin: exec sh -c "while :; do :; done"\n', { spin: { cpu: 0.1 } });
    const pid = current.supervisor.instances[0].pid!;
    const rel = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:cpu[,:]/.test(l))?.split(':')[2];
    if (!rel || rel === '/') return; // no writable cpu hierarchy here: the monitor said so at start
    const dir = `/sys/fs/cgroup/cpu${rel}`;
    expect(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('10000');
    await until(() => /nr_throttled [1-9]/.test(readFileSync(`${dir}/cpu.stat`, 'utf8')), 10_000, 'the quota to throttle it');
  });

  it('removes its cgroups at the end of the run', async () => {
    current = runLimited('hog: sleep 1000\n', { hog: { memoryBytes: 64 * MiB, cpu: 0.5 } });
    const { supervisor } = current;
    const pid = supervisor.instances[0].pid!;
    const rel = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:memory:/.test(l))!.split(':')[2];
    const dir = `/sys/fs/cgroup/memory${rel}`;
    expect(readFileSync(`${dir}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 * MiB));
    await current.stop();
    current = null;
    expect(existsSync(dir)).toBe(false);
  });
});

describe('memory limit enforced by RSS sampling (no cgroups)', () => {
  it('the tree over its limit is killed, reported and restarted by the policy', async () => {
    current = runLimited('hog: node hog.js\n', { hog: { memoryBytes: 64 * MiB, cpu: 0.5 } }, { rss: true, autoRestart: true, periodMs: 100 });
    const { supervisor, monitor, logs } = current;
    const hog = supervisor.instances[0];
    await until(() => killedLine(logs) !== undefined, 30_000, 'the kill report');
    expect(killedLine(logs)).toMatch(/\(RSS \d+(\.\d)?M sampled\)/);
    await until(() => hog.restarts >= 1 && hog.pid !== null, 20_000, 'the restart');
    expect(monitor.usage(hog)).toMatchObject({ limit_mode: 'rss', memory_limit: 64 * MiB });
    expect(logs.some((l) => /^limits: RSS sampling every 0\.1s \(cgroups not usable: PROCINIT_LIMITS=rss\)/.test(l))).toBe(true);
    expect(logs.filter((l) => /cpu limit/.test(l))).toEqual(['hog.1: cpu limit 0.5 not enforced: no cgroup can be made here (RSS mode limits memory only)']);
  });
});
