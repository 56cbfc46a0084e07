import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectSpawner, findProgram } from '../../../src/supervisor/direct-spawn.js';
import { fromWaitStatus } from '../../../src/supervisor/exit-info.js';
import { tempDir } from '../../helpers/procinit.js';
import { loadAddon, PROCINIT_ADDON } from '../../../src/pid1/native.js';
import type { ExitInfo } from '../../../src/supervisor/exit-info.js';
import { sendSignal } from '../../../src/supervisor/instance.js';

const addon = loadAddon(PROCINIT_ADDON) as { reapOrphans(own: Int32Array): number[] };

/** Reap this process's non-libuv children and hand their statuses to d, until pid's has come. */
async function reapInto(d: DirectSpawner, pid: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const flat = addon.reapOrphans(new Int32Array());
    let mine = false;
    for (let k = 0; k < flat.length; k += 2) {
      d.claim(flat[k], flat[k + 1]);
      if (flat[k] === pid) mine = true;
    }
    if (mine) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`pid ${pid} was never reaped`);
}

/** Poll until fn holds (the child's exec is not waited for: there is no event for it). */
async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !fn(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(fn()).toBe(true);
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('findProgram (execvp search, or null to leave it to child_process)', () => {
  it('takes a path as it is and searches PATH for a bare name, in order', () => {
    const dir = tempDir();
    for (const d of ['a', 'b']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'a', 'tool'), 'not executable');
    writeFileSync(join(dir, 'b', 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'b', 'tool'), 0o755);
    mkdirSync(join(dir, 'a', 'dir'));
    expect(findProgram('./x', undefined, '/')).toBe('./x');
    expect(findProgram('tool', `${dir}/a:${dir}/b`, '/')).toBe(join(dir, 'b', 'tool'));
    expect(findProgram('dir', `${dir}/a`, '/')).toBeNull();
    expect(findProgram('tool', 'b', dir)).toBe(join(dir, 'b', 'tool'));
    expect(findProgram('sh', undefined, '/')).toBeNull();
    expect(findProgram('no-such-program-here', '/usr/bin:/bin', '/')).toBeNull();
  });
});

describe('fromWaitStatus', () => {
  it('reads exit codes and signals from raw wait statuses', () => {
    expect(fromWaitStatus(3 << 8, 1)).toEqual({ code: 3, signal: null, error: null, at: 1 });
    expect(fromWaitStatus(15, 1)).toMatchObject({ code: null, signal: 'TERM' });
    expect(fromWaitStatus(9 | 0x80, 1)).toMatchObject({ code: null, signal: 'KILL' }); // core dumped
  });
});

describe('DirectSpawner', () => {
  it('leaves what it cannot start to child_process, closing every pipe it made', () => {
    const d = new DirectSpawner();
    const before = openFds();
    expect(d.launch({ file: '/no/such/program', args: [], env: {}, cwd: '/' })).toBeNull();
    expect(d.launch({ file: '/bin/true', args: [], env: {}, cwd: '/no/such/dir' })).toBeNull();
    expect(d.launch({ file: 'true', args: [], env: { PATH: '/nowhere' }, cwd: '/' })).toBeNull();
    expect(openFds()).toBe(before);
  });

  it('keeps errors synchronous where an exec could fail: a missing #! interpreter, a script without #!, no x bit', () => {
    const dir = tempDir();
    const write = (name: string, text: string, mode: number): string => {
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), mode);
      return join(dir, name);
    };
    const d = new DirectSpawner();
    const before = openFds();
    // each of these would get a pid if the addon did not look first, and fail only after it (exit 127)
    expect(d.launch({ file: write('interp', '#!/no/such/interpreter\n', 0o755), args: [], env: {}, cwd: '/' })).toBeNull();
    expect(d.launch({ file: write('noshebang', 'exit 0\n', 0o755), args: [], env: {}, cwd: '/' })).toBeNull();
    expect(d.launch({ file: write('notexec', '#!/bin/sh\n', 0o644), args: [], env: {}, cwd: '/' })).toBeNull();
    expect(openFds()).toBe(before);
  });

  // native/spawn.c spawns without waiting for the exec on x86_64 only: elsewhere this failure is synchronous
  it.runIf(process.arch === 'x64')('tells an exec that failed after the pid was returned as a spawn error, not as an exit 127', async () => {
    const d = new DirectSpawner();
    const before = openFds();
    // fd 987 is not open: the child's dup2 fails, which no look before the clone sees
    const child = d.launch({ file: '/bin/true', args: [], env: {}, cwd: '/', stdinFd: 987 });
    expect(child).not.toBeNull();
    const info = new Promise<ExitInfo>((r) => child!.onExit(r));
    await reapInto(d, child!.pid);
    expect(await info).toMatchObject({ code: null, signal: null, error: "cannot run '/bin/true': EBADF" });
    // the output pipes' read ends are the caller's (they reach end-of-file): nothing else is left open
    for (const end of [child!.stdout, child!.stderr]) if (end && 'fd' in end) closeSync(end.fd);
    expect(openFds()).toBe(before);
  });

  it('starts a program in a session of its own, every signal at its default and none blocked; its exit is claimed', async () => {
    const d = new DirectSpawner();
    const child = d.launch({ file: '/bin/sleep', args: ['30'], env: {}, cwd: '/tmp', umask: 0o027 })!;
    expect(child.pid).toBeGreaterThan(0);
    const pid = child.pid;
    await until(() => readlinkSync(`/proc/${pid}/exe`).endsWith('/sleep'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^SigBlk:\s+0+$/m);
    expect(status).toMatch(/^SigIgn:\s+0+$/m); // Node ignores SIGPIPE
    expect(status).toMatch(/^Umask:\s+0027$/m);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
    expect([Number(stat[2]), Number(stat[3])]).toEqual([pid, pid]); // pgrp, session
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe('/tmp');
    const info = new Promise<ExitInfo>((r) => child.onExit(r));
    process.kill(pid, 'SIGTERM');
    await reapInto(d, pid);
    expect(await info).toMatchObject({ code: null, signal: 'TERM', error: null });
  });

  it('claims only the statuses of its own children', () => {
    expect(new DirectSpawner().claim(123456, 0)).toBe(false);
  });
});

describe('sendSignal to a group', () => {
  it('signals a live child itself when its group does not exist (yet: between clone and setsid), never a gone leader\'s pid', async () => {
    const c = spawn('/bin/sleep', ['30'], { stdio: 'ignore' }); // procinit's group, not one of its own
    const exited = new Promise<NodeJS.Signals | null>((r) => c.once('exit', (_code, sig) => r(sig)));
    // not live: a leader that is gone (its group killed after it exited), whose pid may be somebody else's.
    // kill(2) makes a signal pending before it returns, and HUP (1) would be delivered before TERM (15)
    sendSignal(c.pid!, 'HUP', true);
    sendSignal(c.pid!, 'TERM', true, true);
    expect(await exited).toBe('SIGTERM');
  });
});
