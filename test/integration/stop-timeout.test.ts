/** Item 8 of issue 17: a grace that cannot fit in the container's stop timeout is said at start. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit, type Watched } from '../helpers/procinit.js';

const CONF = `[supervisord]
nodaemon=true
[program:app]
command=sleep 1000
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
`;

const runs: Watched[] = [];
afterEach(async () => {
  for (const w of runs.splice(0)) {
    w.kill('SIGTERM');
    await w.exit();
  }
});

function start(args: string[], env: Record<string, string | undefined> = {}): Watched {
  const dir = fixtureDir({ 'supervisord.conf': CONF });
  const w = startProcinit(['-c', join(dir, 'supervisord.conf'), '--socket', join(dir, 's.sock'), ...args], { cwd: dir, env });
  runs.push(w);
  return w;
}

describe('stop timeout', () => {
  it("warns when supervisord's default stopwaitsecs=10 cannot fit in docker stop's 10 s", async () => {
    const w = start([]);
    const line = await w.waitFor(/ WARN stopping can take .*/); // supervisord's log format for a supervisord.conf
    expect(line).toMatch(/stopping can take 11s \(grace app 10s \+ 1s for procinit\), more than the container's stop timeout of 10s: .*docker stop -t 11.*PROCINIT_STOP_TIMEOUT=11/);
    await w.waitFor("spawned: 'app'");
  });

  it.each([[['--stop-timeout', '30'], {}], [[], { PROCINIT_STOP_TIMEOUT: '11' }]])('is quiet when told the container waits longer (%j %j)', async (args, env) => {
    const w = start(args, env);
    await w.waitFor("spawned: 'app'");
    expect(w.stdout + w.stderr).not.toMatch(/stopping can take/);
  });

  it('refuses a stop timeout that is not a number of seconds (exit 2, one line)', async () => {
    const w = start(['--stop-timeout', 'soon']);
    const exit = await w.exit();
    expect(exit.code).toBe(2);
    expect(w.stderr.trim()).toBe("procinit: --stop-timeout: expected a number of seconds, got 'soon' (see 'procinit --help')");
  });
});
