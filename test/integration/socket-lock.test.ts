/**
 * Two procinits started together on one stale socket (issue 16 item 6): exactly one runs, the other
 * exits 1 with one line, and the survivor's socket is never unlinked by the loser. 20 tries, real
 * processes (a Procfile of one `sleep`), a stale socket left by a process killed while listening.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit, type Watched } from '../helpers/procinit.js';
import { RawClient } from '../reliability/support/socket-client.js';

describe('the lock beside the control socket', () => {
  it('two procinits started together on a stale socket: exactly one runs, 20 times out of 20', async () => {
    const dir = fixtureDir({ Procfile: 'sleeper: sleep 60\n' });
    const sock = join(dir, 'ctl.sock');
    for (let i = 0; i < 20; i++) {
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(process.argv[1],()=>process.kill(process.pid,'SIGKILL'))`, sock]);
      expect(statSync(sock).isSocket()).toBe(true);
      const both: Watched[] = [0, 1].map(() => startProcinit(['--socket', sock], { cwd: dir }));
      // the loser exits at once; the winner runs until told
      const first = await Promise.race(both.map((w, n) => w.exited.then((e) => ({ n, e }))));
      const loser = both[first.n];
      const winner = both[1 - first.n];
      expect(first.e.code, `try ${i}: ${loser.output}`).toBe(1);
      expect(loser.stderr.trim().split('\n')).toHaveLength(1);
      expect(loser.stderr).toMatch(new RegExp(`^procinit: another procinit( \\(pid ${winner.pid}\\))? is (already listening on|starting on) ${sock.replace(/[/.]/g, '\\$&')}`));
      // the loser may exit while the winner still holds only the lock (the stale socket not yet replaced:
      // a connection then is refused); the winner binds before it starts its programs
      await winner.waitFor(/sleeper\.1 .*started|started.*sleeper/);
      const c = await RawClient.open(sock);
      expect((await c.waitFor((m) => m.hello === 'procinit')).pid).toBe(winner.pid);
      expect((await c.request(1, 'status')).ok).toBe(true);
      c.destroy();
      expect(winner.child.exitCode).toBeNull();
      winner.kill('SIGTERM');
      await winner.exit();
    }
  }, 120_000);
});
