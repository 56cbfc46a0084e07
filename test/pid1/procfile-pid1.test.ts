/** procinit as PID 1 of a real PID namespace running a Procfile: reaping, signals, grace, exit codes. */
import { describe, expect, it } from 'vitest';
import { alive, fixtureDir, until } from '../helpers/procinit.js';
import { canUnshare, childrenOf, startAsPid1 } from '../helpers/pidns.js';

const unshareOk = canUnshare();

describe.skipIf(!unshareOk)('procinit as PID 1 (unshare --pid --fork --mount-proc)', () => {
  it('reaps 200 orphans left behind by a program: 0 zombies once they exit', async () => {
    const dir = fixtureDir({
      Procfile: `orphans: for i in $(seq 200); do (sleep 0.1 &); done; echo spawned; exec sleep 300\n`,
    });
    const run = await startAsPid1([], dir);
    await run.watched.waitFor(/orphans\.1 +\| spawned/);
    expect(run.watched.output).toMatch(/procinit as PID 1 running/);
    // every orphan re-parented to PID 1 exits after 0.1 s; none may stay a zombie
    await until(() => childrenOf(run.outerPid).length === 1, 20_000, 'only orphans.1 left as a child of PID 1');
    expect(run.zombies()).toEqual([]);
    // and procinit still sees its own child's exit (its status was not stolen)
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    expect(run.watched.output).toMatch(/orphans\.1 stopped \(killed by SIGTERM\)/);
  });

  it('stops everything within the grace on SIGTERM from outside, exit 0', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo up; exec sleep 300\nworker: exec sleep 300\n' });
    const run = await startAsPid1(['-t', '5'], dir);
    await run.watched.waitFor(/web\.1 +\| up/);
    const t0 = Date.now();
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('SIGKILLs a program that traps and ignores SIGTERM after --timeout, exit 1', async () => {
    const dir = fixtureDir({ Procfile: `stubborn: trap '' TERM; echo ready; while :; do sleep 0.05; done\n` });
    const run = await startAsPid1(['-t', '1'], dir);
    await run.watched.waitFor(/stubborn\.1 +\| ready/);
    const t0 = Date.now();
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(run.watched.output).toMatch(/SIGKILL/);
  });

  it('kills a grandchild in the process group with its parent', async () => {
    const dir = fixtureDir({ Procfile: `web: sh -c 'sleep 300 & echo grandchild up; wait'\n` });
    const run = await startAsPid1([], dir);
    await run.watched.waitFor(/web\.1 +\| grandchild up/);
    const web = childrenOf(run.outerPid)[0];
    const sleeps = (): ReturnType<typeof childrenOf> => childrenOf(web.pid).flatMap((c) => [c, ...childrenOf(c.pid)]).filter((c) => c.comm === 'sleep');
    // the shell printed after its fork: the forked child may not have exec'd sleep yet (its comm is still sh)
    await until(() => sleeps().length > 0, 20_000, 'the background sleep has exec\'d');
    const grandchildren = sleeps();
    expect(grandchildren.length).toBe(1);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
    expect(alive(grandchildren[0].pid)).toBe(false);
  });

  it("exits with the code of a process that may not die, 128+n for signal n", async () => {
    const five = await startAsPid1([], fixtureDir({ Procfile: 'web: exec sleep 300\njob: sleep 0.2; exit 5\n' }));
    expect((await five.watched.exit()).code).toBe(5);
    const killed = await startAsPid1([], fixtureDir({ Procfile: 'web: exec sleep 300\njob: sleep 0.2; kill -TERM $$\n' }));
    expect((await killed.watched.exit()).code).toBe(143);
  });

  it('forwards SIGUSR1 to every process group and survives SIGHUP', async () => {
    const dir = fixtureDir({ Procfile: `web: trap 'echo got USR1' USR1; echo ready; while :; do sleep 0.05; done\n` });
    const run = await startAsPid1([], dir);
    await run.watched.waitFor(/web\.1 +\| ready/);
    run.signal('SIGHUP');
    run.signal('SIGUSR1');
    await run.watched.waitFor(/web\.1 +\| got USR1/);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(0);
  });
});
