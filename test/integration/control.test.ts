/** Every client command against a real procinit running real programs, through its control socket. */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcinit, tempDir } from '../helpers/procinit.js';
import { ctl, parseTable, startRun, type Run } from './control-harness.js';

const runs: Run[] = [];
async function run(files: Record<string, string>, args: string[] = []): Promise<Run> {
  const r = await startRun(files, args);
  runs.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

const TICK = `while true; do echo "$PS tick on $PORT"; sleep 0.2; done`;
const IDLE = `trap 'echo "got USR1"' USR1; echo ready; while true; do sleep 0.1; done`;

describe('the socket', () => {
  it('is created 0600 before programs start, announced to them, and removed on exit', async () => {
    const r = await run({ Procfile: 'web: echo "sock=$PROCINIT_SOCKET"; exec sleep 100\n' }, ['-t', '1']);
    expect(statSync(r.sock).isSocket()).toBe(true);
    expect(statSync(r.sock).mode & 0o777).toBe(0o600);
    await r.w.waitFor(`sock=${r.sock}`);
    expect((await r.stop()).code).toBe(0);
    expect(existsSync(r.sock)).toBe(false);
  });

  it('refuses a second procinit on a live socket (exit 1, one line), and the first keeps answering', async () => {
    const r = await run({ Procfile: 'web: exec sleep 100\n' }, ['-t', '1']);
    const second = startProcinit(['-f', join(r.dir, 'Procfile'), '--socket', r.sock], { cwd: r.dir });
    const exit = await second.exit();
    expect(exit.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      `procinit: another procinit (pid ${r.w.pid}) is already listening on ${r.sock}: stop it or choose another --socket`,
    ]);
    expect(second.stdout).not.toMatch(/started/);
    expect((await r.ctl('status')).code).toBe(0);
  });

  it('replaces the stale socket a killed procinit left behind', async () => {
    const r = await run({ Procfile: 'web: exec sleep 100\n' }, ['-t', '1']);
    const orphan = Number(parseTable((await r.ctl('status')).stdout)['web.1'][1]);
    r.w.kill('SIGKILL');
    await r.w.exit();
    process.kill(-orphan, 'SIGKILL'); // what a SIGKILLed procinit leaves running, outside a container
    expect(existsSync(r.sock)).toBe(true);
    expect((await r.ctl('status')).code).toBe(1);
    const again = startProcinit(['-t', '1', '--socket', r.sock], { cwd: r.dir });
    try {
      await again.waitFor(/started \(pid/);
      const st = await ctl(['status', '--socket', r.sock]);
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(/^web\.1\s+RUNNING/m);
    } finally {
      again.kill();
      await again.exit();
    }
  });

  it('is found through $PROCINIT_SOCKET by both ends', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'Procfile'), 'web: exec sleep 100\n');
    const sock = join(dir, 'env.sock');
    const w = startProcinit(['-t', '1'], { cwd: dir, env: { PROCINIT_SOCKET: sock } });
    try {
      await w.waitFor(/started \(pid/);
      const st = await ctl(['status'], { env: { PROCINIT_SOCKET: sock } });
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(/^web\.1\s+RUNNING/m);
    } finally {
      w.kill();
      await w.exit();
    }
  });

  it('says so when no procinit answers (exit 1)', async () => {
    const r = await ctl(['status', '--socket', join(tempDir(), 'none.sock')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^procinit: no procinit answering on .*none\.sock \(no socket there\)/);
  });
});

describe('status', () => {
  it('prints an aligned table and exits 0 when everything runs', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    await r.w.waitFor('worker.1 | ready');
    const st = await r.ctl('status');
    expect(st.code).toBe(0);
    const lines = st.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+READY\s+PID\s+RESTARTS\s+INFO$/);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(st.stdout).toMatch(/\n\nweb 1\/1 ready\nworker 1\/1 ready\n$/);
    const t = parseTable(st.stdout);
    expect(t['web.1'][0]).toBe('RUNNING');
    expect(Number(t['web.1'][1])).toBeGreaterThan(1);
    expect(t['worker.1'][3]).toMatch(/^uptime \d+:\d\d:\d\d$/);
    expect(lines[1].indexOf('RUNNING')).toBe(lines[2].indexOf('RUNNING'));
  });

  it('--json gives the documented keys; names, types and group:* select', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1', '-m', 'web=2']);
    await r.w.waitFor(/web\.2 +\|/);
    const st = await r.ctl('status', '--json');
    const all = JSON.parse(st.stdout) as Array<Record<string, unknown>>;
    expect(all.map((p) => p.name)).toEqual(['web.1', 'web.2', 'worker.1']);
    expect(Object.keys(all[0]).sort()).toEqual(
      ['name', 'group', 'program', 'instance', 'state', 'pid', 'wanted', 'ready', 'healthy', 'waiting_for', 'health_restarts', 'health', 'started_at', 'uptime', 'restarts', 'exit', 'description', 'resources'].sort(),
    );
    expect(all[1]).toMatchObject({ name: 'web.2', group: 'web', program: 'web', instance: 2, state: 'RUNNING', healthy: true, wanted: true, exit: null, restarts: 0 });
    const pick = async (...sel: string[]): Promise<string[]> => (JSON.parse((await r.ctl('status', '--json', ...sel)).stdout) as Array<{ name: string }>).map((p) => p.name);
    expect(await pick('web')).toEqual(['web.1', 'web.2']);
    expect(await pick('web.2', 'worker')).toEqual(['web.2', 'worker.1']);
    expect(await pick('worker:*')).toEqual(['worker.1']);
    expect(await pick('all')).toEqual(['web.1', 'web.2', 'worker.1']);
  });

  it('exits 3 when a process that should run does not, 4 for an unknown name, 2 for bad usage', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nflaky: echo bye; exit 3\n` }, ['-t', '1', '--can-die', 'flaky']);
    await r.w.waitFor(/flaky\.1 exited with code 3/);
    const st = await r.ctl('status');
    expect(st.code).toBe(3);
    expect(parseTable(st.stdout)['flaky.1'].slice(0, 2)).toEqual(['EXITED', '-']);
    expect(st.stdout).toMatch(/flaky\.1\s+EXITED\s+no\s+-\s+0\s+exited with code 3, \d+s ago/);
    expect((await r.ctl('status', 'web')).code).toBe(0);
    const unknown = await r.ctl('status', 'web', 'nope');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('procinit: nope: no such process');
    expect(unknown.stdout).toMatch(/^web\.1\s+RUNNING/m);
    expect((await r.ctl('status', '--bogus')).code).toBe(2);
    // stopped on purpose is not unhealthy
    expect((await r.ctl('stop', 'flaky')).stdout).toBe('flaky.1: not running\n');
  });

  it('a process that exited with an expected code is healthy', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nonce: echo done\n` }, ['-t', '1', '--can-die', 'once']);
    await r.w.waitFor(/once\.1 exited with code 0/);
    expect((await r.ctl('status')).code).toBe(0);
  });
});

describe('start, stop, restart', () => {
  it('stop waits for the process to be gone, start for RUNNING, restart gives a new pid', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '2']);
    await r.w.waitFor('worker.1 | ready');
    const pid = Number(parseTable((await r.ctl('status')).stdout)['worker.1'][1]);

    const stop = await r.ctl('stop', 'worker');
    expect(stop).toMatchObject({ code: 0, stdout: 'worker.1: stopped\n' });
    expect(() => process.kill(pid, 0)).toThrow();
    const st = await r.ctl('status');
    expect(st.code).toBe(0); // stopped on purpose: not wanted
    expect(parseTable(st.stdout)['worker.1'][0]).toBe('STOPPED');
    expect(r.w.child.exitCode).toBeNull(); // a stop by request does not end the run

    expect(await r.ctl('start', 'worker')).toMatchObject({ code: 0, stdout: 'worker.1: started\n' });
    expect(await r.ctl('start', 'worker')).toMatchObject({ code: 0, stdout: 'worker.1: already running\n' });
    const pid2 = Number(parseTable((await r.ctl('status')).stdout)['worker.1'][1]);
    expect(pid2).not.toBe(pid);

    const restart = await r.ctl('restart', 'all');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toBe('web.1:    restarted\nworker.1: restarted\n');
    const t = parseTable((await r.ctl('status')).stdout);
    expect(Number(t['worker.1'][1])).not.toBe(pid2);
    expect(t['worker.1'][2]).toBe('0');
  });

  it('stop reports a SIGKILL after the grace', async () => {
    const r = await run({ Procfile: `stubborn: trap '' TERM; echo ready; while true; do sleep 0.1; done\nweb: ${TICK}\n` }, ['-t', '1']);
    await r.w.waitFor('stubborn.1 | ready');
    const stop = await r.ctl('stop', 'stubborn');
    expect(stop).toMatchObject({ code: 0, stdout: 'stubborn.1: stopped (SIGKILL after 1s)\n' });
  });

  it('unknown names change nothing (exit 4); no name is a usage error (exit 2)', async () => {
    const r = await run({ Procfile: `web: ${TICK}\n` }, ['-t', '1']);
    const bad = await r.ctl('stop', 'web', 'wbe');
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/no such process 'wbe' \(known: web/);
    expect(parseTable((await r.ctl('status')).stdout)['web.1'][0]).toBe('RUNNING');
    const none = await r.ctl('stop');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/stop: name a process/);
  });

  it('start reports a program that cannot start (supervisord startsecs, FATAL) with exit 1', async () => {
    const conf = [
      '[supervisord]',
      '[procinit]',
      'on_fatal = keep',
      '[program:ok]',
      'command = sleep 100',
      'startsecs = 0',
      '[program:bad]',
      'command = /bin/sh -c "echo dying; exit 1"',
      'autostart = false',
      'startsecs = 1',
      'startretries = 0',
      '',
    ].join('\n');
    const r = await run({ 'supervisord.conf': conf }, ['-c', 'supervisord.conf']);
    const start = await r.ctl('start', 'bad', 'ok');
    expect(start.code).toBe(1);
    expect(start.stdout.split('\n').sort()).toEqual(['', 'bad: ERROR (could not start: exited with code 1)', 'ok:  already running']);
    const st = await r.ctl('status', 'bad');
    expect(st.code).toBe(3);
    expect(st.stdout).toMatch(/bad\s+FATAL\s+no\s+-\s+0\s+gave up: exited with code 1/);
  });
});

describe('signal', () => {
  it('sends a signal by name or number; a stopped process is an error', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    await r.w.waitFor('worker.1 | ready');
    expect(await r.ctl('signal', 'USR1', 'worker')).toMatchObject({ code: 0, stdout: 'worker.1: sent SIGUSR1\n' });
    await r.w.waitFor('worker.1 | got USR1');
    expect(await r.ctl('signal', '-10', 'worker.1')).toMatchObject({ code: 0, stdout: 'worker.1: sent SIGUSR1\n' });
    await r.w.waitFor(/got USR1[\s\S]*got USR1/);
    expect((await r.ctl('signal', 'NOPE', 'worker')).code).toBe(2);
    await r.ctl('stop', 'worker');
    const dead = await r.ctl('signal', 'HUP', 'worker');
    expect(dead).toMatchObject({ code: 1, stdout: 'worker.1: ERROR (not running)\n' });
  });
});

describe('logs', () => {
  it('prints the last lines from the ring buffer, prefixed like the main output', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    await r.w.waitFor(/(web\.1 +\| web\.1 tick on 5000\n[\s\S]*){4}/);
    const logs = await r.ctl('logs', '-n', '3', 'web');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^(web\.1\s+\| web\.1 tick on 5000\n){3}$/);
    const json = await r.ctl('logs', '-n', '1', '--json', 'worker');
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'worker.1', stream: 'stdout', line: 'ready' });
    const both = await r.ctl('logs', '-n', '1000');
    expect(both.stdout).toMatch(/worker\.1 \| ready/);
    expect(both.stdout).toMatch(/web\.1\s+\| web\.1 tick/);
    expect((await r.ctl('logs', 'nope')).code).toBe(4);
    expect((await r.ctl('logs', '-n', 'x')).code).toBe(2);
  });

  it('sends a backlog larger than the socket buffers whole (-n all over 5 busy rings, 5 MB)', async () => {
    const r = await run({ Procfile: 'big: for i in $(seq 1000); do printf "%s %0990d\\n" "$PS" $i; done; echo done; exec sleep 100\n' }, ['-t', '1', '-m', 'big=5']);
    for (let i = 1; i <= 5; i++) await r.w.waitFor(new RegExp(`big\\.${i} +\\| done`));
    const logs = await r.ctl('logs', '-n', 'all');
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5000);
    for (let i = 1; i <= 5; i++) expect(lines.filter((l) => l.startsWith(`big.${i} `)).length).toBe(1000);
  });

  it('-f follows new lines until Ctrl-C (exit 0)', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    await r.w.waitFor('worker.1 | ready');
    const { startWatched, procinitArgv } = await import('../helpers/procinit.js');
    const [node, script] = procinitArgv();
    const f = startWatched(node, [script, 'logs', '-f', '-n', '1', 'worker', '--socket', r.sock]);
    await f.waitFor('worker.1 | ready'); // the backlog is out: the stream is open
    await r.ctl('signal', 'USR1', 'worker');
    await f.waitFor('worker.1 | got USR1');
    expect(f.stdout).not.toMatch(/web\.1/);
    f.kill('SIGINT');
    expect((await f.exit()).code).toBe(0);
  });

  it('-f ends with procinit (exit 0)', async () => {
    const r = await run({ Procfile: `web: ${TICK}\n` }, ['-t', '1']);
    const { startWatched, procinitArgv } = await import('../helpers/procinit.js');
    const [node, script] = procinitArgv();
    const f = startWatched(node, [script, 'logs', '-f', '--socket', r.sock]);
    await f.waitFor(/web\.1 tick[\s\S]*web\.1 tick/);
    await r.stop();
    expect((await f.exit()).code).toBe(0);
  });
});

describe('scale', () => {
  it('adds instances with their own PORT and stops surplus ones highest first', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    const up = await r.ctl('scale', 'web=3');
    expect(up).toMatchObject({ code: 0, stdout: 'web: 1 -> 3, started web.2, web.3\n' });
    await r.w.waitFor('web.2 tick on 5001');
    await r.w.waitFor('web.3 tick on 5002');
    expect(Object.keys(parseTable((await r.ctl('status')).stdout))).toEqual(['web.1', 'worker.1', 'web.2', 'web.3']);
    const down = await r.ctl('scale', 'web=1,worker=0', '--json');
    expect(JSON.parse(down.stdout)).toEqual({
      programs: [
        { name: 'web', from: 3, to: 1, started: [], stopped: ['web.3', 'web.2'] },
        { name: 'worker', from: 1, to: 0, started: [], stopped: ['worker.1'] },
      ],
    });
    expect(Object.keys(parseTable((await r.ctl('status')).stdout))).toEqual(['web.1']);
    expect(r.w.child.exitCode).toBeNull();
    expect((await r.ctl('scale', 'nope=2')).code).toBe(4);
    expect((await r.ctl('scale', 'web=x')).code).toBe(2);
  });
});

describe('reload', () => {
  it('applies the difference: added start, removed stop, changed restart, unchanged untouched', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\nold: exec sleep 100\n` }, ['-t', '1']);
    await r.w.waitFor('worker.1 | ready');
    const before = parseTable((await r.ctl('status')).stdout);
    writeFileSync(join(r.dir, 'Procfile'), `web: ${TICK}\nworker: echo v2; ${IDLE}\nold: exec sleep 100\nclock: exec sleep 200\n`);
    const res = await r.ctl('reload');
    expect(res).toMatchObject({ code: 0, stdout: 'clock.1: added\nworker.1: changed, restarted\n(2 unchanged)\n' });
    await r.w.waitFor('worker.1 | v2');
    const after = parseTable((await r.ctl('status')).stdout);
    expect(after['web.1'][1]).toBe(before['web.1'][1]);
    expect(after['old.1'][1]).toBe(before['old.1'][1]);
    expect(after['worker.1'][1]).not.toBe(before['worker.1'][1]);
    expect(after['clock.1'][0]).toBe('RUNNING');

    writeFileSync(join(r.dir, 'Procfile'), `web: ${TICK}\nworker: echo v2; ${IDLE}\n`);
    const json = await r.ctl('reload', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ added: [], removed: ['old.1', 'clock.1'], changed: [], unchanged: ['web.1', 'worker.1'] });
    expect(Object.keys(parseTable((await r.ctl('status')).stdout))).toEqual(['web.1', 'worker.1']);
  });

  it('refuses a config that no longer parses with its file:line error, changing nothing (exit 2)', async () => {
    const r = await run({ Procfile: `web: ${TICK}\n` }, ['-t', '1']);
    const pid = parseTable((await r.ctl('status')).stdout)['web.1'][1];
    writeFileSync(join(r.dir, 'Procfile'), `web: ${TICK}\nthis is not a procfile line\n`);
    const res = await r.ctl('reload');
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`procinit: reload refused, nothing changed: ${join(r.dir, 'Procfile')}:2: expected "name: command": missing ':' after 'this'?\n`);
    expect(r.w.output).toContain(`reload refused, nothing changed: ${join(r.dir, 'Procfile')}:2:`);
    expect(parseTable((await r.ctl('status')).stdout)['web.1'][1]).toBe(pid);
  });

  it('SIGHUP reloads too, with the options the run started with', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1', '-m', 'web=2']);
    writeFileSync(join(r.dir, 'Procfile'), `web: ${TICK}\nworker: echo v2; ${IDLE}\n`);
    r.w.kill('SIGHUP');
    await r.w.waitFor('reload: restarted worker.1 (2 unchanged)');
    expect(Object.keys(parseTable((await r.ctl('status')).stdout))).toEqual(['web.1', 'web.2', 'worker.1']);
  });
});

describe('shutdown', () => {
  it('stops everything like SIGTERM and waits for it', async () => {
    const r = await run({ Procfile: `web: ${TICK}\nworker: ${IDLE}\n` }, ['-t', '1']);
    const res = await r.ctl('shutdown');
    expect(res).toMatchObject({ code: 0, stdout: 'procinit is stopping...\nprocinit has stopped\n' });
    expect((await r.w.exit()).code).toBe(0);
    expect(r.w.output).toMatch(/shutdown requested over the control socket/);
    expect(existsSync(r.sock)).toBe(false);
  });
});

describe('--help', () => {
  it.each(['status', 'start', 'stop', 'restart', 'signal', 'logs', 'scale', 'reload', 'shutdown'])('%s --help fits 80 columns', async (cmd) => {
    const res = await ctl([cmd, '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Usage: procinit ${cmd}`));
    for (const line of res.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('logs --help states the ring buffer size', async () => {
    expect((await ctl(['logs', '--help'])).stdout).toMatch(/last 1000 lines or 1 MiB/);
  });
});
