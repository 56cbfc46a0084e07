/**
 * supervisord's behaviour for a supervisord.conf, with real programs: raw output, one pipe for
 * redirect_stderr, prefixing on request, the debug echo, SIGUSR2, SIGHUP, [supervisord] user=, the group's
 * grace with stopasgroup, and AUTO child log names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, procinitArgv, startProcinit, testEnv, until, Watched } from '../helpers/procinit.js';
import { startRun } from './control-harness.js';

const HEAD = '[supervisord]\nnodaemon=true\nlogfile=/dev/null\n\n';
const prog = (name: string, body: string): string => `[program:${name}]\n${body}\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n\n`;
const running: Watched[] = [];

function run(conf: string, args: string[] = [], env: Record<string, string | undefined> = {}): { dir: string; p: Watched } {
  const dir = fixtureDir({ 'supervisord.conf': conf });
  const p = startProcinit(['-c', 'supervisord.conf', ...args], { cwd: dir, env });
  running.push(p);
  return { dir, p };
}

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
    await p.exited;
  }
});

describe('output of a supervisord.conf', () => {
  it('passes /dev/stdout output through raw, byte for byte: no prefix, a JSON line stays JSON, a last line stays unterminated', async () => {
    const { p } = run(HEAD + prog('web', `command=printf 'a\\tb\\r\\n{"level":"info","msg":"x"}\\npartial'\nautorestart=false\nstartsecs=0`));
    await p.waitFor('exited: web (exit status 0; expected)');
    expect(p.stdout).toContain('a\tb\r\n{"level":"info","msg":"x"}\npartial');
    expect(p.stdout).not.toMatch(/web +\|/);
    // every program has ended by itself: so does procinit
    expect((await p.exit()).code).toBe(0);
  });

  it('passes /dev/stderr output through raw to stderr', async () => {
    const { p } = run(HEAD + `[program:web]\ncommand=sh -c 'echo to-stderr >&2'\nstderr_logfile=/dev/stderr\nautorestart=false\nstartsecs=0\n`);
    await p.waitFor('exited: web');
    expect(p.stderr).toBe('to-stderr\n');
    p.kill('SIGTERM');
    await p.exit();
  });

  it('redirect_stderr=true: one pipe for both streams, so a burst writer keeps its order exactly', async () => {
    const { p } = run(HEAD + prog('burst', `command=sh -c 'i=0; while [ $i -lt 300 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done'\nredirect_stderr=true\nautorestart=false\nstartsecs=0`));
    await p.waitFor('exited: burst');
    const expected = Array.from({ length: 300 }, (_, i) => `out${i}\nerr${i}\n`).join('');
    const lines = p.stdout.split('\n').filter((l) => /^(out|err)\d+$/.test(l)).join('\n') + '\n';
    expect(lines).toBe(expected);
    p.kill('SIGTERM');
    await p.exit();
  });

  it('strip_ansi = true removes colour escapes from the output, as supervisord does', async () => {
    const { p } = run('[supervisord]\nlogfile=/dev/null\nstrip_ansi=true\n\n' + prog('web', `command=printf '\\033[31mred\\033[0m plain\\n'\nautorestart=false\nstartsecs=0`));
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/^red plain$/m);
    expect(p.stdout).not.toContain('\x1b[');
  });

  it('prefixes lines with program names only when asked: [procinit] prefix = true, or --prefix', async () => {
    const conf = (extra: string): string => HEAD + extra + prog('web', `command=echo hello\nautorestart=false\nstartsecs=0`);
    for (const [c, args] of [[conf('[procinit]\nprefix = true\n\n'), []], [conf(''), ['--prefix']]] as Array<[string, string[]]>) {
      const { p } = run(c, args);
      await p.waitFor('exited: web');
      expect(p.stdout).toMatch(/^web +\| hello$/m);
      p.kill('SIGTERM');
      await p.exit();
    }
  });

  it('at loglevel=debug echoes program output into the main log, as supervisord does', async () => {
    const dir = fixtureDir({});
    const conf = `[supervisord]\nlogfile=${dir}/main.log\nloglevel=debug\n\n` + prog('web', `command=echo hello\nautorestart=false\nstartsecs=0`);
    writeFileSync(join(dir, 'supervisord.conf'), conf);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    running.push(p);
    await p.waitFor('exited: web');
    p.kill('SIGTERM');
    await p.exit();
    const main = readFileSync(join(dir, 'main.log'), 'utf8');
    expect(main).toMatch(/^\S+ \S+ DEBG 'web' stdout output:\nhello\n\n/m);
    expect(main).toMatch(/ DEBG killing|INFO exited: web/);
  });
});

describe('signals in supervisord mode', () => {
  it('SIGUSR2 reopens the log files (after logrotate moved them) and never reaches the programs', async () => {
    const dir = fixtureDir({});
    const conf = `[supervisord]\nlogfile=${dir}/main.log\n\n[program:ticker]\ncommand=sh -c 'trap "echo got-USR2" USR2; i=0; while :; do echo tick$i; i=$((i+1)); sleep 0.05; done'\nstdout_logfile=${dir}/ticker.log\nstartsecs=0\n`;
    writeFileSync(join(dir, 'supervisord.conf'), conf);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    running.push(p);
    await until(() => existsSync(join(dir, 'ticker.log')) && readFileSync(join(dir, 'ticker.log'), 'utf8').includes('tick3'), 20_000, 'ticks');
    renameSync(join(dir, 'ticker.log'), join(dir, 'ticker.log.1'));
    renameSync(join(dir, 'main.log'), join(dir, 'main.log.1'));
    p.kill('SIGUSR2');
    await p.waitFor('INFO received SIGUSR2 indicating log reopen request');
    await until(() => existsSync(join(dir, 'ticker.log')) && /tick\d+/.test(readFileSync(join(dir, 'ticker.log'), 'utf8')), 20_000, 'a new ticker.log');
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(readFileSync(join(dir, 'main.log'), 'utf8')).toMatch(/WARN received SIGTERM indicating exit request/);
    expect(readFileSync(join(dir, 'ticker.log'), 'utf8') + readFileSync(join(dir, 'ticker.log.1'), 'utf8')).not.toMatch(/got-USR2/);
  });

  it('SIGHUP stops everything, reads the config again and starts everything, as supervisord does', async () => {
    const { p, dir } = run(HEAD + prog('web', 'command=sh -c "echo web-pid=$$; exec sleep 300"\nstartsecs=0'));
    const first = Number(/web-pid=(\d+)/.exec(await p.waitFor(/web-pid=\d+/))![1]);
    // a program added to the config is started by the restart
    writeFileSync(join(dir, 'supervisord.conf'), readFileSync(join(dir, 'supervisord.conf'), 'utf8') + prog('added', 'command=sh -c "echo added-up; exec sleep 300"\nstartsecs=0'));
    p.kill('SIGHUP');
    await p.waitFor('WARN received SIGHUP indicating restart request');
    await p.waitFor('stopped: web (terminated by SIGTERM)');
    await p.waitFor(/^added-up$/m);
    const out = await p.waitFor(/web-pid=\d+[\s\S]*web-pid=\d+/);
    const pids = [...out.matchAll(/web-pid=(\d+)/g)].map((m) => Number(m[1]));
    expect(pids[0]).toBe(first);
    expect(pids[1]).not.toBe(first);
    expect(p.count(/INFO supervisord started with pid \d+/)).toBe(2);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });
});

describe('stopping one program', () => {
  it('says `waiting for web to stop`, then `stopped:`, as supervisorctl stop makes supervisord say', async () => {
    const r = await startRun({ 'supervisord.conf': HEAD + prog('web', 'command=sleep 300\nstartsecs=0') + prog('other', 'command=sleep 300\nstartsecs=0') }, ['-c', 'supervisord.conf']);
    running.push(r.w);
    expect((await r.ctl('stop', 'web')).code).toBe(0);
    const out = await r.w.waitFor('stopped: web (terminated by SIGTERM)');
    expect(out).toMatch(/ INFO waiting for web to stop\n.* WARN stopped: web \(terminated by SIGTERM\)$/m);
    expect(out).not.toMatch(/to die/);
    await r.stop();
  });
});

describe('stopasgroup', () => {
  it('every member of the group keeps its grace until stopwaitsecs, even after the leader exits', async () => {
    const dir = fixtureDir({});
    // the leader exits at once on SIGTERM; a member of its group takes a second to clean up
    const member = `trap 'sleep 1; echo cleaned > ${dir}/member-done; exit 0' TERM; echo member-up; while :; do sleep 0.1; done`;
    writeFileSync(join(dir, 'member.sh'), member);
    const conf = HEAD + prog('tree', `command=sh -c "sh ${dir}/member.sh & wait"\nstopasgroup=true\nstopwaitsecs=5\nstartsecs=0`);
    writeFileSync(join(dir, 'supervisord.conf'), conf);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    running.push(p);
    await p.waitFor(/^member-up$/m);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(readFileSync(join(dir, 'member-done'), 'utf8')).toBe('cleaned\n');
  });
});

describe('AUTO child logs', () => {
  it("are named NAME-CHANNEL---IDENTIFIER-XXXXXXXX.log in childlogdir, and old ones are cleared at start", async () => {
    const dir = fixtureDir({ 'old-stdout---supervisor-abcd1234.log': 'old\n', 'old-stdout---supervisor-abcd1234.log.1': 'older\n', 'keep.log': 'mine\n' });
    writeFileSync(join(dir, 'supervisord.conf'), `[supervisord]\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[program:web]\ncommand=echo hello\nautorestart=false\nstartsecs=0\n`);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    running.push(p);
    await p.waitFor('exited: web');
    p.kill('SIGTERM');
    await p.exit();
    const files = readdirSync(dir);
    expect(files).not.toContain('old-stdout---supervisor-abcd1234.log');
    expect(files).not.toContain('old-stdout---supervisor-abcd1234.log.1');
    expect(files).toContain('keep.log');
    const log = files.find((f) => /^web-stdout---supervisor-[a-z0-9_]{8}\.log$/.test(f));
    expect(log).toBeDefined();
    expect(readFileSync(join(dir, log!), 'utf8')).toBe('hello\n');
  });
});

describe('start-up lines', () => {
  it("come in supervisord's order: CRIT, the config's warnings, INFO Included extra file, then supervisord started", async () => {
    const dir = fixtureDir({ 'web.conf': '[program:web]\ncommand=true\nautorestart=false\nstartsecs=0\n' });
    writeFileSync(join(dir, 'supervisord.conf'), '[supervisord]\nlogfile=/dev/null\n[include]\nfiles=web.conf nothing/*.conf\n');
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir, env: { PROCINIT_STOP_TIMEOUT: '60' } });
    running.push(p);
    expect((await p.exit()).code).toBe(0);
    const lines = p.stdout.split('\n').map((l) => l.replace(/^\S+ \S+ /, '')).filter((l) => /^[A-Z]{4} /.test(l));
    const i = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(i(/^CRIT Supervisor is running as root/)).toBe(0);
    expect(i(/^WARN .*no file matches include/)).toBe(1);
    expect(lines[2]).toBe(`INFO Included extra file "${dir}/web.conf" during parsing`);
    expect(lines[3]).toMatch(/^INFO supervisord started with pid \d+$/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('[supervisord] user=', () => {
  it('procinit drops to that user before it starts anything, as supervisord does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procinit-user-'));
    chmodSync(dir, 0o1777); // nobody writes its log, pidfile and socket here (sticky, as /tmp)
    writeFileSync(join(dir, 'supervisord.conf'), `[supervisord]\nuser=nobody\nlogfile=%(here)s/main.log\npidfile=%(here)s/s.pid\n\n` + prog('who', 'command=sh -c "id -u; id -g"\nautorestart=false\nstartsecs=0') + prog('stay', 'command=sleep 300\nstartsecs=0'));
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir, env: { PROCINIT_SOCKET: join(dir, 'ctl.sock') } });
    running.push(p);
    await p.waitFor('exited: who');
    expect(p.stdout).toMatch(/INFO Set uid to user 65534 succeeded$/m);
    expect(p.stdout).not.toMatch(/Supervisor is running as root/);
    expect(p.stdout).toMatch(/^65534\n65534$/m);
    expect(readFileSync(join(dir, 's.pid'), 'utf8').trim()).toBe(String(p.pid));
    // procinit itself runs as nobody, and made its log file and pidfile as nobody
    expect(readFileSync(`/proc/${p.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    const { statSync } = await import('node:fs');
    expect(statSync(join(dir, 'main.log')).uid).toBe(65534);
    expect(statSync(join(dir, 's.pid')).uid).toBe(65534);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
  });

  it('user=root as root: nothing to drop, and supervisord\'s line for it', async () => {
    const { p } = run('[supervisord]\nuser=root\nlogfile=/dev/null\n\n' + prog('web', 'command=true\nautorestart=false\nstartsecs=0'));
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/ INFO Set uid to user 0 succeeded$/m);
    expect(p.stdout).not.toMatch(/running as root/);
  });

  it('says that it runs as root, in supervisord words, when no user= is set', async () => {
    const { p } = run(HEAD + prog('web', 'command=true\nautorestart=false\nstartsecs=0'));
    await p.waitFor('CRIT Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.');
    p.kill('SIGTERM');
    await p.exit();
  });

  it('refuses to start, with one line and exit 2, when it cannot become that user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procinit-user-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'supervisord.conf'), `[supervisord]\nuser=root\nlogfile=/dev/null\n\n` + prog('who', 'command=id -u'));
    chmodSync(join(dir, 'supervisord.conf'), 0o644);
    const [node, script] = procinitArgv();
    const env = testEnv({ PROCINIT_SOCKET: undefined });
    const w = new Watched(spawn(node, [script, '-c', join(dir, 'supervisord.conf')], { cwd: dir, env, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(w);
    const exit = await w.exit();
    expect(exit.code).toBe(2);
    expect(w.stderr.trim().split('\n')).toHaveLength(1);
    expect(w.stderr).toMatch(/user=root: Can't drop privilege as nonroot user/);
    expect(w.stdout).not.toMatch(/spawned:/);
  });
});
