/**
 * tini mode (`procinit -- CMD ARGS`) as PID 1: the behaviours tini's and dumb-init's own suites check.
 */
import { describe, expect, it } from 'vitest';
import { fixtureDir, startWatched, tempDir, until, procinitArgv } from '../helpers/procinit.js';
import { canUnshare, childrenOf, startAsPid1 } from '../helpers/pidns.js';

const unshareOk = canUnshare();

function runPlain(args: string[], cwd = tempDir()) {
  return startWatched(procinitArgv()[0], [procinitArgv()[1], ...args], { cwd });
}

describe('tini mode: procinit -- CMD', () => {
  it('passes the exit code through', async () => {
    expect((await runPlain(['--', 'sh', '-c', 'exit 7']).exit()).code).toBe(7);
  });

  it('exits 128+n when the command dies of signal n', async () => {
    expect((await runPlain(['--', 'sh', '-c', 'kill -USR1 $$']).exit()).code).toBe(138);
  });

  it('exits 127 with one line for a command that is not found', async () => {
    const p = runPlain(['--', 'no-such-command-xyz']);
    expect((await p.exit()).code).toBe(127);
    expect(p.stderr.trim().split('\n')).toEqual(['procinit: no-such-command-xyz: command not found']);
  });

  it('exits 126 with one line for a file that is not executable', async () => {
    const dir = fixtureDir({});
    require('node:fs').writeFileSync(`${dir}/script.sh`, 'echo hi\n', { mode: 0o644 });
    const p = runPlain(['--', './script.sh'], dir);
    expect((await p.exit()).code).toBe(126);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toMatch(/not executable/);
  });

  it("keeps the caller's working directory and passes output through unprefixed", async () => {
    const dir = tempDir();
    const p = runPlain(['--', 'pwd'], dir);
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toBe(require('node:fs').realpathSync(dir) + '\n');
  });

  it('refuses an empty command after --', async () => {
    const p = runPlain(['--']);
    expect((await p.exit()).code).toBe(2);
    expect(p.stderr).toMatch(/nothing to run after '--'/);
  });
});

describe.skipIf(!unshareOk)('tini mode as PID 1', () => {
  const SIGS = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'TERM', 'WINCH', 'CONT', 'ALRM'];

  it('forwards every catchable signal to the child', async () => {
    const script = `for s in ${SIGS.join(' ')}; do trap "echo got $s" $s; done; echo ready; while :; do sleep 0.02; done`;
    const run = await startAsPid1(['-t', '60', '--', 'sh', '-c', script], tempDir());
    await run.watched.waitFor('ready');
    for (const s of SIGS) {
      run.signal(`SIG${s}` as NodeJS.Signals);
      await run.watched.waitFor(`got ${s}`);
    }
    run.signal('SIGKILL'); // from outside, nothing else left to test
    await run.watched.exit();
  });

  it('SIGKILLs a child that ignores SIGTERM after the grace (-t)', async () => {
    const run = await startAsPid1(['-t', '1', '--', 'sh', '-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"], tempDir());
    await run.watched.waitFor('ready');
    const t0 = Date.now();
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(137);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('does not hang on a job-control-suspended child: SIGTERM still ends it', async () => {
    const run = await startAsPid1(['-t', '5', '--', 'sh', '-c', 'echo ready; exec sleep 300'], tempDir());
    await run.watched.waitFor('ready');
    // TSTP/TTIN/TTOU at PID 1 must not suspend procinit itself
    run.signal('SIGTSTP');
    run.signal('SIGTTIN');
    run.signal('SIGTTOU');
    // a child suspended by job control (SIGSTOP here: the kernel discards TSTP for an orphaned group)
    const child = childrenOf(run.outerPid)[0];
    process.kill(child.pid, 'SIGSTOP');
    await until(() => childrenOf(run.outerPid).some((c) => c.state === 'T'), 10_000, 'child stopped');
    expect(childrenOf(run.watched.pid)[0].state).not.toBe('T');
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(143);
  });

  it('reaps 2,000 orphans created in a burst: 0 zombies afterwards', async () => {
    const script = 'i=0; while [ $i -lt 2000 ]; do (true &); i=$((i+1)); done; echo burst done; exec sleep 300';
    const run = await startAsPid1(['--', 'sh', '-c', script], tempDir());
    await run.watched.waitFor('burst done', 60_000);
    await until(() => childrenOf(run.outerPid).length === 1, 20_000, 'only the child left');
    expect(run.zombies()).toEqual([]);
    run.signal('SIGTERM');
    expect((await run.watched.exit()).code).toBe(143);
  });
});
