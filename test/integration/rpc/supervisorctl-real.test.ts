/**
 * The real supervisorctl (Debian's, Python) against procinit's XML-RPC interface: status columns and exit
 * codes, start/stop/restart of a process, a group and all, tail, pid, avail, signal, reread/update, shutdown.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcinit, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

const CTL = '/usr/bin/supervisorctl';

function ctl(conf: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [CTL, '-c', conf, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr });
    });
  });
}

let running: Watched | null = null;
afterEach(async () => {
  running?.child.kill('SIGTERM');
  await running?.exited;
  running = null;
});

function setup(extra = ''): { dir: string; conf: string; sock: string } {
  const dir = tempDir('procinit-rpc-');
  const sock = join(dir, 'sv.sock');
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[supervisord]
nodaemon=true
logfile=${dir}/supervisord.log
[unix_http_server]
file=${sock}
[supervisorctl]
serverurl=unix://${sock}
[program:sleeper]
command=sleep 1000
startsecs=0
stdout_logfile=${dir}/sleeper.log
[program:talker]
command=sh -c 'echo hello from talker; echo oops >&2; exec sleep 1000'
startsecs=0
[group:pair]
programs=one,two
[program:one]
command=sleep 1000
startsecs=0
[program:two]
command=sleep 1000
startsecs=0
[program:manual]
command=sleep 1000
autostart=false
startsecs=0
${extra}`,
  );
  return { dir, conf, sock };
}

async function boot(conf: string): Promise<Watched> {
  running = startProcinit(['-c', conf], { env: testEnv() });
  await running.waitFor("RPC interface 'supervisor' initialized");
  await running.waitFor(/two started|two is running|success: two entered RUNNING/);
  return running;
}

describe('the real supervisorctl against procinit', () => {
  it('status shows supervisord columns and exits 3 while something is not running, 4 for an unknown name', async () => {
    const { conf } = setup();
    await boot(conf);
    const st = await ctl(conf, 'status');
    expect(st.out).toMatch(/^manual\s+STOPPED\s+Not started$/m);
    expect(st.out).toMatch(/^pair:one\s+RUNNING\s+pid \d+, uptime 0:00:\d\d$/m);
    expect(st.out).toMatch(/^sleeper\s+RUNNING\s+pid \d+, uptime/m);
    expect(st.code).toBe(3);
    const one = await ctl(conf, 'status', 'sleeper');
    expect(one.code).toBe(0);
    const bad = await ctl(conf, 'status', 'nope');
    expect(bad.out).toContain('nope: ERROR (no such process)');
    expect(bad.code).toBe(4);
  });

  it('start, stop and restart a process, a group and all', async () => {
    const { conf } = setup();
    await boot(conf);
    expect((await ctl(conf, 'stop', 'sleeper')).out).toContain('sleeper: stopped');
    expect((await ctl(conf, 'stop', 'sleeper')).out).toContain('sleeper: ERROR (not running)');
    expect((await ctl(conf, 'start', 'sleeper')).out).toContain('sleeper: started');
    expect((await ctl(conf, 'start', 'sleeper')).out).toContain('sleeper: ERROR (already started)');
    const g = await ctl(conf, 'stop', 'pair:*');
    expect(g.out).toContain('pair:one: stopped');
    expect(g.out).toContain('pair:two: stopped');
    const r = await ctl(conf, 'restart', 'all');
    expect(r.out).toContain('manual: started');
    expect(r.out).toContain('pair:two: started');
    const st = await ctl(conf, 'status');
    expect(st.code).toBe(0);
    expect(st.out).not.toMatch(/STOPPED/);
  });

  it('tail, pid, avail, signal, version', async () => {
    const { conf } = setup();
    const p = await boot(conf);
    // talker starts after pair:two (supervisord's order: by priority, then name), and its AUTO log file
    // exists from its spawn: wait for that, then for its lines to be read (a loaded machine is slow at both)
    await p.waitFor(/talker started|talker is running|success: talker entered RUNNING/);
    const tailOf = async (...args: string[]): Promise<string> => {
      let out = '';
      for (let i = 0; i < 100 && !/hello from talker|oops/.test(out); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        out = (await ctl(conf, 'tail', 'talker', ...args)).out;
      }
      return out;
    };
    expect(await tailOf()).toContain('hello from talker');
    expect(await tailOf('stderr')).toContain('oops');
    expect((await ctl(conf, 'pid')).out.trim()).toBe(String(p.pid));
    expect((await ctl(conf, 'pid', 'sleeper')).out.trim()).toMatch(/^\d+$/);
    expect((await ctl(conf, 'avail')).out).toMatch(/^manual\s+in use\s+manual\s+999:999$/m);
    expect((await ctl(conf, 'signal', 'HUP', 'sleeper')).out).toContain('sleeper: signalled');
    expect((await ctl(conf, 'signal', 'BOGUS', 'sleeper')).out).toContain('sleeper: ERROR (bad signal name)');
    expect((await ctl(conf, 'version')).out.trim()).toBe('4.2.5');
  });

  it('reread and update add and remove groups', async () => {
    const { conf } = setup();
    await boot(conf);
    writeFileSync(conf, `${(await import('node:fs')).readFileSync(conf, 'utf8')}\n[program:late]\ncommand=sleep 1000\nstartsecs=0\n`);
    expect((await ctl(conf, 'reread')).out).toContain('late: available');
    expect((await ctl(conf, 'update')).out).toContain('late: added process group');
    expect((await ctl(conf, 'status', 'late')).out).toMatch(/^late\s+RUNNING/m);
  });

  it('shutdown stops procinit', async () => {
    const { conf } = setup();
    const p = await boot(conf);
    expect((await ctl(conf, 'shutdown')).out).toContain('Shut down');
    expect((await p.exited).code).toBe(0);
    running = null;
  });
});
