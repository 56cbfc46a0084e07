/**
 * cgroup detection and instance cgroups against fake trees (plain directories named by a fake mountinfo):
 * cgroup v2 as a v2 host would show it, v1 as Docker shows it, and the hybrid of this host.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupMounts, selfCgroups, v1Dir, v2Dir } from '../../../../src/health/limits/cgroup-detect.js';
import { detectCgroups, InstanceCgroup, type CgroupHost } from '../../../../src/health/limits/cgroup.js';
import { formatBytes, parseBytes } from '../../../../src/health/limits/size.js';
import { tempDir } from '../../../helpers/procinit.js';

const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_SELF = `9:name=systemd:/
4:memory:/process_api/c51d
1:cpu:/
0::/
`;

describe('cgroup detection from mountinfo and /proc/self/cgroup', () => {
  it('finds each controller hierarchy and procinit\'s own directory in it', () => {
    expect(cgroupMounts(HYBRID_MOUNTINFO).map((m) => [m.mountPoint, m.version, m.controllers.join(',')])).toEqual([
      ['/sys/fs/cgroup/cpu', 1, 'cpu'],
      ['/sys/fs/cgroup/memory', 1, 'memory'],
      ['/sys/fs/cgroup/unified', 2, ''],
    ]);
    expect(selfCgroups(HYBRID_SELF).find((c) => c.v2)?.path).toBe('/');
    expect(v1Dir(HYBRID_MOUNTINFO, HYBRID_SELF, 'memory')).toBe('/sys/fs/cgroup/memory/process_api/c51d');
    expect(v1Dir(HYBRID_MOUNTINFO, HYBRID_SELF, 'cpu')).toBe('/sys/fs/cgroup/cpu');
    expect(v1Dir(HYBRID_MOUNTINFO, HYBRID_SELF, 'pids')).toBeNull();
    expect(v2Dir(HYBRID_MOUNTINFO, HYBRID_SELF)).toBe('/sys/fs/cgroup/unified');
  });

  it('a container\'s mount shows its own cgroup as the root (Docker on v1, cgroupns on v2)', () => {
    const mi = '50 40 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n51 40 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n';
    const self = '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n';
    expect(v1Dir(mi, self, 'memory')).toBe('/sys/fs/cgroup/memory');
    expect(v1Dir(mi, self, 'cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    const mi2 = '60 50 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n';
    expect(v2Dir(mi2, '0::/\n')).toBe('/sys/fs/cgroup');
    // the host's hierarchy bind-mounted over the container's (docker run -v /sys/fs/cgroup/memory:...:rw):
    // the top mount is the one reachable, and procinit's cgroup is found in it by its full path
    const stacked = `${mi}176 162 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n`;
    expect(v1Dir(stacked, self, 'memory')).toBe('/sys/fs/cgroup/memory/docker/abc');
    // a cgroup outside what the mount shows is not reachable
    expect(v1Dir('50 40 0:32 /docker/abc /m rw - cgroup cgroup rw,memory\n', '4:memory:/other\n', 'memory')).toBeNull();
  });
});

/** A fake v2 tree: <root>/sys/fs/cgroup is the unified hierarchy, procinit in /app. */
function fakeV2(controllers = 'cpu memory pids', otherProcs: number[] = []): { root: string; own: string; mountinfo: string; self: string } {
  const root = tempDir();
  const own = join(root, 'unified', 'app');
  mkdirSync(own, { recursive: true });
  writeFileSync(join(own, 'cgroup.controllers'), `${controllers}\n`);
  writeFileSync(join(own, 'cgroup.subtree_control'), '\n');
  writeFileSync(join(own, 'cgroup.procs'), [4242, ...otherProcs].map((p) => `${p}\n`).join(''));
  return { root, own, mountinfo: `60 50 0:40 / ${join(root, 'unified')} rw - cgroup2 cgroup2 rw\n`, self: '0::/app\n' };
}

describe('cgroup v2 (fake tree)', () => {
  it('moves procinit to a leaf, enables memory and cpu below its cgroup, and limits each instance', () => {
    const t = fakeV2();
    const d = detectCgroups({ mountinfo: t.mountinfo, selfCgroup: t.self, pid: 4242 });
    expect(d).toEqual({ ok: true, host: { version: 2, memoryParent: t.own, cpuParent: t.own } });
    expect(readFileSync(join(t.own, 'procinit', 'cgroup.procs'), 'utf8')).toBe('4242');
    expect(readFileSync(join(t.own, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu');
    const cg = InstanceCgroup.create((d as { host: CgroupHost }).host, 'web.1', { memoryBytes: 64 << 20, cpu: 0.5 });
    expect(cg).toBeInstanceOf(InstanceCgroup);
    const dir = join(t.own, 'web.1');
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(64 << 20));
    expect(readFileSync(join(dir, 'memory.swap.max'), 'utf8')).toBe('0');
    expect(readFileSync(join(dir, 'memory.oom.group'), 'utf8')).toBe('1');
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('50000 100000');
    expect((cg as InstanceCgroup).procsFiles()).toEqual([join(dir, 'cgroup.procs')]);
  });

  it('reads OOM kills from memory.events and use from memory.current', () => {
    const t = fakeV2();
    const d = detectCgroups({ mountinfo: t.mountinfo, selfCgroup: t.self, pid: 4242 });
    const cg = InstanceCgroup.create((d as { host: CgroupHost }).host, 'web.1', { memoryBytes: 32 << 20, cpu: null }) as InstanceCgroup;
    const dir = join(t.own, 'web.1');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n');
    cg.markStart();
    expect(cg.oomKillsSinceStart()).toBe(0);
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 1\n');
    expect(cg.oomKillsSinceStart()).toBe(1);
    writeFileSync(join(dir, 'memory.current'), '1234567\n');
    expect(cg.memoryUsage()).toBe(1234567);
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('max 100000');
    // cgroup.kill where the kernel has it: one write kills the whole instance
    const killed: number[] = [];
    cg.killAll((pid) => killed.push(pid));
    expect(readFileSync(join(dir, 'cgroup.kill'), 'utf8')).toBe('1');
    expect(killed).toEqual([]);
  });

  it('falls back (with the reason) when the memory controller is missing or other processes share the cgroup', () => {
    const noMem = fakeV2('cpu pids');
    const d1 = detectCgroups({ mountinfo: noMem.mountinfo, selfCgroup: noMem.self, pid: 4242 });
    expect(d1).toEqual({ ok: false, reason: `the cgroup v2 hierarchy has no memory controller at ${noMem.own}; no cgroup v1 memory hierarchy` });
    const shared = fakeV2('cpu memory', [777]);
    const d2 = detectCgroups({ mountinfo: shared.mountinfo, selfCgroup: shared.self, pid: 4242 });
    expect(d2.ok).toBe(false);
    expect((d2 as { reason: string }).reason).toMatch(/holds other processes than procinit/);
    expect(existsSync(join(shared.own, 'procinit'))).toBe(false);
    expect(detectCgroups({ mountinfo: '', selfCgroup: '', pid: 1 })).toEqual({ ok: false, reason: 'no cgroup hierarchy is mounted' });
  });
});

describe('cgroup v1 (fake tree)', () => {
  it('makes procinit-<pid>/<name> in the memory and cpu hierarchies and reads oom_control', () => {
    const root = tempDir();
    for (const c of ['memory', 'cpu']) mkdirSync(join(root, c, 'app'), { recursive: true });
    const mi = `35 31 0:32 / ${join(root, 'memory')} rw - cgroup cgroup rw,memory\n32 31 0:29 / ${join(root, 'cpu')} rw - cgroup cgroup rw,cpu\n`;
    // what a SIGKILLed procinit left (its pid gone) is removed; a live procinit's parent is not
    mkdirSync(join(root, 'memory/app/procinit-999999999/web.1'), { recursive: true });
    mkdirSync(join(root, `memory/app/procinit-${process.pid}/web.1`), { recursive: true });
    const d = detectCgroups({ mountinfo: mi, selfCgroup: '4:memory:/app\n1:cpu:/app\n', pid: 99 });
    expect(existsSync(join(root, 'memory/app/procinit-999999999'))).toBe(false);
    expect(existsSync(join(root, `memory/app/procinit-${process.pid}/web.1`))).toBe(true);
    expect(d).toEqual({ ok: true, host: { version: 1, memoryParent: join(root, 'memory/app/procinit-99'), cpuParent: join(root, 'cpu/app/procinit-99') } });
    const cg = InstanceCgroup.create((d as { host: CgroupHost }).host, 'bad/name', { memoryBytes: 32 << 20, cpu: 1.5 }) as InstanceCgroup;
    const mem = join(root, 'memory/app/procinit-99/bad_name');
    expect(readFileSync(join(mem, 'memory.limit_in_bytes'), 'utf8')).toBe(String(32 << 20));
    expect(readFileSync(join(mem, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(String(32 << 20));
    expect(readFileSync(join(root, 'cpu/app/procinit-99/bad_name/cpu.cfs_quota_us'), 'utf8')).toBe('150000');
    expect(cg.procsFiles()).toEqual([join(mem, 'cgroup.procs'), join(root, 'cpu/app/procinit-99/bad_name/cgroup.procs')]);
    writeFileSync(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    cg.markStart();
    writeFileSync(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    expect(cg.oomKillsSinceStart()).toBe(2);
    writeFileSync(join(mem, 'cgroup.procs'), '11\n12\n');
    const killed: number[] = [];
    cg.killAll((pid) => killed.push(pid));
    expect(killed).toEqual([11, 12]);
  });
});

describe('sizes', () => {
  it('formats and parses binary sizes as limits are written', () => {
    expect([64 << 20, 32 << 20, 1536 << 20, 512 << 10, 100, (96 << 20) + 100].map(formatBytes)).toEqual(['64M', '32M', '1.5G', '512K', '100B', '96M']);
    expect(['64M', '1G', '512k', '1048576', '1.5G', '64Q', '', '-1M'].map(parseBytes)).toEqual([64 << 20, 1 << 30, 512 << 10, 1048576, 1536 << 20, null, null, null]);
  });
});

describe('/proc parsing', () => {
  it('reads utime+stime after the command (which may hold spaces and parens) and VmRSS in bytes', async () => {
    const { cpuSecondsFromStat, rssFromStatus, isRunning } = await import('../../../../src/health/limits/proc-sample.js');
    expect(isRunning(process.pid)).toBe(true);
    expect(isRunning(999999999)).toBe(false);
    const stat = '4242 (my (weird) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 1000 200 18446744073709551615';
    expect(cpuSecondsFromStat(stat)).toBe(3);
    expect(cpuSecondsFromStat('garbage')).toBeNull();
    expect(rssFromStatus('Name:\tx\nVmRSS:\t   84936 kB\n')).toBe(84936 * 1024);
    expect(rssFromStatus('Name:\tzombie\n')).toBe(0);
  });
});
