import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/config/errors.js';
import { allProcesses, type ProcessSpec } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { parseProcfile, readProcfileRun } from '../../../src/config/procfile.js';
import { configError } from '../../helpers/config-error.js';

const FILE = '/app/Procfile';
const parse = (text: string) => parseProcfile(text, FILE).map(({ name, command }) => [name, command]);

/** The ConfigError thrown by fn (fails the test when none is thrown). */

describe('parseProcfile: what foreman accepts', () => {
  it('reads name: command lines with their line numbers', () => {
    expect(parseProcfile('web: bundle exec puma\nworker: bundle exec sidekiq\n', FILE)).toEqual([
      { name: 'web', command: 'bundle exec puma', line: 1 },
      { name: 'worker', command: 'bundle exec sidekiq', line: 2 },
    ]);
  });

  it('skips blank, whitespace-only and # comment lines (indented too), keeping line numbers', () => {
    const text = '# header\n\n   \n\t\nweb: a\n  # web: old\n#worker: b\nclock: c\n';
    expect(parseProcfile(text, FILE)).toEqual([
      { name: 'web', command: 'a', line: 5 },
      { name: 'clock', command: 'c', line: 8 },
    ]);
  });

  it('splits at the first colon only: URLs and module:Class stay in the command', () => {
    expect(
      parse(
        'web: gunicorn config.wsgi:application --bind 0.0.0.0:$PORT\n' +
          'proxy: curl http://localhost:8080/health?x=a:b\n' +
          'beat: celery -A app beat --scheduler django_celery_beat.schedulers:DatabaseScheduler\n',
      ),
    ).toEqual([
      ['web', 'gunicorn config.wsgi:application --bind 0.0.0.0:$PORT'],
      ['proxy', 'curl http://localhost:8080/health?x=a:b'],
      ['beat', 'celery -A app beat --scheduler django_celery_beat.schedulers:DatabaseScheduler'],
    ]);
  });

  it('accepts names of letters, digits, _ and -', () => {
    expect(parse('web-api: a\nredis_TA_worker: b\n2: c\n-: d\n')).toEqual([
      ['web-api', 'a'],
      ['redis_TA_worker', 'b'],
      ['2', 'c'],
      ['-', 'd'],
    ]);
  });

  it('needs no space after the colon and skips any run of spaces or tabs there', () => {
    expect(parse('web:rails s\nworker:\t \tsidekiq\n')).toEqual([
      ['web', 'rails s'],
      ['worker', 'sidekiq'],
    ]);
  });

  it('keeps the command as written, trailing whitespace included (as foreman does)', () => {
    expect(parse('web: a  b  \t\n')).toEqual([['web', 'a  b  \t']]);
    expect(parse("web: sh -c 'echo \"#not a comment\"' # shell comment\n")).toEqual([
      ['web', "sh -c 'echo \"#not a comment\"' # shell comment"],
    ]);
  });

  it('accepts CRLF line endings', () => {
    expect(parseProcfile('web: a\r\n\r\n# c\r\nworker: b\r\n', FILE)).toEqual([
      { name: 'web', command: 'a', line: 1 },
      { name: 'worker', command: 'b', line: 4 },
    ]);
  });

  it('accepts a missing final newline, with LF or CRLF files', () => {
    expect(parse('web: a\nworker: b')).toEqual([
      ['web', 'a'],
      ['worker', 'b'],
    ]);
    expect(parse('web: a\r\nworker: b\r')).toEqual([
      ['web', 'a'],
      ['worker', 'b'],
    ]);
  });

  it('tolerates a UTF-8 byte-order mark', () => {
    expect(parse('\uFEFFweb: a\nworker: b\n')).toEqual([
      ['web', 'a'],
      ['worker', 'b'],
    ]);
  });

  it('keeps non-ASCII text in commands', () => {
    expect(parse('web: echo héllo wörld ✓\n')).toEqual([['web', 'echo héllo wörld ✓']]);
  });
});

describe('parseProcfile: lines procinit refuses on purpose', () => {
  it.each([
    ['web java -jar app.jar', 1, /expected "name: command": missing ':' after 'web'\?/],
    ['web: a\nworker python worker.py --url http://x', 2, /missing ':' after 'worker'\?/],
    ['.listen(process.env.PORT || 5000)', 1, /expected "name: command"/],
    ['  web: a', 1, /whitespace before the process name 'web'/],
    ['\tweb: a', 1, /whitespace before the process name 'web'/],
    ['web : a', 1, /whitespace between 'web' and ':'/],
    [': a', 1, /missing process name before ':'/],
    ['web.1: a', 1, /invalid process name 'web\.1'/],
    ['my web: a', 1, /expected "name: command"/],
    ['web:', 1, /no command for 'web'/],
    ['web:   \t', 1, /no command for 'web'/],
    ['web: a\rworker: b\n', 1, /carriage return inside a line/],
  ])('%j: error at line %i', (text, line, message) => {
    const err = configError(() => parseProcfile(text, FILE));
    expect(err.file).toBe(FILE);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${FILE}:${line}: `)).toBe(true);
  });

  it('names merge-conflict markers as such', () => {
    const text = 'web: a\n<<<<<<< HEAD\nworker: b\n=======\nworker: c\n>>>>>>> 5bb7ec3\n';
    const err = configError(() => parseProcfile(text, FILE));
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/merge conflict marker/);
    for (const marker of ['=======', '>>>>>>> feature', '||||||| base']) {
      expect(configError(() => parseProcfile(`web: a\n${marker}\n`, FILE)).message).toMatch(/merge conflict marker/);
    }
  });

  it('refuses a duplicate name, naming both lines', () => {
    const err = configError(() => parseProcfile('js: yarn build\ncss: sass --watch\n\ncss: tailwind --watch\n', FILE));
    expect(err.line).toBe(4);
    expect(err.message).toBe(`${FILE}:4: duplicate process name 'css' (first defined on line 2)`);
  });

  it('refuses a Procfile without entries', () => {
    for (const text of ['', '\n\n', '# only\n# comments\n', '\uFEFF']) {
      const err = configError(() => parseProcfile(text, FILE));
      expect(err.line).toBeNull();
      expect(err.message).toMatch(/no processes defined/);
    }
  });
});

describe('readProcfileRun', () => {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-procfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function procfile(text: string | Buffer): string {
    const file = join(dir, `Procfile.${++n}`);
    writeFileSync(file, text);
    return file;
  }
  const opts = (o: Partial<LoadOptions> = {}): LoadOptions =>
    defaultLoadOptions({ cwd: dir, root: '/srv/app', env: {}, ...o });
  const THREE = 'web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\nclock: bin/clock\n';
  const byName = (procs: ProcessSpec[]) => Object.fromEntries(procs.map((p) => [p.name, p]));

  it('builds the whole RunSpec and every ProcessSpec field', () => {
    const file = procfile(THREE);
    const run = readProcfileRun(file, opts(), { DATABASE_URL: 'postgres://db/app' });
    expect(run).toMatchObject({
      format: 'procfile',
      file,
      root: '/srv/app',
      onFatal: 'shutdown',
      socketPath: null,
      logfile: null,
      loglevel: null,
      pidfile: null,
      environment: { DATABASE_URL: 'postgres://db/app' },
      umask: null,
      warnings: [],
    });
    expect(run.programs.map((p) => [p.name, p.group, p.firstInstance, p.source])).toEqual([
      ['web', 'web', 1, { file, line: 1 }],
      ['worker', 'worker', 1, { file, line: 2 }],
      ['clock', 'clock', 1, { file, line: 3 }],
    ]);
    const web1 = run.programs[0].instances;
    expect(web1).toHaveLength(1);
    expect(web1[0]).toEqual({
      group: 'web',
      name: 'web.1',
      command: 'bundle exec puma -C config/puma.rb',
      directory: '/srv/app',
      user: null,
      umask: null,
      environment: { PORT: '5000', PS: 'web.1' },
      autostart: true,
      autorestart: 'false',
      exitcodes: [0],
      startsecs: 0,
      startretries: 3,
      stopwaitsecs: 5,
      priority: 999,
      stopsignal: 'TERM',
      stopasgroup: true,
      killasgroup: true,
      redirect_stderr: false,
      program: 'web',
      instance: 1,
      argv: null,
      tty: false,
      stdoutLog: { kind: 'mux' },
      stderrLog: { kind: 'mux' },
      exitEndsRun: true,
      restartBackoff: null,
      source: { file, line: 1 },
    } satisfies ProcessSpec);
    expect(allProcesses(run).map((p) => [p.name, p.environment])).toEqual([
      ['web.1', { PORT: '5000', PS: 'web.1' }],
      ['worker.1', { PORT: '5100', PS: 'worker.1' }],
      ['clock.1', { PORT: '5200', PS: 'clock.1' }],
    ]);
  });

  it('keeps the env files in the RunSpec, not in each process', () => {
    const run = readProcfileRun(procfile('web: a\n'), opts(), { FOO: 'bar', PORT: '8000' });
    expect(run.environment).toEqual({ FOO: 'bar', PORT: '8000' });
    expect(run.programs[0].instances[0].environment).toEqual({ PORT: '8000', PS: 'web.1' });
  });

  describe('PORT arithmetic (foreman: base + 100 x type index + instance - 1)', () => {
    const file = procfile(THREE);
    const port = (o: Partial<LoadOptions>, fileEnv: Record<string, string>, type: number, inst: number) =>
      readProcfileRun(file, opts(o), fileEnv).programs[type].instantiate(inst).environment.PORT;

    it('defaults to 5000', () => {
      expect(port({}, {}, 0, 1)).toBe('5000');
      expect(port({}, {}, 1, 1)).toBe('5100');
      expect(port({}, {}, 2, 3)).toBe('5202');
      expect(port({}, {}, 0, 12)).toBe('5011');
    });

    it('takes the base from -p, else PORT in the env files, else PORT in the environment', () => {
      const env = { PORT: '7000' };
      expect(port({ port: 3000, env }, { PORT: '6000' }, 1, 2)).toBe('3101');
      expect(port({ env }, { PORT: '6000' }, 1, 2)).toBe('6101');
      expect(port({ env }, {}, 1, 2)).toBe('7101');
      expect(port({ env: { PORT: '' } }, { PORT: '' }, 2, 1)).toBe('5200');
    });

    it('refuses a base that is not a port number, naming where it came from', () => {
      const read = (o: Partial<LoadOptions>, fileEnv: Record<string, string>) => () => readProcfileRun(file, opts(o), fileEnv);
      expect(read({ env: { PORT: 'abc' } }, {})).toThrow(UsageError);
      expect(read({ env: { PORT: 'abc' } }, {})).toThrow(/PORT in the environment: 'abc'/);
      expect(read({}, { PORT: '70000' })).toThrow(/PORT in the env files?: '70000'/);
      expect(read({ port: 0 }, {})).toThrow(/-p\/--port: '0'/);
      expect(port({}, { PORT: ' 8080 ' }, 0, 1)).toBe('8080');
    });

    it('counts the type index over the whole Procfile, whatever is selected later', () => {
      const run = readProcfileRun(file, opts({ only: ['clock'] }), {});
      expect(run.programs[2].instances[0].environment.PORT).toBe('5200');
    });
  });

  it('instantiate(n) is pure: fresh, equal objects; the program is left alone', () => {
    const run = readProcfileRun(procfile(THREE), opts(), {});
    const web = run.programs[0];
    const a = web.instantiate(2);
    const b = web.instantiate(2);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.environment).not.toBe(b.environment);
    a.environment.X = 'changed';
    expect(web.instantiate(2).environment).toEqual({ PORT: '5001', PS: 'web.2' });
    expect(web.instances.map((p) => p.name)).toEqual(['web.1']);
    expect(a).toMatchObject({ name: 'web.2', instance: 2, group: 'web', program: 'web' });
  });

  describe('stop signals (--stop-signal web=INT,worker=QUIT)', () => {
    const file = procfile(THREE);
    const signals = (stopSignals: string | null) =>
      Object.fromEntries(allProcesses(readProcfileRun(file, opts({ stopSignals }), {})).map((p) => [p.program, p.stopsignal]));

    it('defaults to TERM', () => {
      expect(signals(null)).toEqual({ web: 'TERM', worker: 'TERM', clock: 'TERM' });
    });

    it('sets the named types, normalizing SIG prefixes, case and numbers', () => {
      expect(signals('web=INT,worker=SIGQUIT')).toEqual({ web: 'INT', worker: 'QUIT', clock: 'TERM' });
      expect(signals(' web = sigusr1 , clock=9 ')).toEqual({ web: 'USR1', worker: 'TERM', clock: 'KILL' });
    });

    it('refuses an unknown type or signal, naming it', () => {
      expect(() => signals('wbe=INT')).toThrow(UsageError);
      expect(() => signals('wbe=INT')).toThrow(/unknown process type 'wbe' \(known: web, worker, clock\)/);
      expect(() => signals('web=NOPE')).toThrow(/unknown signal 'NOPE' for 'web'/);
      expect(() => signals('web=99')).toThrow(/unknown signal '99'/);
      expect(() => signals('web')).toThrow(/'web' is not type=SIGNAL/);
    });
  });

  describe('restart, can-die, tty and timeout', () => {
    const file = procfile(THREE);
    const procs = (o: Partial<LoadOptions>) => byName(allProcesses(readProcfileRun(file, opts(o), {})));

    it('-r NAMES: autorestart true with exponential backoff, and their exit no longer ends the run', () => {
      const p = procs({ autoRestart: ['worker'] });
      expect(p['worker.1']).toMatchObject({
        autorestart: 'true',
        restartBackoff: { initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 },
        exitEndsRun: false,
      });
      expect(p['web.1']).toMatchObject({ autorestart: 'false', restartBackoff: null, exitEndsRun: true });
    });

    it('-r all selects every type', () => {
      for (const spec of Object.values(procs({ autoRestart: 'all' }))) {
        expect(spec).toMatchObject({ autorestart: 'true', exitEndsRun: false });
      }
    });

    it('--can-die: exit does not end the run, and no restart', () => {
      const p = procs({ canDie: ['clock'] });
      expect(p['clock.1']).toMatchObject({ autorestart: 'false', restartBackoff: null, exitEndsRun: false });
      expect(p['web.1'].exitEndsRun).toBe(true);
      expect(Object.values(procs({ canDie: 'all' })).every((s) => !s.exitEndsRun)).toBe(true);
    });

    it('--tty NAMES|all', () => {
      const p = procs({ tty: ['web'] });
      expect([p['web.1'].tty, p['worker.1'].tty]).toEqual([true, false]);
      expect(Object.values(procs({ tty: 'all' })).every((s) => s.tty)).toBe(true);
    });

    it('-t/--timeout sets stopwaitsecs', () => {
      expect(procs({ timeout: 12 })['worker.1'].stopwaitsecs).toBe(12);
    });
  });

  it('reads CRLF, BOM and no-final-newline files from disk', () => {
    const run = readProcfileRun(procfile('\uFEFFweb: a\r\nworker: b:c http://x:1/y\r'), opts(), {});
    expect(allProcesses(run).map((p) => [p.name, p.command])).toEqual([
      ['web.1', 'a'],
      ['worker.1', 'b:c http://x:1/y'],
    ]);
  });

  it('a missing file is a ConfigError naming it', () => {
    const missing = join(dir, 'nope', 'Procfile');
    const err = configError(() => readProcfileRun(missing, opts(), {}));
    expect(err.message).toBe(`${missing}: no such file`);
  });

  it('a file that is not UTF-8 is refused at the offending line', () => {
    const file = procfile(Buffer.concat([Buffer.from('web: a\nworker: '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    const err = configError(() => readProcfileRun(file, opts(), {}));
    expect(err.message).toBe(`${file}:2: not valid UTF-8 text`);
  });

  it('errors in the Procfile carry its path and line', () => {
    const file = procfile('web: a\nworker b\n');
    expect(configError(() => readProcfileRun(file, opts(), {})).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: expected "name: command"`),
    );
  });
});
