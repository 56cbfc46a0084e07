/**
 * [unix_http_server] sockets: the mode is set by bind (umask ~chmod) and the owner with lchown, so a user who
 * can write to the socket's folder and swaps the new socket for a symlink never gets root to chmod or chown
 * the symlink's target; a folder others may write to is refused. Real sockets, a real racer process.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RpcSpec } from '../../../src/config/model.js';
import type { HttpDeps } from '../../../src/rpc/http.js';
import { serveRpc } from '../../../src/rpc/serve.js';
import { startSymlinkRacer } from '../../helpers/symlink-racer.js';

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
    const target = join(dir, 'precious');
    writeFileSync(target, 'x');
    chmodSync(target, 0o644);
    const sockDir = join(dir, 'sockets');
    mkdirSync(sockDir);
    const racer = await startSymlinkRacer(sockDir, 'sv.sock', target);
    let swapped = 0;
    try {
      for (let i = 0; i < 10; i++) {
        const s = await serveRpc(spec(join(sockDir, 'sv.sock'), 0o700, 'nobody'), deps).catch(() => null);
        await new Promise((r) => setTimeout(r, 20));
        try {
          if (statSync(join(sockDir, 'sv.sock')).isFile()) swapped++;
        } catch {
          /* not swapped this time */
        }
        await s?.close();
        rmSync(join(sockDir, 'sv.sock'), { force: true });
        const st = statSync(target);
        expect((st.mode & 0o777).toString(8)).toBe('644');
        expect(st.uid).toBe(0);
      }
    } finally {
      racer.kill();
    }
    expect(swapped).toBeGreaterThan(0);
  });
});
