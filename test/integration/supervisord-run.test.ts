/**
 * supervisord configs run for real: the state machine with fast crashers, slow starters, TERM-ignorers.
 * Output to /dev/stdout passes through raw (no prefix) and procinit's log has supervisord's words.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { alive, fixtureDir, startProcinit, until } from '../helpers/procinit.js';

const HEAD = '[supervisord]\nnodaemon=true\nlogfile=/dev/stdout\nlogfile_maxbytes=0\n\n';
const prog = (name: string, body: string): string =>
  `[program:${name}]\n${body}\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n\n`;

function run(conf: string, args: string[] = [], files: Record<string, string> = {}) {
  const dir = fixtureDir({ 'supervisord.conf': conf, ...files });
  return { dir, p: startProcinit(['-c', 'supervisord.conf', ...args], { cwd: dir }) };
}

describe('supervisord semantics, real programs', () => {
  it('a fast crasher backs off and goes FATAL, which ends the container non-zero', async () => {
    const { p } = run(HEAD + prog('web', 'command=sleep 300') + prog('crasher', 'command=sh -c "echo boom; exit 3"\nstartsecs=1\nstartretries=2'));
    const exit = await p.exit();
    expect(exit.code).toBe(3);
    expect(p.count(/^boom$/m)).toBe(3);
    expect(p.count(/ WARN exited: crasher \(exit status 3; not expected\)$/m)).toBe(3);
    expect(p.stdout).toMatch(/ INFO gave up: crasher entered FATAL state, too many start retries too quickly$/m);
    expect(p.stdout).toMatch(/ WARN stopped: web \(terminated by SIGTERM\)$/m);
  });

  it('with [procinit] on_fatal = keep, FATAL leaves the others running (supervisord behaviour)', async () => {
    const { p } = run(HEAD + '[procinit]\non_fatal = keep\n\n' + prog('web', 'command=sh -c "echo web up; exec sleep 300"') + prog('crasher', 'command=false\nstartsecs=1\nstartretries=0'));
    await p.waitFor('gave up: crasher entered FATAL state');
    await p.waitFor(/^web up$/m);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });

  it('a slow starter is STARTING until startsecs, then RUNNING', async () => {
    const { p } = run(HEAD + prog('slow', 'command=sh -c "echo started; exec sleep 300"\nstartsecs=2'));
    await p.waitFor(/^started$/m);
    const t0 = Date.now();
    await p.waitFor(/ INFO success: slow entered RUNNING state, process has stayed up for > than 2 seconds \(startsecs\)$/m);
    expect(Date.now() - t0).toBeGreaterThan(1000);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });

  it('a TERM-ignorer is SIGKILLed after stopwaitsecs; the stop exits 1', async () => {
    const { p } = run(HEAD + prog('stubborn', `command=sh -c "trap '' TERM; echo ready; while :; do sleep 0.05; done"\nstopwaitsecs=1\nstartsecs=0`));
    await p.waitFor(/^ready$/m);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(1);
    expect(p.stdout).toMatch(/ WARN received SIGTERM indicating exit request$/m);
    expect(p.stdout).toMatch(/ INFO waiting for stubborn to die$/m);
    expect(p.stdout).toMatch(/ WARN killing 'stubborn' \(\d+\) with SIGKILL$/m);
    expect(p.stdout).toMatch(/ WARN stopped: stubborn \(terminated by SIGKILL\)$/m);
  });

  it('a one-shot task that exits expectedly leaves the others running', async () => {
    const { p } = run(HEAD + prog('web', 'command=sh -c "echo web up; exec sleep 300"\nstartsecs=0') + prog('task', 'command=sh -c "echo task done"\nautorestart=false\nstartsecs=0'));
    await p.waitFor('INFO exited: task (exit status 0; expected)');
    await p.waitFor(/^web up$/m);
    expect(p.stdout).not.toMatch(/stopping everything/);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });

  it('autorestart=unexpected restarts only exits not in exitcodes', async () => {
    const { p, dir } = run(
      HEAD + prog('web', 'command=sleep 300\nstartsecs=0') + prog('job', 'command=sh ./job.sh\nstartsecs=0\nautorestart=unexpected\nexitcodes=0,2'),
      [],
      { 'job.sh': 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "run $n"; [ $n -ge 3 ] && exit 2; exit 1\n' },
    );
    await p.waitFor('INFO exited: job (exit status 2; expected)');
    expect(readFileSync(join(dir, 'count'), 'utf8').trim()).toBe('3');
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });

  it('starts in priority order and stops in reverse', async () => {
    const { p } = run(HEAD + prog('late', 'command=sleep 300\npriority=900\nstartsecs=0') + prog('early', 'command=sleep 300\npriority=10\nstartsecs=0'));
    await p.waitFor("spawned: 'late'");
    p.kill('SIGTERM');
    await p.exit();
    const out = p.stdout;
    expect(out.indexOf("spawned: 'early'")).toBeLessThan(out.indexOf("spawned: 'late'"));
    expect(out.indexOf('stopped: late')).toBeLessThan(out.indexOf('stopped: early'));
  });

  it("gives children supervisord's environment markers, the config's environment, directory and umask", async () => {
    const { p, dir } = run(
      HEAD +
        '[supervisord]\nenvironment=GLOBAL="g1"\n\n' +
        prog('env', 'command=sh -c "echo $SUPERVISOR_ENABLED $SUPERVISOR_PROCESS_NAME $SUPERVISOR_GROUP_NAME $A $B $GLOBAL; pwd; umask"\nenvironment=A="x,y",B=2\ndirectory=/tmp\numask=027\nautorestart=false\nstartsecs=0'),
    );
    await p.waitFor('exited: env');
    void dir;
    expect(p.stdout).toMatch(/^1 env env x,y 2 g1$/m);
    expect(p.stdout).toMatch(/^\/tmp$/m);
    expect(p.stdout).toMatch(/^0027$/m);
    p.kill('SIGTERM');
    await p.exit();
  });

  it('runs a program as another user when root', async () => {
    if (process.getuid?.() !== 0) return;
    const { p } = run(HEAD + prog('who', 'command=id -u\nuser=nobody\nautorestart=false\nstartsecs=0'));
    await p.waitFor('exited: who');
    expect(p.stdout).toMatch(/^65534$/m);
    p.kill('SIGTERM');
    await p.exit();
  });

  it('reports a command that is not found, BACKOFF then FATAL', async () => {
    const { p } = run(HEAD + prog('ghost', 'command=/no/such/program\nstartretries=1\nstartsecs=1'));
    expect((await p.exit()).code).not.toBe(0);
    expect(p.count(/ INFO spawnerr: can't find command '\/no\/such\/program'$/m)).toBe(2);
    expect(p.stdout).toMatch(/ INFO gave up: ghost entered FATAL state, too many start retries too quickly$/m);
  });

  it('writes a program log file with rotation and still keeps its output for logs', async () => {
    const conf = HEAD + '[program:chatty]\ncommand=sh -c "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done"\nstdout_logfile=%(here)s/chatty.log\nstdout_logfile_maxbytes=1KB\nstdout_logfile_backups=2\nautorestart=false\nstartsecs=0\n';
    const { p, dir } = run(conf);
    await p.waitFor('exited: chatty');
    p.kill('SIGTERM');
    await p.exit();
    expect(existsSync(join(dir, 'chatty.log'))).toBe(true);
    expect(existsSync(join(dir, 'chatty.log.1'))).toBe(true);
    expect(existsSync(join(dir, 'chatty.log.3'))).toBe(false);
    expect(readFileSync(join(dir, 'chatty.log'), 'utf8')).toMatch(/line-199\n$/);
    expect(p.stdout).not.toMatch(/line-/);
  });

  it('stopasgroup takes the whole tree down', async () => {
    const { p } = run(HEAD + prog('tree', `command=sh -c "sleep 300 & echo child=$!; wait"\nstopasgroup=true\nstartsecs=0`));
    const out = await p.waitFor(/child=(\d+)/);
    const child = Number(/child=(\d+)/.exec(out)![1]);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    await until(() => !alive(child), 10_000, 'the grandchild gone');
  });

  it("honours [supervisord] logfile (file and stdout), loglevel and pidfile", async () => {
    const conf = '[supervisord]\nnodaemon=true\nlogfile=%(here)s/own.log\nloglevel=warn\npidfile=%(here)s/procinit.pid\n\n' + prog('web', 'command=sleep 300\nstartsecs=0');
    const { p, dir } = run(conf);
    await until(() => existsSync(join(dir, 'procinit.pid')), 10_000, 'pidfile');
    expect(readFileSync(join(dir, 'procinit.pid'), 'utf8').trim()).toBe(String(p.pid));
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(existsSync(join(dir, 'procinit.pid'))).toBe(false);
    // loglevel=warn: the info lines (spawned, success) are not logged
    expect(p.stdout).not.toMatch(/spawned:/);
    const own = readFileSync(join(dir, 'own.log'), 'utf8');
    expect(own).not.toMatch(/INFO/);
    expect(own).toMatch(/ WARN received SIGTERM indicating exit request$/m);
  });

  it('writes its own log to [supervisord] logfile as well as stdout', async () => {
    const conf = '[supervisord]\nnodaemon=true\nlogfile=%(here)s/own.log\n\n' + prog('web', 'command=sleep 300\nstartsecs=0');
    const { p, dir } = run(conf);
    await p.waitFor("spawned: 'web'");
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    const own = readFileSync(join(dir, 'own.log'), 'utf8');
    expect(own).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO spawned: 'web' with pid \d+$/m);
    // the same lines, in the same order, on stdout
    const lines = (t: string) => t.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l));
    expect(lines(p.stdout)).toEqual(lines(own));
  });

  it("gives a user= program that user's supplementary groups, as supervisord does", async () => {
    if (process.getuid?.() !== 0) return;
    const { execSync } = await import('node:child_process');
    try {
      execSync('id procinit-t >/dev/null 2>&1 || (groupadd -f procinit-extra && useradd -M -G procinit-extra procinit-t)', { stdio: 'ignore' });
    } catch {
      return; // no useradd here: nothing to test with
    }
    const { p } = run(HEAD + prog('who', 'command=id\nuser=procinit-t\nautorestart=false\nstartsecs=0'));
    await p.waitFor('exited: who');
    expect(p.stdout).toMatch(/^uid=\d+\(procinit-t\) gid=\d+\(procinit-t\) groups=.*\(procinit-extra\)$/m);
    p.kill('SIGTERM');
    await p.exit();
  });
});
