/** The control commands against procinit running as PID 1 of a PID namespace, as in a container. */
import { describe, expect, it } from 'vitest';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, startProcinit } from '../helpers/procinit.js';
import { canUnshare, startAsPid1 } from '../helpers/pidns.js';
import { ctl, parseTable } from './control-harness.js';

const TICK = `while true; do echo "$PS tick on $PORT"; sleep 0.2; done`;
const IDLE = `trap 'echo "got USR1"' USR1; echo ready; while true; do sleep 0.1; done`;

describe.skipIf(!canUnshare())('control socket with procinit as PID 1 (unshare --pid --fork --mount-proc)', () => {
  it('every command works, and shutdown ends the namespace with exit 0', async () => {
    const dir = fixtureDir({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` });
    const sock = join(dir, 'ctl.sock');
    const run = await startAsPid1(['-t', '1', '--socket', sock], dir);
    const c = (...args: string[]) => ctl([...args, '--socket', sock]);
    await run.watched.waitFor(/worker\.1 +\| ready/);
    expect(run.watched.output).toMatch(/procinit as PID 1 running/);
    expect(statSync(sock).mode & 0o777).toBe(0o600);

    const hello = await c('status', '--json');
    expect(hello.code).toBe(0);
    const procs = JSON.parse(hello.stdout) as Array<{ name: string; pid: number }>;
    expect(procs.map((p) => p.name)).toEqual(['web.1', 'worker.1']);
    expect(procs.every((p) => p.pid > 1 && p.pid < 1000)).toBe(true); // pids as the namespace sees them

    expect(await c('signal', 'USR1', 'worker')).toMatchObject({ code: 0 });
    await run.watched.waitFor('worker.1 | got USR1');
    expect(await c('restart', 'worker')).toMatchObject({ code: 0, stdout: 'worker.1: restarted\n' });
    expect(await c('scale', 'web=2')).toMatchObject({ code: 0, stdout: 'web: 1 -> 2, started web.2\n' });
    await run.watched.waitFor(/web\.2 tick on 5001[\s\S]*web\.2 tick on 5001/);
    const logs = await c('logs', '-n', '2', 'web.2');
    expect(logs.stdout).toMatch(/^(web\.2\s+\| web\.2 tick on 5001\n){2}$/);

    writeFileSync(join(dir, 'Procfile'), `web: ${TICK}\nworker: ${IDLE}\nclock: exec sleep 100\n`);
    expect(await c('reload')).toMatchObject({ code: 0, stdout: 'clock.1: added\n(3 unchanged)\n' });
    expect(Object.keys(parseTable((await c('status')).stdout))).toEqual(['web.1', 'web.2', 'worker.1', 'clock.1']);

    const second = startProcinit(['-t', '1', '--socket', sock], { cwd: dir });
    expect((await second.exit()).code).toBe(1);
    // the pid as the second procinit's namespace sees the first (the kernel's SO_PEERCRED): 1 from inside
    expect(second.stderr).toMatch(new RegExp(`another procinit \\(pid ${run.outerPid}\\) is already listening`));

    expect(await c('stop', 'clock')).toMatchObject({ code: 0, stdout: 'clock.1: stopped\n' });
    expect(await c('shutdown')).toMatchObject({ code: 0, stdout: 'procinit is stopping...\nprocinit has stopped\n' });
    expect((await run.watched.exit()).code).toBe(0);
    expect(run.zombies()).toEqual([]);
    expect(existsSync(sock)).toBe(false);
  });

  it('status exit codes as a HEALTHCHECK sees them', async () => {
    const dir = fixtureDir({ Procfile: `web: ${TICK}\nflaky: echo bye; exit 7\n` });
    const sock = join(dir, 'ctl.sock');
    const run = await startAsPid1(['-t', '1', '--can-die', 'flaky', '--socket', sock], dir);
    await run.watched.waitFor(/flaky\.1 exited with code 7/);
    const c = (...args: string[]) => ctl([...args, '--socket', sock]);
    expect((await c('status')).code).toBe(3);
    expect((await c('status', 'web')).code).toBe(0);
    expect((await c('status', 'nope')).code).toBe(4);
    expect((await c('start', 'flaky')).code).toBe(0);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    expect((await c('status')).code).toBe(1);
  });
});
