/**
 * Health at run time with real programs: an HTTP server that wedges, a slow starter, depends_on, a
 * migration gating the web, sd_notify (Python speaking the datagram protocol, and systemd-notify),
 * s6's notification-fd, a watchdog, a Drycc-style probe line in procinit.toml, a CF manifest.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/procinit.js';
import { startRun, type Run } from './control-harness.js';

const SERVER = `/usr/bin/python3 ${join(REPO, 'test/fixtures/health/server.py')}`;
const NOTIFY = `/usr/bin/python3 ${join(REPO, 'test/fixtures/health/notify.py')}`;

const runs: Run[] = [];
async function run(files: Record<string, string>, args: string[]): Promise<Run> {
  const r = await startRun(files, args);
  runs.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

/** A base port with room for a few types (each type's PORT is base + 100 × its position). */
async function freeBase(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (port < 60_000) return port;
  }
}

interface StatusJson {
  name: string;
  state: string;
  ready: boolean;
  healthy: boolean;
  waiting_for: string | null;
  health_restarts: number;
  health: string | null;
}
async function status(r: Run, ...names: string[]): Promise<{ code: number | null; processes: StatusJson[] }> {
  const res = await r.ctl('status', '--json', ...names);
  return { code: res.code, processes: JSON.parse(res.stdout) as StatusJson[] };
}

describe('liveness', () => {
  it('restarts an HTTP server that starts answering 500, after failure_threshold failures (Drycc-style probe line)', async () => {
    const port = await freeBase();
    const r = await run(
      {
        Procfile: `web: FAIL_AFTER=1 ${SERVER}\n`,
        'procinit.toml': '[web]\nliveness = "http-get path=/healthz delay=0s timeout=1s period=0.2s #success=1 #failure=3"\n',
      },
      ['-p', String(port)],
    );
    const out = await r.w.waitFor(/web\.1 restarting: .*\n/);
    expect(out).toContain(`web.1 restarting: liveness probe failed 3 times (last: GET http://127.0.0.1:${port}/healthz: HTTP 500)`);
    // restarted through the state machine: stopped, then started again with a new pid
    await r.w.waitFor(/web\.1 started \(pid \d+\)[^]*web\.1 started \(pid \d+\)/);
    const st = await status(r);
    expect(st.processes[0]).toMatchObject({ name: 'web.1', health_restarts: 1 });
    expect(st.processes[0].health).toMatch(/liveness probe failed 3 times/);
  });
});

describe('readiness', () => {
  it('a slow starter is not READY, and status exits 3, until its probe passes', async () => {
    const port = await freeBase();
    const r = await run(
      { Procfile: `slow: START_DELAY=2.5 ${SERVER}\n`, 'procinit.toml': '[slow.readiness]\ntype = "http"\nperiod = 0.2\n' },
      ['-p', String(port)],
    );
    const before = await status(r);
    expect(before.code).toBe(3);
    expect(before.processes[0]).toMatchObject({ state: 'RUNNING', ready: false, healthy: false });
    const table = await r.ctl('status');
    expect(table.stdout).toMatch(/slow\.1 +RUNNING +no /);
    expect(table.stdout).toMatch(/slow 0\/1 ready/);
    await r.w.waitFor('slow.1 is ready');
    const after = await status(r);
    expect(after.code).toBe(0);
    expect(after.processes[0]).toMatchObject({ ready: true, healthy: true });
    expect((await r.ctl('status')).stdout).toMatch(/slow 1\/1 ready/);
    const described = await r.ctl('describe', 'slow');
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^=== slow Process Type\n/);
    expect(described.stdout).toContain('Readiness:   http-get path=/ port=$PORT delay=0s timeout=1s period=0.2s #success=1 #failure=3');
    expect((await r.ctl('describe', 'nope')).code).toBe(4);
  });
});

describe('depends_on', () => {
  it('a worker that depends on db being ready starts only after the db probe passes; stops go worker first', async () => {
    const port = await freeBase();
    const r = await run(
      {
        Procfile: `worker: echo working; exec sleep 100\ndb: START_DELAY=2 ${SERVER}\n`,
        'procinit.toml': '[worker]\ndepends_on = { db = "ready" }\n[db]\nreadiness = "tcp-socket :$PORT period=0.2s"\n',
      },
      ['-p', String(port)],
    );
    await r.w.waitFor('worker.1 waits for db to be ready');
    const st = await status(r, 'worker');
    expect(st.code).toBe(3);
    expect(st.processes[0]).toMatchObject({ state: 'STOPPED', waiting_for: 'db to be ready', healthy: false });
    const out = await r.w.waitFor(/worker\.1 +\| working/);
    expect(out.indexOf('db.1 is ready')).toBeGreaterThan(0);
    expect(out.indexOf('db.1 is ready')).toBeLessThan(out.indexOf('worker.1 started'));
    const exit = await r.stop();
    expect(exit.code).toBe(0);
    expect(r.w.output.indexOf('worker.1 stopped')).toBeLessThan(r.w.output.indexOf('db.1 stopping'));
  });

  it('a migration that completes successfully gates the web; its exit does not end the run', async () => {
    const port = await freeBase();
    const r = await run(
      {
        Procfile: `web: echo serving; exec sleep 100\nmigrate: sleep 0.5; echo migrated\n`,
        'procinit.toml': '[web]\ndepends_on = { migrate = "completed_successfully" }\n',
      },
      ['-p', String(port)],
    );
    const out = await r.w.waitFor(/web\.1 +\| serving/);
    expect(out.search(/migrate\.1 +\| migrated/)).toBeLessThan(out.indexOf('web.1 started'));
    const st = await status(r);
    expect(st.code).toBe(0);
    expect(st.processes.map((p) => [p.name, p.state])).toEqual([['web.1', 'RUNNING'], ['migrate.1', 'EXITED']]);
  });

  it('a failed migration never starts the web and ends the run with its code', async () => {
    const r = await run(
      { Procfile: 'web: echo serving; exec sleep 100\nmigrate: echo cannot migrate; exit 3\n', 'procinit.toml': '[web]\ndepends_on = { migrate = "completed_successfully" }\n' },
      [],
    );
    const exit = await r.w.exited;
    expect(exit.code).toBe(3);
    expect(r.w.output).not.toContain('web.1 started');
  });
});

describe('depends_on with supervisord programs', () => {
  it('priority still orders starts and stops; a dependent waits, and stops first', async () => {
    const program = (name: string, priority: number) =>
      `[program:${name}]\ncommand=/bin/sh -c "echo ${name} up; exec sleep 100"\npriority=${priority}\nstartsecs=0\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n`;
    const r = await run(
      {
        'supervisord.conf': `[supervisord]\nnodaemon=true\n\n${program('a', 10)}\n${program('b', 20)}\n${program('c', 5)}`,
        'procinit.toml': '[a]\ndepends_on = ["b"]\n',
      },
      ['-c', 'supervisord.conf'],
    );
    const out = await r.w.waitFor(/^a up$/m); // supervisord's log style: procinit runs as supervisord here
    const started = (name: string) => out.indexOf(`spawned: '${name}'`);
    expect(out).toContain('a waits for b to be started');
    expect(started('c')).toBeLessThan(started('b')); // priority 5 before 20
    expect(started('b')).toBeLessThan(started('a')); // a waits for b despite its priority 10
    expect((await r.stop()).code).toBe(0);
    const stopping = (name: string) => r.w.output.indexOf(`stopped: ${name} (`);
    expect(stopping('a')).toBeGreaterThan(0);
    expect(stopping('a')).toBeLessThan(stopping('b')); // the dependent first
    expect(stopping('b')).toBeLessThan(stopping('c')); // then reverse priority
  });
});

describe('readiness from the program', () => {
  it('sd_notify (Python over NOTIFY_SOCKET, and systemd-notify) and s6 notification-fd become READY when they say so', async () => {
    const r = await run(
      {
        Procfile: [
          `py: READY_AFTER=1.5 ${NOTIFY}`,
          'sysd: sleep 1.5; systemd-notify --ready --status="warmed up"; exec sleep 100',
          's6: sleep 1.5; echo >&3; exec sleep 100',
          '',
        ].join('\n'),
        'procinit.toml': '[py]\nnotify = "sd_notify"\n[sysd]\nnotify = "sd_notify"\n[s6]\nnotification-fd = 3\n',
      },
      [],
    );
    const early = await status(r);
    expect(early.processes.filter((p) => p.ready).map((p) => p.name)).toEqual([]);
    expect(early.code).toBe(3);
    await r.w.waitFor('py.1 is ready');
    await r.w.waitFor('sysd.1 is ready');
    await r.w.waitFor('s6.1 is ready');
    const st = await status(r);
    expect(st.code).toBe(0);
    expect(st.processes.find((p) => p.name === 'py.1')?.health).toBe('accepting connections');
    expect(st.processes.find((p) => p.name === 'sysd.1')?.health).toBe('warmed up');
  });

  it('a program flooding its NOTIFY_SOCKET cannot stall procinit: status answers, the last STATUS= wins', async () => {
    const flood = [
      'import os, socket, time',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      'end = time.time() + 2',
      'n = 0',
      'while time.time() < end:',
      '    n += 1',
      "    s.sendto(('STATUS=' + 'x' * 3000 + str(n)).encode(), os.environ['NOTIFY_SOCKET'])",
      "s.sendto(b'READY=1\\nSTATUS=done flooding', os.environ['NOTIFY_SOCKET'])",
      "print('flooded', n, flush=True)",
      'time.sleep(100)',
      '',
    ].join('\n');
    const r = await run({ Procfile: 'flood: exec /usr/bin/python3 flood.py\n', 'flood.py': flood, 'procinit.toml': '[flood]\nnotify = "sd_notify"\n' }, []);
    const during = await r.ctl('status', '--json');
    expect(during.code).toBe(3); // answered while the flood goes on, and not ready yet
    const note = (JSON.parse(during.stdout) as StatusJson[])[0].health;
    expect(note === null || /^x{200}$/.test(note)).toBe(true); // STATUS= kept short
    await r.w.waitFor('flood.1 is ready');
    const st = await status(r);
    expect(st.code).toBe(0);
    expect(st.processes[0].health).toBe('done flooding');
  });

  it('a NOTIFY_SOCKET that cannot be removed (the program put a folder there) is reported once; PID 1 goes on', async () => {
    // before: rmSync threw out of the instance's stop handling (uncaught: procinit died, a stack trace)
    const r = await run(
      {
        Procfile: 'swap: rm "$NOTIFY_SOCKET" && mkdir "$NOTIFY_SOCKET" && touch "$NOTIFY_SOCKET/x" && echo swapped && exec sleep 100\nother: sleep 100\n',
        'procinit.toml': '[swap]\nnotify = "sd_notify"\n',
      },
      [],
    );
    await r.w.waitFor(/swap\.1 +\| swapped/);
    expect((await r.ctl('restart', 'swap')).code).toBe(0);
    await r.w.waitFor(/cannot remove \S+\.sock \(.*\); it is left behind \(reported once\)/);
    await r.w.waitFor(/swapped[^]*swapped/);
    expect((await r.ctl('restart', 'swap')).code).toBe(0); // the second fault is not reported again
    await r.w.waitFor(/swapped[^]*swapped[^]*swapped/);
    expect(r.w.output.match(/cannot remove/g)).toHaveLength(1);
    const st = await status(r);
    expect(st.processes.map((p) => p.state)).toEqual(['RUNNING', 'RUNNING']);
  });

  it('a program that stops pinging the watchdog is restarted', async () => {
    const r = await run(
      { Procfile: `dog: PINGS=4 ${NOTIFY}\n`, 'procinit.toml': '[dog]\nnotify = "sd_notify"\nwatchdog = "0.4s"\n' },
      [],
    );
    await r.w.waitFor(/dog\.1 +\| stopped pinging/);
    const out = await r.w.waitFor('dog.1 restarting');
    expect(out).toContain('dog.1 restarting: no WATCHDOG=1 within 400 ms (watchdog)');
    await r.w.waitFor(/dog\.1 started[^]*dog\.1 started/);
    expect((await status(r)).processes[0].health_restarts).toBeGreaterThanOrEqual(1);
  });
  it('WATCHDOG_USEC of 15 digits from the program (beyond 2^31-1 ms) is honoured, not cut to 1 ms', async () => {
    const tell = `/usr/bin/python3 -c "import os,socket,time; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(b'READY=1\\nWATCHDOG_USEC=999999999999999', os.environ['NOTIFY_SOCKET']); print('told', flush=True); time.sleep(100)"`;
    const r = await run({ Procfile: `dog: ${tell}\n`, 'procinit.toml': '[dog]\nnotify = "sd_notify"\n' }, []);
    await r.w.waitFor(/dog\.1 +\| told/);
    await r.w.waitFor('dog.1 is ready');
    await new Promise((done) => setTimeout(done, 1000));
    expect(r.w.output).not.toMatch(/restarting|TimeoutOverflowWarning|32-bit/);
  });
});

describe('Cloud Foundry manifest', () => {
  it('health-check-type http with its endpoint and interval restarts a wedged web; readiness port marks READY', async () => {
    const port = await freeBase();
    const manifest = `applications:
- name: seed
  memory: 64M
  processes:
  - type: web
    command: FAIL_AFTER=1.5 ${SERVER}
    memory: 64M
    health-check-type: http
    health-check-http-endpoint: /health
    health-check-interval: 0.3
    health-check-invocation-timeout: 1
    timeout: 10
    readiness-health-check-type: port
    readiness-health-check-interval: 0.3
  - type: worker
    command: sleep 100
    memory: 32M
`;
    const r = await run({ 'manifest.yml': manifest }, ['-c', 'manifest.yml', '-p', String(port)]);
    await r.w.waitFor('web.1: startup probe passed');
    await r.w.waitFor('web.1 is ready');
    const out = await r.w.waitFor(/web\.1 restarting: .*\n/);
    // Diego restarts at the first failed check
    expect(out).toContain(`web.1 restarting: liveness probe failed 1 times (last: GET http://127.0.0.1:${port}/health: HTTP 500)`);
    const described = await r.ctl('describe', 'web');
    expect(described.stdout).toContain('Limits:      memory 64Mi');
    expect(described.stdout).toContain('Liveness:    http-get path=/health port=$PORT delay=0s timeout=1s period=0.3s #success=1 #failure=1');
  });
});
