import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/config/errors.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { basePort, buildProcessType, parseStopSignals } from '../../../src/config/process-type.js';

const SOURCE = { file: '/app/Procfile', line: 3 };
const opts = (o: Partial<LoadOptions> = {}): LoadOptions =>
  defaultLoadOptions({ env: {}, cwd: '/app', root: '/app', ...o });
const build = (o: Partial<LoadOptions> = {}, fileEnv: Record<string, string> = {}, typeIndex = 0, instances = 1, type = 'web') =>
  buildProcessType({ type, command: 'bin/server --port $PORT', typeIndex, instances, source: SOURCE, opts: opts(o), fileEnv });

describe('buildProcessType: the Procfile conventions', () => {
  it('names instances type.N, runs the command with /bin/sh -c, sets PORT and PS', () => {
    const p = build({}, {}, 2, 3);
    expect(p).toMatchObject({ name: 'web', group: 'web', firstInstance: 1, source: SOURCE });
    expect(p.instances.map((i) => [i.name, i.instance, i.environment])).toEqual([
      ['web.1', 1, { PORT: '5200', PS: 'web.1' }],
      ['web.2', 2, { PORT: '5201', PS: 'web.2' }],
      ['web.3', 3, { PORT: '5202', PS: 'web.3' }],
    ]);
    const first = p.instances[0];
    expect(first).toMatchObject({
      group: 'web',
      program: 'web',
      command: 'bin/server --port $PORT',
      argv: null,
      directory: '/app',
      user: null,
      umask: null,
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
      tty: false,
      stdoutLog: { kind: 'mux' },
      stderrLog: { kind: 'mux' },
      exitEndsRun: true,
      restartBackoff: null,
      source: SOURCE,
    });
  });

  it('instantiate(n) makes the same instance the parser made (formation and scale rely on it)', () => {
    const p = build({}, {}, 1, 2);
    expect(p.instantiate(2)).toEqual(p.instances[1]);
    expect(p.instantiate(7).environment).toEqual({ PORT: '5106', PS: 'web.7' });
  });

  it('zero instances is allowed (formation web=0)', () => {
    expect(build({}, {}, 0, 0).instances).toEqual([]);
  });

  it('base port: -p, else PORT from the env files, else PORT inherited, else 5000', () => {
    expect(basePort(opts({ port: 7000, env: { PORT: '9000' } }), { PORT: '8000' })).toBe(7000);
    expect(basePort(opts({ env: { PORT: '9000' } }), { PORT: '8000' })).toBe(8000);
    expect(basePort(opts({ env: { PORT: '9000' } }), {})).toBe(9000);
    expect(basePort(opts(), {})).toBe(5000);
    expect(() => basePort(opts(), { PORT: 'eighty' })).toThrow(UsageError);
    expect(() => basePort(opts({ env: { PORT: '70000' } }), {})).toThrow(/not a port number/);
  });

  it('-r: autorestart true with overmind backoff, and the exit no longer ends the run', () => {
    const i = build({ autoRestart: ['web'] }).instances[0];
    expect(i.autorestart).toBe('true');
    expect(i.restartBackoff).toEqual({ initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 });
    expect(i.exitEndsRun).toBe(false);
    expect(build({ autoRestart: ['worker'] }).instances[0].autorestart).toBe('false');
    expect(build({ autoRestart: 'all' }).instances[0].autorestart).toBe('true');
  });

  it('--can-die: the exit does not end the run, and nothing restarts', () => {
    const i = build({ canDie: ['web'] }).instances[0];
    expect([i.exitEndsRun, i.autorestart, i.restartBackoff]).toEqual([false, 'false', null]);
  });

  it('--tty, -t and --stop-signal', () => {
    const i = build({ tty: 'all', timeout: 12, stopSignals: 'worker=QUIT, web=sigint' }).instances[0];
    expect([i.tty, i.stopwaitsecs, i.stopsignal]).toEqual([true, 12, 'INT']);
    expect(build({ stopSignals: 'web=2' }).instances[0].stopsignal).toBe('INT');
    expect(build({ stopSignals: 'worker=QUIT' }).instances[0].stopsignal).toBe('TERM');
  });

  it('--stop-signal errors are usage errors naming the entry', () => {
    expect(() => build({ stopSignals: 'web=BOGUS' })).toThrow(UsageError);
    expect(() => build({ stopSignals: 'web=BOGUS' })).toThrow(/unknown signal 'BOGUS'/);
    expect(() => parseStopSignals('web')).toThrow(/'web' is not type=SIGNAL/);
    expect(parseStopSignals('web=HUP,worker=SIGUSR1')).toEqual({ web: 'HUP', worker: 'USR1' });
  });

  it('each instance gets its own copies (mutating one does not touch another)', () => {
    const p = build({}, {}, 0, 2);
    p.instances[0].environment.X = '1';
    p.instances[0].source.line = 99;
    expect(p.instances[1].environment.X).toBeUndefined();
    expect(p.instantiate(1).source.line).toBe(3);
  });
});
