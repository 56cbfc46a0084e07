/**
 * [unix_http_server] sockets: the mode is set by bind (umask ~chmod) and the owner with lchown, so a user who
 * can write to the socket's folder and swaps the new socket for a symlink never gets root to chmod or chown
 * the symlink's target; a folder others may write to is refused. Real sockets, a real racer process.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RpcSpec } from '../../../src/config/model.js';
import type { HttpDeps } from '../../../src/rpc/http.js';
import { serveRpc } from '../../../src/rpc/serve.js';
import { raceSocketSetup } from '../../helpers/symlink-racer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procinit-rpc-serve-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const deps = { dispatcher: {}, logFile: () => null, mainLog: () => null, onInternalError: () => {} } as unknown as Omit<HttpDeps, 'username' | 'password'>;

function spec(file: string, chmod: number, chown: string | null): RpcSpec {
  return {
    servers: [{ kind: 'unix', section: 'unix_http_server', file, chmod, chown, username: null, password: null, source: { file: 'supervisord.conf', line: 1 } }],
    identifier: 'supervisor',
    serverurl: null,
  } as unknown as RpcSpec;
}

describe('serveRpc on a unix socket', () => {
  it('has chmod= from bind on', async () => {
    const file = join(dir, 'sv.sock');
    const s = await serveRpc(spec(file, 0o760, null), deps);
    expect(statSync(file).mode & 0o777).toBe(0o760);
    await s.close();
  });

  it('refuses a folder everyone may write to (not sticky)', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(serveRpc(spec(join(open, 'sv.sock'), 0o700, null), deps)).rejects.toThrow(/writable by everyone/);
  });

  it.skipIf(process.getuid?.() !== 0)('a racer swapping the socket for a symlink never gets its target chmod-ed or chown-ed (10 tries)', async () => {
    const swapped = await raceSocketSetup(dir, 'sv.sock', async (path) => {
      const s = await serveRpc(spec(path, 0o700, 'nobody'), deps).catch(() => null);
      return async () => void (await s?.close());
    }, (mode, uid) => {
      expect(mode).toBe('644');
      expect(uid).toBe(0);
    });
    expect(swapped).toBeGreaterThan(0);
  });
});
