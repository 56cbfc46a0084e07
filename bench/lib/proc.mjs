// Measuring processes from outside: /proc trees, RSS, CPU ticks, marker files, and spawning tools in a
// process group of their own so that whatever they leave behind can be cleaned up.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Milliseconds on CLOCK_MONOTONIC: the clock the benchmark programs stamp their markers with. */
export function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** null after ms, for Promise.race with an exit: the timer does not keep the harness alive once it is done
 * (a pending 60 s race timer held the finished run for up to a minute). */
export function timeout(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms, null).unref());
}

/** Busy and total jiffies of all CPUs so far (/proc/stat). */
function cpuJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

/** utime+stime (clock ticks, as /proc/stat's jiffies) of every process the harness started and that still runs. */
function ownTicks() {
  const ticks = new Map();
  for (const run of live) for (const pid of tree(run.pid)) ticks.set(pid, cpuTicks(pid));
  return ticks;
}

/**
 * Wait until the machine is quiet: less than `busyShare` of all CPUs busy over a `windowMs` window (a tool
 * started just before, pm2's daemon or supervisord's first ticks, may still be working), at most `maxMs`.
 * On a machine busy with other work (a shared one), waiting for it gains nothing: the wait also ends after
 * two windows in a row in which everything the harness started used less than half of `busyShare`.
 * Returns the milliseconds waited. Start times are taken only once the harness's own tools are quiet, for
 * every tool alike.
 */
export async function quiet({ windowMs = 200, busyShare = 0.1, maxMs = 5000 } = {}) {
  const t0 = now();
  let last = cpuJiffies();
  let lastOwn = ownTicks();
  let ownQuiet = 0;
  while (now() - t0 < maxMs) {
    await sleep(windowMs);
    const cur = cpuJiffies();
    const curOwn = ownTicks();
    const jiffies = Math.max(1, cur.total - last.total);
    const share = (cur.busy - last.busy) / jiffies;
    let own = 0;
    for (const [pid, t] of curOwn) own += Math.max(0, t - (lastOwn.get(pid) ?? 0));
    last = cur;
    lastOwn = curOwn;
    if (share < busyShare) break;
    ownQuiet = own / jiffies < busyShare / 2 ? ownQuiet + 1 : 0;
    if (ownQuiet >= 2) break;
  }
  return now() - t0;
}

/** Poll fn() every intervalMs until it returns a truthy value; null on timeout. */
export async function waitFor(fn, { timeoutMs = 30000, intervalMs = 2 } = {}) {
  const end = now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (now() > end) return null;
    await sleep(intervalMs);
  }
}

/** Direct children of pid (every thread's list). */
export function children(pid) {
  const out = [];
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const s of text.split(' ')) if (s.trim()) out.push(Number(s));
  }
  return out;
}

/** pid and all its descendants. */
export function tree(pid) {
  const seen = [pid];
  for (let i = 0; i < seen.length; i++) for (const c of children(seen[i])) if (!seen.includes(c)) seen.push(c);
  return seen;
}

export function status(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => text.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? null;
    const kb = (name) => Number((field(name) ?? '0 kB').split(/\s+/)[0]) || 0;
    return {
      name: field('Name'),
      state: (field('State') ?? '?')[0],
      rssKb: kb('VmRSS'),
      anonKb: kb('RssAnon'),
      fileKb: kb('RssFile') + kb('RssShmem'),
    };
  } catch {
    return null;
  }
}

export function exe(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/** utime + stime of the process itself (not of its children), in clock ticks (1/100 s). */
export function cpuTicks(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

export const TICK_MS = 10;

/**
 * The processes a tool adds: root and its descendants, minus the benchmark programs themselves
 * (recognised by their executable) and minus zombies.
 */
export function toolProcesses(root, programExes) {
  const out = [];
  for (const pid of tree(root)) {
    const st = status(pid);
    if (!st || st.state === 'Z') continue;
    const e = exe(pid);
    if (e && programExes.has(e)) continue;
    out.push({ pid, name: st.name, rssKb: st.rssKb, anonKb: st.anonKb, fileKb: st.fileKb, exe: e });
  }
  return out;
}

/** Read marker files "<monotonic ns> <pid>" in dir whose names start with prefix. */
export function markers(dir, prefix = '') {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out = [];
  for (const e of entries) {
    const n = e.name;
    if (!e.isFile() || !n.startsWith(prefix) || n.endsWith('.tmp')) continue;
    try {
      const [ns, pid] = readFileSync(join(dir, n), 'utf8').trim().split(/\s+/);
      out.push({ name: n, ms: Number(ns) / 1e6, pid: Number(pid) });
    } catch {
      /* being renamed */
    }
  }
  return out;
}

export function alive(pid) {
  const st = status(pid);
  return st !== null && st.state !== 'Z';
}

/**
 * Spawn a command in its own process group. Returns { child, pid, exited: Promise<{code, signal, at}> }.
 * stdio: [stdin, stdout, stderr] as for child_process.spawn.
 */
export function launch(cmd, args, { env, cwd, stdio = ['ignore', 'ignore', 'ignore'], group = true } = {}) {
  const child = spawn(cmd, args, { env, cwd, stdio, detached: group });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: now() }));
    child.once('error', (err) => resolve({ code: null, signal: null, at: now(), error: err }));
  });
  const run = { child, pid: child.pid, exited };
  if (child.pid !== undefined) {
    live.add(run);
    exited.then(() => live.delete(run));
  }
  return run;
}

const live = new Set();

/** Kill everything the harness started and is still running (on Ctrl-C or a crash). */
export function killAllLaunched() {
  for (const run of live) killTree(run.pid);
}

/** The start time of pid in clock ticks since boot: with the pid, names one process (pids get reused). */
export function startTime(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** Snapshot of root's tree as [pid, starttime] pairs, to kill later without hitting a reused pid. */
export function snapshot(root) {
  return tree(root).map((pid) => [pid, startTime(pid)]);
}

export function killSnapshot(snap) {
  for (const [pid, st] of snap) {
    if (st === null || startTime(pid) !== st) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** SIGKILL root's whole tree and process group (cleanup after a run; not a measurement). */
export function killTree(root) {
  const snap = snapshot(root);
  try {
    process.kill(-root, 'SIGKILL');
  } catch {
    /* no such group */
  }
  killSnapshot(snap);
}

/** Ask a tool to stop (SIGTERM), give it graceMs, then kill what is left of it. */
export async function stopTool(run, graceMs = 15000) {
  if (!run || run.pid === undefined) return;
  const snap = snapshot(run.pid);
  try {
    process.kill(run.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const t = await Promise.race([run.exited, timeout(graceMs)]);
  killTree(run.pid);
  killSnapshot(snap);
  if (!t) await Promise.race([run.exited, timeout(2000)]);
}

/** Proportional set size (shared pages divided among their users), kB; null when unreadable. */
export function pssKb(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** A tool id as a file name part. */
export function safeName(id) {
  return id.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

export function fileExists(p) {
  return existsSync(p);
}
