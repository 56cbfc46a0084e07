/**
 * [fcgi-program:x] sockets: the mode is set by bind (umask) and the owner with lchown, so a user who can
 * write to the socket's folder and swaps the new socket for a symlink never gets root to chmod or chown the
 * symlink's target; a folder others may write to is refused. Real sockets, a real racer process.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessSpec } from '../../../src/config/model.js';
import { FcgiSockets } from '../../../src/fcgi/sockets.js';
import { silentLogger } from '../../../src/output/log.js';
import { raceSocketSetup } from '../../helpers/symlink-racer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procinit-fcgi-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function spec(path: string, owner: { user: string; group: string | null } | null): ProcessSpec {
  return { name: 'php:php_00', program: 'php', user: null, fcgiSocket: { kind: 'unix', path, owner, mode: 0o770, backlog: null, group: 'php' } } as unknown as ProcessSpec;
}

describe('FastCGI unix sockets', () => {
  it('has socket_mode from bind on', () => {
    const sockets = new FcgiSockets(silentLogger());
    const path = join(dir, 'php.sock');
    expect(sockets.fdFor(spec(path, null))).toBeGreaterThan(2);
    expect(statSync(path).mode & 0o777).toBe(0o770);
    sockets.close();
  });

  it('refuses a folder everyone may write to (not sticky)', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => new FcgiSockets(silentLogger()).fdFor(spec(join(open, 'php.sock'), null))).toThrow(/writable by everyone/);
  });

  it.skipIf(process.getuid?.() !== 0)('a racer swapping the socket for a symlink never gets its target chmod-ed or chown-ed (10 tries)', async () => {
    const swapped = await raceSocketSetup(dir, 'php.sock', async (path) => {
      const sockets = new FcgiSockets(silentLogger());
      sockets.fdFor(spec(path, { user: 'nobody', group: null }));
      return () => sockets.close();
    }, (mode, uid) => {
      expect(mode).toBe('644');
      expect(uid).toBe(0);
    });
    expect(swapped).toBeGreaterThan(0);
  });
});
