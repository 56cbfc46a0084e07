/**
 * killQuietly: kill(2) with ESRCH/EPERM as values. Through the addon's kill once the addon is loaded (as in
 * a run), through process.kill before; both answer the same, and the addon refuses pid 0 and -1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { killQuietly } from '../../../src/pid1/kill.js';
import { loadAddon, loadedAddon, PROCINIT_ADDON } from '../../../src/pid1/native.js';
import { groupAlive, sendSignal } from '../../../src/supervisor/instance.js';

/** A pid that surely names no process: one that ran and was waited for. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

function sleeper(): Promise<ReturnType<typeof spawn>> {
  const c = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  children.push(c);
  return new Promise((resolve) => c.once('spawn', () => resolve(c)));
}

function exited(c: ReturnType<typeof spawn>): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => c.once('exit', (_code, sig) => resolve(sig)));
}

describe.each([
  ['process.kill (addon not loaded yet)', false],
  ['the addon', true],
])('killQuietly through %s', (_name, useAddon) => {
  it('uses the path it says', () => {
    if (useAddon) loadAddon(PROCINIT_ADDON);
    expect(typeof (loadedAddon(PROCINIT_ADDON) as { kill?: unknown } | null)?.kill === 'function').toBe(useAddon);
  });

  it('a process or group that is gone is ESRCH, not an exception', () => {
    const pid = deadPid();
    expect(killQuietly(pid, 'TERM')).toBe('ESRCH');
    expect(killQuietly(-pid, '0')).toBe('ESRCH');
    expect(groupAlive(pid)).toBe(false);
    expect(() => sendSignal(pid, 'KILL', true)).not.toThrow();
  });

  it('signals a live group and answers whether it has members', async () => {
    const c = await sleeper();
    expect(groupAlive(c.pid!)).toBe(true);
    const gone = exited(c);
    expect(killQuietly(-c.pid!, 'TERM')).toBeNull();
    expect(await gone).toBe('SIGTERM');
  });
});

describe('the addon kill', () => {
  it('refuses pid 0 (our own group) and -1 (every process)', () => {
    const addon = loadAddon(PROCINIT_ADDON) as { kill(pid: number, signo: number): number };
    expect(addon.kill(0, 0)).not.toBe(0);
    expect(addon.kill(-1, 0)).not.toBe(0);
    expect(addon.kill(process.pid, 0)).toBe(0);
  });
});
