import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toCheckJson } from '../../../src/config/check-json.js';
import { ConfigError } from '../../../src/config/errors.js';
import type { HostView } from '../../../src/config/host-view.js';
import { loadRun } from '../../../src/config/load.js';
import { allProcesses, noHealth, type RunSpec } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { readSupervisordRun, readSupervisordRunWith } from '../../../src/config/supervisord.js';
import { configError } from '../../helpers/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'procinit-supervisord-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Write files (relative path -> text) into a fresh folder; returns the folder. */
function tree(files: Record<string, string>): string {
  const root = join(dir, `t${counter++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const ENV = { PATH: '/usr/bin:/bin', HOME: '/home/app', TMPDIR: '/tmp' };

function opts(over: Partial<LoadOptions> = {}): LoadOptions {
  return defaultLoadOptions({ env: ENV, cwd: dir, ...over });
}

/** Read `text` as supervisord.conf (other files alongside); returns the run. */
function read(text: string, others: Record<string, string> = {}, over: Partial<LoadOptions> = {}, fileEnv: Record<string, string> = {}): RunSpec {
  const root = tree({ 'supervisord.conf': text, ...others });
  return readSupervisordRun(join(root, 'supervisord.conf'), opts(over), fileEnv);
}


const HEAD = '[supervisord]\nnodaemon=true\n';

describe('readSupervisordRun: a program with supervisord\'s defaults', () => {
  const run = read(`${HEAD}\n[program:web]\ncommand=/usr/bin/python3 -m http.server "8000"\n`);
  const [p] = allProcesses(run);

  it('fills the check --json keys with supervisord\'s defaults', () => {
    expect(toCheckJson(run)).toEqual({
      format: 'supervisord',
      processes: [
        {
          group: 'web',
          name: 'web',
          command: '/usr/bin/python3 -m http.server "8000"',
          directory: null,
          user: null,
          umask: null,
          environment: {},
          autostart: true,
          autorestart: 'unexpected',
          exitcodes: [0],
          startsecs: 1,
          startretries: 3,
          stopwaitsecs: 10,
          priority: 999,
          stopsignal: 'TERM',
          stopasgroup: false,
          killasgroup: false,
          redirect_stderr: false,
        },
      ],
      programs: [{ name: 'web', group: 'web', instances: 1, health: noHealth() }],
    });
  });

  it('fills procinit\'s own fields: argv split as shlex does, program, instance, source', () => {
    expect(p.argv).toEqual(['/usr/bin/python3', '-m', 'http.server', '8000']);
    expect(p).toMatchObject({ program: 'web', instance: 0, tty: false, exitEndsRun: false, restartBackoff: null });
    expect(p.source).toEqual({ file: run.file, line: 4 });
    expect(run.programs[0]).toMatchObject({ name: 'web', group: 'web', firstInstance: 0, source: { file: run.file, line: 4 } });
  });

  it('sends AUTO logs (the default) to a file in childlogdir with 50MB x 10 rotation', () => {
    // supervisord's tempfile names: NAME-CHANNEL---IDENTIFIER-XXXXXXXX.log, eight random characters
    expect(p.stdoutLog).toEqual({ kind: 'file', path: expect.stringMatching(/^\/tmp\/web-stdout---supervisor-[a-z0-9_]{8}\.log$/), maxBytes: 50 * 1024 * 1024, backups: 10 });
    expect(p.stderrLog).toEqual({ kind: 'file', path: expect.stringMatching(/^\/tmp\/web-stderr---supervisor-[a-z0-9_]{8}\.log$/), maxBytes: 50 * 1024 * 1024, backups: 10 });
  });

  it('leaves run-level settings unset and has nothing to warn about', () => {
    expect(run).toMatchObject({
      format: 'supervisord',
      onFatal: 'shutdown',
      socketPath: null,
      logfile: null,
      loglevel: null,
      pidfile: null,
      umask: null,
      environment: {},
      warnings: [],
    });
    expect(run.root).toBe(dir);
  });
});

describe('[supervisord] settings', () => {
  it('reads environment, directory, umask, logfile, loglevel, pidfile', () => {
    const run = read(
      '[supervisord]\nenvironment=A="1,2",B=%(ENV_HOME)s\ndirectory=/tmp\numask=027\nlogfile=/tmp/sv.log\nloglevel=WARN\npidfile=run/sv.pid\n[program:x]\ncommand=/bin/true\n',
      {},
      { cwd: '/srv' },
    );
    expect(run.environment).toEqual({ A: '1,2', B: '/home/app' });
    expect(run.root).toBe('/tmp');
    expect(run.umask).toBe(0o27);
    expect(run.logfile).toBe('/tmp/sv.log');
    expect(run.loglevel).toBe('warn');
    expect(run.pidfile).toBe('/srv/run/sv.pid');
  });

  it('sends procinit\'s log to stdout for logfile=/dev/stdout, /dev/null or syslog', () => {
    for (const f of ['/dev/stdout', '/dev/fd/1', '/dev/null']) {
      expect(read(`[supervisord]\nlogfile=${f}\n[program:x]\ncommand=/bin/true\n`).logfile).toBe(null);
    }
    const run = read('[supervisord]\nlogfile=syslog\n[program:x]\ncommand=/bin/true\n');
    expect(run.logfile).toBe(null);
    expect(run.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/syslog is not supported/));
  });

  it('puts [supervisord] environment over the env files, and both are visible as %(ENV_X)s', () => {
    const run = read(
      '[supervisord]\nenvironment=SHARED=config,OWN=%(ENV_FROM_FILE)s\n[program:x]\ncommand=/bin/echo %(ENV_OWN)s %(ENV_SHARED)s %(ENV_PATH)s\n',
      {},
      {},
      { FROM_FILE: 'dotenv', SHARED: 'dotenv' },
    );
    expect(run.environment).toEqual({ FROM_FILE: 'dotenv', SHARED: 'config', OWN: 'dotenv' });
    expect(allProcesses(run)[0].command).toBe('/bin/echo dotenv config /usr/bin:/bin');
    expect(allProcesses(run)[0].environment).toEqual({});
  });

  it('expands [supervisord] environment twice, as supervisord does (so %% must be written %%%%)', () => {
    expect(read('[supervisord]\nenvironment=P="100%%%%"\n[program:x]\ncommand=/bin/true\n').environment).toEqual({ P: '100%' });
    expect(configError(() => read('[supervisord]\nenvironment=P="100%%"\n[program:x]\ncommand=/bin/true\n')).line).toBe(2);
  });

  it('warns about [supervisord] options it does not know, and keeps user= for procinit to drop to', () => {
    const run = read('[supervisord]\nredirect_stderr=true\nuser=nobody\n[program:x]\ncommand=/bin/true\n');
    expect(run.warnings.map((w) => [w.line, w.message])).toEqual([
      [2, "[supervisord]: unknown option 'redirect_stderr' ignored (supervisord ignores it too)"],
    ]);
    expect(run.supervisordMode?.user).toBe('nobody');
  });

  it('refuses a [supervisord] user= that does not exist, as supervisord does (never runs programs as root instead)', () => {
    const err = configError(() => read('[supervisord]\nuser=no-such-user-here\n[program:x]\ncommand=/bin/true\n'));
    expect(err.line).toBe(2);
    expect(err.detail).toMatch(/invalid user name no-such-user-here/);
  });
});

describe('[program:x] options', () => {
  const all = read(
    `${HEAD}[program:worker]
command = /usr/bin/env python3 -c "print('hi')"
process_name = %(program_name)s-%(process_num)d
numprocs = 2
numprocs_start = 3
priority = 42
autostart = off
autorestart = TRUE
startsecs = 0
startretries = 7
exitcodes = 0, 2,255
stopsignal = sigint
stopwaitsecs = 30
stopasgroup = true
user = root
directory = /srv/%(process_num)s
umask = 002
environment = A="x,y",B=2,N=%(process_num)s,H="%(ENV_HOME)s"
redirect_stderr = true
stdout_logfile = /var/tmp/w-%(process_num)s.log
stdout_logfile_maxbytes = 1MB
stdout_logfile_backups = 3
tty = true
`,
  );

  it('reads every option with its conversion', () => {
    const [a, b] = allProcesses(all);
    expect(toCheckJson(all).processes[0]).toEqual({
      group: 'worker',
      name: 'worker-3',
      command: `/usr/bin/env python3 -c "print('hi')"`,
      directory: '/srv/3',
      user: 'root',
      umask: 0o2,
      environment: { A: 'x,y', B: '2', N: '3', H: '/home/app' },
      autostart: false,
      autorestart: 'true',
      exitcodes: [0, 2, 255],
      startsecs: 0,
      startretries: 7,
      stopwaitsecs: 30,
      priority: 42,
      stopsignal: 'INT',
      stopasgroup: true,
      killasgroup: true,
      redirect_stderr: true,
    });
    expect(b.name).toBe('worker-4');
    expect(a.argv).toEqual(['/usr/bin/env', 'python3', '-c', "print('hi')"]);
    expect(a.tty).toBe(true);
  });

  it('gives a redirected stderr the stdout target, with the parsed rotation', () => {
    const [a] = allProcesses(all);
    expect(a.stdoutLog).toEqual({ kind: 'file', path: '/var/tmp/w-3.log', maxBytes: 1024 * 1024, backups: 3 });
    expect(a.stderrLog).toEqual(a.stdoutLog);
  });

  it('maps device paths, NONE and /dev/null to mux, stderr and none', () => {
    const run = read(
      `${HEAD}[program:a]\ncommand=/bin/true\nstdout_logfile=/dev/stdout\nstderr_logfile=/dev/stderr\n` +
        `[program:b]\ncommand=/bin/true\nstdout_logfile=/proc/1/fd/1\nstderr_logfile=/dev/fd/2\n` +
        `[program:c]\ncommand=/bin/true\nstdout_logfile=NONE\nstderr_logfile=/dev/null\n`,
    );
    expect(allProcesses(run).map((p) => [p.name, p.stdoutLog.kind, p.stderrLog.kind])).toEqual([
      ['a', 'mux', 'stderr'],
      ['b', 'mux', 'stderr'],
      ['c', 'none', 'none'],
    ]);
  });

  it('names numprocs instances with Python formats, sorted by name as supervisord does', () => {
    const run = read(`${HEAD}[program:q]\ncommand=/bin/w %(process_num)d/%(numprocs)d\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=3\nnumprocs_start=9\n`);
    expect(allProcesses(run).map((p) => [p.name, p.instance, p.command])).toEqual([
      ['q_09', 9, '/bin/w 9/3'],
      ['q_10', 10, '/bin/w 10/3'],
      ['q_11', 11, '/bin/w 11/3'],
    ]);
  });

  it('makes more instances on demand with the same rules (instantiate is pure)', () => {
    const run = read(`${HEAD}[program:q]\ncommand=/bin/w %(process_num)d\nprocess_name=q%(process_num)d\nnumprocs=2\nenvironment=N=%(process_num)s\n`);
    const program = run.programs[0];
    const five = program.instantiate(5);
    expect(five).toMatchObject({ name: 'q5', instance: 5, command: '/bin/w 5', environment: { N: '5' } });
    expect(program.instantiate(5)).toEqual(five);
    expect(program.instances.map((p) => p.name)).toEqual(['q0', 'q1']);
  });

  it('takes tty from the program, from [procinit] tty for all, or from --tty', () => {
    const text = `${HEAD}[program:a]\ncommand=/bin/true\ntty=yes\n[program:b]\ncommand=/bin/true\n`;
    expect(allProcesses(read(text)).map((p) => p.tty)).toEqual([true, false]);
    expect(allProcesses(read(`${text}[procinit]\ntty=true\n`)).map((p) => p.tty)).toEqual([true, true]);
    expect(allProcesses(read(text, {}, { tty: ['b'] })).map((p) => p.tty)).toEqual([true, true]);
  });

  it('keeps only the program\'s own environment on the process; its keys are %(ENV_X)s for later options', () => {
    const run = read('[supervisord]\nenvironment=G=1\n[program:x]\ncommand=/bin/echo %(ENV_OWN)s %(ENV_G)s\nenvironment=OWN=mine\n');
    const [p] = allProcesses(run);
    expect(p.environment).toEqual({ OWN: 'mine' });
    expect(p.command).toBe('/bin/echo mine 1');
  });

  it('warns about unknown options, naming file and line, and about unfilled templates', () => {
    const run = read(`${HEAD}[program:x]\ncommand=/bin/run {{ OPTIONS }}\npidfile=/run/x.pid\n`);
    expect(run.warnings).toEqual([
      { file: run.file, line: 5, message: "[program:x]: unknown option 'pidfile' ignored (supervisord ignores it)" },
      { file: run.file, line: 4, message: '[program:x] command looks like an unfilled template ({{ OPTIONS }}); it runs as written' },
    ]);
  });

  it('warns about what supervisord silently drops from environment=', () => {
    const run = read(`${HEAD}[program:x]\ncommand=/bin/true\nenvironment=A=x y\n`);
    expect(allProcesses(run)[0].environment).toEqual({ A: 'x' });
    expect(run.warnings[0].message).toMatch(/environment: A=x is followed by "y"/);
  });
});

describe('refusals name file:line and the option', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['misspelled autorestart', 'autorestart=ture', 6, /\[program:x\] autorestart: "ture" is not true, false or unexpected/],
    ['negative startsecs', 'startsecs=-1', 6, /startsecs: "-1" is negative/],
    ['a word for a number', 'startretries=three', 6, /startretries: "three" is not a whole number/],
    ['an unknown signal', 'stopsignal=TERMINATE', 6, /stopsignal: "TERMINATE" is not a signal/],
    ['an exit code above 255', 'exitcodes=0,256', 6, /exit code 256/],
    ['a non-octal umask', 'umask=089', 6, /umask: "089" is not an octal number/],
    ['numprocs without process_num', 'numprocs=2', 6, /numprocs=2 needs %\(process_num\) in process_name/],
    ['an unknown expansion', 'directory=%(nope)s', 6, /cannot expand %\(nope\).*available names/],
    ['a %HOME% template', 'directory=%HOME%', 6, /bad format "%HOME%".*unfilled template/],
    ['an unset variable', 'directory=%(ENV_NOT_SET_ANYWHERE)s', 6, /environment variable NOT_SET_ANYWHERE is not set/],
    ['stopasgroup without killasgroup', 'stopasgroup=true\nkillasgroup=false', 7, /cannot set stopasgroup=true and killasgroup=false/],
    ['a bad size', 'stdout_logfile_maxbytes=10MiB', 6, /is not a size/],
    ['a bad boolean', 'autostart=sure', 6, /autostart: "sure" is not a boolean/],
  ];
  for (const [what, line, lineNo, message] of cases) {
    it(what, () => {
      const err = configError(() => read(`${HEAD}\n[program:x]\ncommand=/bin/true\n${line}\n`));
      expect(err.line).toBe(lineNo);
      expect(err.detail).toMatch(message);
    });
  }

  it('a command that cannot be split (supervisord fails only when spawning it)', () => {
    const err = configError(() => read(`${HEAD}[program:x]\ncommand=/bin/echo "unclosed\n`));
    expect(err.message).toMatch(/:4: \[program:x\] command: cannot split .*No closing quotation/);
  });

  it('a program without command, a group naming an unknown program', () => {
    expect(configError(() => read(`${HEAD}[program:x]\nautostart=true\n`)).message).toMatch(/:3: \[program:x\] does not specify a command/);
    expect(configError(() => read(`${HEAD}[group:g]\nprograms=a,b\n[program:a]\ncommand=/bin/true\n`)).message).toMatch(
      /:4: \[group:g\] names unknown program "b"/,
    );
  });

  it('a line that is not an option', () => {
    expect(configError(() => read(`${HEAD}[program:x]\ncommand /bin/true\n`)).line).toBe(4);
  });

  it('a file with neither [supervisord] nor programs', () => {
    expect(configError(() => read('[unix_http_server]\nfile=/tmp/s.sock\n')).detail).toMatch(/not a supervisord config/);
  });
});

describe('groups, ordering, fragments and other sections', () => {
  it('orders groups by priority then name; a group\'s programs in listed order', () => {
    const run = read(
      `${HEAD}[group:web]\nprograms=nginx,app\npriority=5\n[program:app]\ncommand=/a\n[program:nginx]\ncommand=/n\n[program:cron]\ncommand=/c\npriority=1\n[program:zzz]\ncommand=/z\n`,
    );
    expect(allProcesses(run).map((p) => `${p.group}:${p.name}`)).toEqual(['cron:cron', 'web:nginx', 'web:app', 'zzz:zzz']);
  });

  it('reads a conf.d fragment without [supervisord], with a warning', () => {
    const run = read('[program:worker]\ncommand=/bin/worker\n');
    expect(allProcesses(run).map((p) => p.name)).toEqual(['worker']);
    expect(run.warnings[0]).toEqual({
      file: run.file,
      line: 1,
      message: 'no [supervisord] section: read as a conf.d fragment with supervisord defaults (supervisord itself refuses such a file)',
    });
  });

  it('ignores server sections silently, reads event listeners and FastCGI programs, warns once per unknown section', () => {
    const run = read(
      `${HEAD}[unix_http_server]\nfile=/tmp/s.sock\n[inet_http_server]\nport=9001\n[supervisorctl]\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = x\n` +
        `[eventlistener:quit]\ncommand=/bin/q\nevents=PROCESS_STATE_FATAL\n[fcgi-program:php]\ncommand=/bin/php\nsocket=tcp://localhost:9000\n[programs:typo]\ncommand=/x\n[program:x]\ncommand=/bin/true\n`,
    );
    expect(run.warnings.map((w) => [w.line, w.message])).toEqual([
      [16, 'unknown section [programs:typo] ignored (supervisord ignores it too)'],
    ]);
    expect(allProcesses(run).map((p) => p.name)).toEqual(['quit', 'php', 'x']);
  });

  it('refuses two groups with the same name and a program listed twice in a group (supervisord silently drops one)', () => {
    expect(configError(() => read(`${HEAD}[group:web]\nprograms=a\n[program:a]\ncommand=/a\n[program:web]\ncommand=/w\n`)).detail).toMatch(/two groups are named web/);
    expect(configError(() => read(`${HEAD}[group:g]\nprograms=a,a\n[program:a]\ncommand=/a\n`)).detail).toMatch(/lists program a twice/);
  });
});

describe('[include]', () => {
  const root = tree({
    'etc/supervisord.conf': `${HEAD}[include]\nfiles = conf.d/*.conf missing/*.ini\n[program:main]\ncommand=/bin/echo %(here)s\n`,
    'etc/conf.d/b.conf': '[program:b]\ncommand=/bin/echo %(here)s\n[include]\nfiles=sub/*.conf\n',
    'etc/conf.d/a.conf': '[program:a]\ncommand=/bin/a\n[group:g]\nprograms=a,b\n',
    'etc/conf.d/sub/nested.conf': '[program:nested]\ncommand=/bin/nested\n',
    'etc/conf.d/.hidden.conf': '[program:hidden]\ncommand=/bin/hidden\n',
    'etc/conf.d/bad.conf.d/ignored': '',
  });
  const file = join(root, 'etc/supervisord.conf');
  const run = readSupervisordRun(file, opts(), {});

  it('reads matching files sorted, hidden ones excluded, their own [include] not followed', () => {
    expect(allProcesses(run).map((p) => `${p.group}:${p.name}`)).toEqual(['g:a', 'g:b', 'main:main']);
  });

  it('expands %(here)s to the folder of the file that defines the value', () => {
    const byName = Object.fromEntries(allProcesses(run).map((p) => [p.name, p.command]));
    expect(byName.main).toBe(`/bin/echo ${join(root, 'etc')}`);
    expect(byName.b).toBe(`/bin/echo ${join(root, 'etc/conf.d')}`);
  });

  it('warns about patterns that match nothing, and names the included file in errors', () => {
    expect(run.warnings.map((w) => w.message)).toEqual([`no file matches include "${join(root, 'etc')}/missing/*.ini"`]);
    const bad = tree({ 'main.conf': `${HEAD}[include]\nfiles=*.inc\n`, 'x.inc': '\n\n[program:x]\ncommand=/bin/true\nautorestart=maybe\n' });
    const err = configError(() => readSupervisordRun(join(bad, 'main.conf'), opts(), {}));
    expect(err.file).toBe(join(bad, 'x.inc'));
    expect(err.line).toBe(5);
  });
});

describe('[procinit]', () => {
  it('reads on_fatal and socket (relative to the file that sets it)', () => {
    const run = read(`${HEAD}[procinit]\non_fatal = keep\nsocket = run/procinit.sock\n[program:x]\ncommand=/bin/true\n`);
    expect(run.onFatal).toBe('keep');
    expect(run.socketPath).toBe(join(dirname(run.file), 'run/procinit.sock'));
  });

  it('refuses an unknown key or value (it is procinit\'s own section)', () => {
    expect(configError(() => read(`${HEAD}[procinit]\non_fatal = restart\n`)).detail).toMatch(/on_fatal: "restart" is not shutdown or keep/);
    expect(configError(() => read(`${HEAD}[procinit]\nonfatal = keep\n`)).detail).toMatch(/unknown option 'onfatal'/);
  });
});

describe('host checks are warnings (supervisord refuses, procinit reads on)', () => {
  const host: HostView = {
    isDirectory: (p) => p === '/tmp' || p === '/',
    userExists: (u) => u === 'root',
    homeOf: (u) => (u === 'app' ? '/home/app' : null),
    hostname: () => 'testhost',
  };
  it('warns about missing log directories and users, and uses the host name', () => {
    const root = tree({
      's.conf': `[supervisord]\nlogfile=/var/log/supervisor/s.log\n[program:x]\ncommand=/bin/echo %(host_node_name)s\nuser=www-data\nstdout_logfile=~app/logs/x.log\n`,
    });
    const run = readSupervisordRunWith(join(root, 's.conf'), opts(), {}, host);
    expect(allProcesses(run)[0].command).toBe('/bin/echo testhost');
    expect(allProcesses(run)[0].stdoutLog).toMatchObject({ kind: 'file', path: '/home/app/logs/x.log' });
    expect(run.warnings.map((w) => [w.line, w.message])).toEqual([
      [2, '[supervisord] logfile: directory /var/log/supervisor does not exist here (supervisord refuses such a config)'],
      [5, '[program:x] user: no user "www-data" here (supervisord refuses such a config)'],
      [6, '[program:x] stdout_logfile: directory /home/app/logs does not exist here (supervisord refuses such a config)'],
    ]);
  });

  it('uses the real host name by default', () => {
    expect(allProcesses(read(`${HEAD}[program:x]\ncommand=/bin/echo %(host_node_name)s\n`))[0].command).toBe(`/bin/echo ${hostname()}`);
  });
});

describe('through loadRun', () => {
  it('detects the format, then applies the selection and -m formation through instantiate', () => {
    const root = tree({
      'supervisord.conf': `${HEAD}[program:web]\ncommand=/bin/web\n[program:worker]\ncommand=/bin/w %(process_num)d\nprocess_name=worker_%(process_num)02d\nnumprocs=2\nnumprocs_start=1\n`,
    });
    const run = loadRun(defaultLoadOptions({ env: ENV, cwd: root, config: 'supervisord.conf', only: ['worker'], formation: 'worker=3' }));
    expect(run.format).toBe('supervisord');
    expect(allProcesses(run).map((p) => [p.name, p.command])).toEqual([
      ['worker_01', '/bin/w 1'],
      ['worker_02', '/bin/w 2'],
      ['worker_03', '/bin/w 3'],
    ]);
  });
});
