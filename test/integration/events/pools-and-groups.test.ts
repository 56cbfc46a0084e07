/** Listener pools with numprocs, and PROCESS_GROUP_ADDED/REMOVED from the real supervisorctl's update. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON } from '../../helpers/supervisord-python.js';
import { fixtureDir, PROCINIT_JS, startProcinit, tempDir, until } from '../../helpers/procinit.js';

const SLOW = resolve(__dirname, '../../fixtures/events/slow_recorder.py');

const read = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : []);

describe.skipIf(!haveSupervisorPython)('listener pools and group events', () => {
  it('a pool of 3 listeners shares the events: a busy one is passed over, none is lost', async () => {
    const dir = fixtureDir({});
    const out = join(dir, 'pool.log');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[eventlistener:pool]\ncommand=${PYTHON} ${SLOW} ${out} 0.3\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=3\nevents=PROCESS_STATE_RUNNING\nbuffer_size=50\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n` +
        Array.from({ length: 8 }, (_, i) => `[program:p${i}]\ncommand=sleep 300\nstartsecs=0\nstdout_logfile=NONE\n\n`).join(''),
    );
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    // 8 programs and the 3 listeners themselves become RUNNING
    await until(() => read(out).length >= 11, 30_000, 'every RUNNING event');
    const lines = read(out);
    const by = new Set(lines.map((l) => l.split(' ')[0]));
    expect(by.size).toBeGreaterThan(1);
    const names = lines.map((l) => /processname:(\S+)/.exec(l)?.[1]).sort();
    expect(names).toEqual([...Array.from({ length: 8 }, (_, i) => `p${i}`), 'pool_0', 'pool_1', 'pool_2'].sort());
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 40_000);

  it("supervisorctl update adds and removes groups: PROCESS_GROUP_ADDED/REMOVED reach the listener", async () => {
    const dir = fixtureDir({});
    const out = join(dir, 'groups.log');
    const base = `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[unix_http_server]\nfile=%(here)s/s.sock\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n\n[eventlistener:rec]\ncommand=${PYTHON} ${SLOW} ${out} 0\nevents=PROCESS_GROUP\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n[eventlistener:gone]\ncommand=${PYTHON} ${SLOW} ${join(dir, 'gone.log')} 0\nevents=PROCESS_GROUP\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n[program:old]\ncommand=sleep 300\nstartsecs=0\nstdout_logfile=NONE\n`;
    writeFileSync(join(dir, 'supervisord.conf'), base);
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    await until(() => read(out).some((l) => l.includes('groupname:old')), 20_000, 'startup groups');
    const gone = base.indexOf('[eventlistener:gone]');
    writeFileSync(join(dir, 'supervisord.conf'), (base.slice(0, gone) + base.slice(base.indexOf('[program:old]'))).replace('[program:old]', '[program:new]'));
    const ctl = spawnSync(PYTHON, ['-m', 'supervisor.supervisorctl', '-c', join(dir, 'supervisord.conf'), 'update'], { encoding: 'utf8', timeout: 20_000 });
    expect(ctl.stdout + ctl.stderr).toMatch(/new: added process group/);
    await until(() => read(out).some((l) => l.includes('PROCESS_GROUP_ADDED groupname:new')) && read(out).some((l) => l.includes('PROCESS_GROUP_REMOVED groupname:old')), 20_000, 'update events');
    await until(() => read(out).some((l) => l.includes('PROCESS_GROUP_REMOVED groupname:gone')), 20_000, 'listener group removed');
    // pools start first (priority -1, then by name): gone, rec; each hears of the groups added after it
    const events = read(out).map((l) => l.split(' ').slice(1).join(' '));
    expect(events.slice(0, 2)).toEqual(['PROCESS_GROUP_ADDED groupname:rec', 'PROCESS_GROUP_ADDED groupname:old']);
    expect(events.slice(2).sort()).toEqual(['PROCESS_GROUP_ADDED groupname:new', 'PROCESS_GROUP_REMOVED groupname:gone', 'PROCESS_GROUP_REMOVED groupname:old']);
    // the removed pool heard nothing of its own removal
    expect(read(join(dir, 'gone.log')).map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'PROCESS_GROUP_ADDED groupname:gone',
      'PROCESS_GROUP_ADDED groupname:rec',
      'PROCESS_GROUP_ADDED groupname:old',
    ]);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 40_000);

  it('procinit reload (and its SIGHUP-free update) raises PROCESS_GROUP_REMOVED/ADDED; a new listener hears of itself', async () => {
    const dir = fixtureDir({});
    const out = join(dir, 'groups.log');
    const late = join(dir, 'late.log');
    const listener = (name: string, file: string): string => `[eventlistener:${name}]\ncommand=${PYTHON} ${SLOW} ${file} 0\nevents=PROCESS_GROUP\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n`;
    const program = (name: string): string => `[program:${name}]\ncommand=sleep 300\nstartsecs=0\nstdout_logfile=NONE\n\n`;
    const head = `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n`;
    writeFileSync(join(dir, 'supervisord.conf'), head + listener('rec', out) + program('old') + program('kept'));
    const sock = join(tempDir(), 'ctl.sock');
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir, env: { PROCINIT_SOCKET: sock } });
    await until(() => read(out).some((l) => l.includes('groupname:kept')), 20_000, 'startup groups');
    writeFileSync(join(dir, 'supervisord.conf'), head + listener('rec', out) + listener('late', late) + program('kept') + program('new'));
    const ctl = spawnSync(process.execPath, [PROCINIT_JS, 'reload'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PROCINIT_SOCKET: sock, NODE_EXTRA_CA_CERTS: '' } });
    expect(ctl.status, ctl.stderr).toBe(0);
    await until(() => read(out).length >= 6 && read(late).length >= 2, 20_000, 'reload events');
    expect(read(out).map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      // at start, groups of one priority go by name (supervisord's order)
      'PROCESS_GROUP_ADDED groupname:rec',
      'PROCESS_GROUP_ADDED groupname:kept',
      'PROCESS_GROUP_ADDED groupname:old',
      'PROCESS_GROUP_REMOVED groupname:old',
      'PROCESS_GROUP_ADDED groupname:late',
      'PROCESS_GROUP_ADDED groupname:new',
    ]);
    // the new listener's pool is made before its group is announced (supervisord's make_group)
    expect(read(late).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['PROCESS_GROUP_ADDED groupname:late', 'PROCESS_GROUP_ADDED groupname:new']);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 40_000);
});
