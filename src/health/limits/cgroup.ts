/**
 * One cgroup per instance, on cgroup v2 or v1: make it, write its limits, hand out the `cgroup.procs` files a
 * child joins before it execs, read its memory use and OOM kills, kill what is left in it, remove it.
 * Every file operation returns a result or is best-effort; nothing here throws at the event loop.
 *
 *   v2  <own>/cgroup.subtree_control gets +memory (+cpu); procinit itself moves to <own>/procinit (a cgroup
 *       with processes may not have controllers enabled below it); instance cgroups are <own>/<name>:
 *       memory.max, memory.swap.max = 0, memory.oom.group = 1 (the kernel kills the whole instance),
 *       cpu.max; OOM kills from memory.events, use from memory.current.
 *   v1  instance cgroups are <own>/procinit-<pid>/<name> in the memory (and cpu) hierarchies:
 *       memory.limit_in_bytes (+ memory.memsw.limit_in_bytes, so swap does not stretch it),
 *       cpu.cfs_quota_us; OOM kills from memory.oom_control's oom_kill (memory.failcnt on kernels before
 *       4.13), use from memory.usage_in_bytes.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from './limits.js';
import { v1Dir, v2Dir } from './cgroup-detect.js';

export type CgroupVersion = 1 | 2;

/** What the host offers: a version, the directories instance cgroups go under, which controllers. */
export interface CgroupHost {
  version: CgroupVersion;
  /** v2: the one parent; v1: the memory hierarchy's parent. */
  memoryParent: string;
  /** Where cpu limits go (v2: same as memoryParent), or null when cpu cannot be limited. */
  cpuParent: string | null;
}

export type Detection = { ok: true; host: CgroupHost } | { ok: false; reason: string };

export interface DetectInput {
  mountinfo: string;
  selfCgroup: string;
  pid: number;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function tryWrite(path: string, value: string): string | null {
  try {
    writeFileSync(path, value);
    return null;
  } catch (err) {
    return errText(err);
  }
}

function tryMkdir(path: string): string | null {
  try {
    mkdirSync(path);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EEXIST' ? null : errText(err);
  }
}

/**
 * Can procinit make child cgroups with a memory controller? v2 when its hierarchy has the memory controller,
 * else v1's memory hierarchy; set up the parents (v2: move procinit to a leaf, enable controllers).
 * Reads and writes the real files named by mountinfo (a fake tree in tests).
 */
export function detectCgroups({ mountinfo, selfCgroup, pid }: DetectInput): Detection {
  const reasons: string[] = [];
  const own2 = v2Dir(mountinfo, selfCgroup);
  if (own2) {
    const controllers = (read(join(own2, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
    if (controllers.includes('memory')) {
      const r = setUpV2(own2, controllers.includes('cpu'), pid);
      if (r.ok) return r;
      reasons.push(r.reason);
    } else {
      reasons.push(`the cgroup v2 hierarchy has no memory controller at ${own2}`);
    }
  }
  const mem1 = v1Dir(mountinfo, selfCgroup, 'memory');
  if (mem1) {
    removeStale(mem1);
    const parent = join(mem1, `procinit-${pid}`);
    const err = tryMkdir(parent);
    if (err === null) {
      const cpu1 = v1Dir(mountinfo, selfCgroup, 'cpu');
      const cpuParent = cpu1 ? join(cpu1, `procinit-${pid}`) : null;
      return { ok: true, host: { version: 1, memoryParent: parent, cpuParent: cpuParent && tryMkdir(cpuParent) === null ? cpuParent : null } };
    }
    reasons.push(`cannot make a cgroup in ${mem1} (${err})`);
  } else if (!own2) {
    reasons.push('no cgroup hierarchy is mounted');
  } else {
    reasons.push('no cgroup v1 memory hierarchy');
  }
  return { ok: false, reason: reasons.join('; ') };
}

function setUpV2(own: string, cpu: boolean, pid: number): Detection {
  const subtree = (read(join(own, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  const want = ['memory', ...(cpu ? ['cpu'] : [])].filter((c) => !subtree.includes(c));
  if (want.length > 0) {
    // "no internal processes": procinit leaves its cgroup for a leaf of its own before enabling controllers
    const procs = (read(join(own, 'cgroup.procs')) ?? '').split('\n').filter(Boolean);
    if (procs.some((p) => p !== String(pid))) return { ok: false, reason: `cgroup ${own} holds other processes than procinit, so no controller can be enabled below it` };
    const leaf = join(own, 'procinit');
    const err = tryMkdir(leaf) ?? tryWrite(join(leaf, 'cgroup.procs'), String(pid));
    if (err !== null) return { ok: false, reason: `cannot make a cgroup in ${own} (${err})` };
    const enable = tryWrite(join(own, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
    if (enable !== null) {
      tryWrite(join(own, 'cgroup.procs'), String(pid)); // back where it was
      return { ok: false, reason: `cannot enable the memory controller in ${own} (${enable})` };
    }
  }
  return { ok: true, host: { version: 2, memoryParent: own, cpuParent: cpu ? own : null } };
}

/** A name safe as one directory name. */
function dirName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.@-]/g, '_');
  return safe === '.' || safe === '..' || safe === 'procinit' ? `_${safe}` : safe;
}

const CFS_PERIOD_US = 100_000;

/** One instance's cgroup(s): v2 one directory, v1 one per hierarchy (memory, cpu). */
export class InstanceCgroup {
  readonly memoryDir: string;
  readonly cpuDir: string | null;
  private oomAtStart = 0;

  private constructor(
    readonly host: CgroupHost,
    name: string,
  ) {
    this.memoryDir = join(host.memoryParent, dirName(name));
    this.cpuDir = host.version === 1 && host.cpuParent ? join(host.cpuParent, dirName(name)) : null;
  }

  /** Make the cgroup and write the limits: the cgroup, or the reason it could not be made. */
  static create(host: CgroupHost, name: string, limits: ResourceLimits): InstanceCgroup | string {
    const cg = new InstanceCgroup(host, name);
    const err = cg.apply(limits);
    return err === null ? cg : err;
  }

  /** (Re)write the limits; a cpu limit the host cannot enforce is skipped (the monitor says so). */
  apply(limits: ResourceLimits): string | null {
    const made = tryMkdir(this.memoryDir);
    if (made !== null) return `cannot make cgroup ${this.memoryDir} (${made})`;
    const mem = limits.memoryBytes;
    const errors: string[] = [];
    /** optional: a file the kernel may lack (no swap accounting, an older kernel) */
    const put = (dir: string, file: string, value: string, optional = false): void => {
      const e = tryWrite(join(dir, file), value);
      if (e !== null && !(optional && (e === 'ENOENT' || e === 'EACCES'))) errors.push(`${join(dir, file)}: ${e}`);
    };
    if (this.host.version === 2) {
      put(this.memoryDir, 'memory.max', mem === null ? 'max' : String(mem));
      if (mem !== null) put(this.memoryDir, 'memory.swap.max', '0', true);
      put(this.memoryDir, 'memory.oom.group', '1', true);
      if (this.host.cpuParent) put(this.memoryDir, 'cpu.max', limits.cpu === null ? `max ${CFS_PERIOD_US}` : `${Math.max(1000, Math.round(limits.cpu * CFS_PERIOD_US))} ${CFS_PERIOD_US}`);
    } else {
      const bytes = mem === null ? '-1' : String(mem);
      // memsw (memory + swap, where swap is accounted) must stay >= memory: the first write may be refused
      // when the limit grows, so memory, then memsw, then memory again, which succeeds in either direction
      tryWrite(join(this.memoryDir, 'memory.limit_in_bytes'), bytes);
      put(this.memoryDir, 'memory.memsw.limit_in_bytes', bytes, true);
      put(this.memoryDir, 'memory.limit_in_bytes', bytes);
      if (this.cpuDir) {
        const cpuMade = tryMkdir(this.cpuDir);
        if (cpuMade !== null) errors.push(`cannot make cgroup ${this.cpuDir} (${cpuMade})`);
        else {
          put(this.cpuDir, 'cpu.cfs_period_us', String(CFS_PERIOD_US), true);
          put(this.cpuDir, 'cpu.cfs_quota_us', limits.cpu === null ? '-1' : String(Math.max(1000, Math.round(limits.cpu * CFS_PERIOD_US))));
        }
      }
    }
    return errors.length > 0 ? errors.join('; ') : null;
  }

  /** The cgroup.procs files a new child writes itself into before exec (each opened for writing). */
  procsFiles(): string[] {
    return [this.memoryDir, ...(this.cpuDir ? [this.cpuDir] : [])].map((d) => join(d, 'cgroup.procs'));
  }

  /** Open procsFiles(): the fds (close them with closeFds), or the reason. */
  openJoinFds(): number[] | string {
    const fds: number[] = [];
    for (const f of this.procsFiles()) {
      try {
        fds.push(openSync(f, 'w'));
      } catch (err) {
        closeFds(fds);
        return `${f}: ${errText(err)}`;
      }
    }
    return fds;
  }

  /** Move a running process in (the paths that cannot join before exec: child_process, node-pty). */
  adopt(pid: number): string | null {
    for (const f of this.procsFiles()) {
      const e = tryWrite(f, String(pid));
      if (e !== null) return `${f}: ${e}`;
    }
    return null;
  }

  /** Memory in use by everything in the cgroup, in bytes (null when unreadable). */
  memoryUsage(): number | null {
    const text = read(join(this.memoryDir, this.host.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
    const n = text === null ? NaN : Number(text.trim());
    return Number.isFinite(n) ? n : null;
  }

  /** How many times the kernel's OOM killer killed in this cgroup so far. */
  oomKills(): number {
    if (this.host.version === 2) return counter(read(join(this.memoryDir, 'memory.events')), 'oom_kill');
    const control = read(join(this.memoryDir, 'memory.oom_control'));
    if (control !== null && /^oom_kill /m.test(control)) return counter(control, 'oom_kill');
    // kernels before 4.13 count only hits of the limit: a hit that ended in a kill is the best we can see
    return Number((read(join(this.memoryDir, 'memory.failcnt')) ?? '0').trim()) || 0;
  }

  /** Remember the OOM count when a new child starts: kills after it are this child's. */
  markStart(): void {
    this.oomAtStart = this.oomKills();
  }

  /** OOM kills since markStart(). */
  oomKillsSinceStart(): number {
    return Math.max(0, this.oomKills() - this.oomAtStart);
  }

  /** Pids in the cgroup now. */
  pids(): number[] {
    const text = read(join(this.memoryDir, 'cgroup.procs')) ?? '';
    return text.split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  }

  /** SIGKILL everything in the cgroup (v2: cgroup.kill where the kernel has it). */
  killAll(kill: (pid: number) => void): void {
    if (this.host.version === 2 && tryWrite(join(this.memoryDir, 'cgroup.kill'), '1') === null) return;
    for (const pid of this.pids()) kill(pid);
  }

  /** Remove the directories; false while processes are still in them (EBUSY). */
  remove(): boolean {
    let ok = true;
    for (const dir of [this.memoryDir, this.cpuDir]) {
      if (!dir) continue;
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
      }
    }
    return ok;
  }
}

export function closeFds(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
}

/** A `key value` line's value in a flat-keyed cgroup file (memory.events, memory.oom_control). */
function counter(text: string | null, key: string): number {
  const m = text === null ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Parents left by a procinit that was SIGKILLed (no cleanup ran): procinit-<pid> whose pid is gone. Only
 * empty cgroups can be removed (rmdir refuses the others), so nothing that still runs is touched.
 */
function removeStale(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((e) => /^procinit-\d+$/.test(e));
  } catch {
    return;
  }
  for (const e of entries) {
    const pid = Number(e.slice('procinit-'.length));
    try {
      process.kill(pid, 0);
      continue; // alive: that procinit's own
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    removeTree(join(dir, e));
  }
}

function removeTree(dir: string): void {
  try {
    for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) rmdirSync(join(dir, sub.name));
    rmdirSync(dir);
  } catch {
    /* busy or gone: best effort */
  }
}

/** Remove the per-run parent directories (v1) once every instance cgroup is gone. */
export function removeHostParents(host: CgroupHost): void {
  if (host.version !== 1) return;
  for (const dir of [host.memoryParent, host.cpuParent]) if (dir) removeTree(dir);
}
