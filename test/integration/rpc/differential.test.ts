/**
 * One config under Debian's real supervisord and under procinit (as `supervisord`), driven and read by the real
 * supervisorctl and supervisor's own XML-RPC client: what supervisorctl prints, getProcessInfo's fields, and the
 * state timeline a poller sees (a program that runs, one that crashes until FATAL, one that exits expectedly,
 * one that ignores SIGTERM, one as another user, one with stopasgroup whose child must not get `signal`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, startWatched, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

const SUPERVISORD = '/usr/bin/supervisord';
const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) {
    w.child.kill('SIGTERM');
    await w.exited;
  }
});

function config(dir: string): string {
  const sock = join(dir, 's.sock');
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[supervisord]\nnodaemon=true\nlogfile=${dir}/sd.log\npidfile=${dir}/sd.pid\nchildlogdir=${dir}\n` +
      `[unix_http_server]\nfile=${sock}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://${sock}\n` +
      `[program:web]\ncommand=sleep 1000\nstartsecs=1\n` +
      `[program:crasher]\ncommand=sh -c 'echo dying >&2; exit 3'\nstartsecs=1\nstartretries=1\n` +
      `[program:oneshot]\ncommand=true\nstartsecs=0\nautorestart=false\n` +
      `[program:stubborn]\ncommand=sh -c 'trap "" TERM; while :; do sleep 0.1; done'\nstopwaitsecs=1\nstartsecs=0\n` +
      `[program:nobody]\ncommand=sleep 1000\nuser=nobody\nstartsecs=0\n` +
      // supervisorctl signal reaches the pid only, stopasgroup or not (the group is for stop and kill)
      `[program:family]\ncommand=sh -c 'trap "echo parent >> ${dir}/fam" USR1; (trap "echo child >> ${dir}/fam" USR1; while :; do sleep 0.1; done) & while :; do sleep 0.1; done'\nstopasgroup=true\nstartsecs=0\n`,
  );
  return conf;
}

const POLL = `
import sys, time, json
from supervisor.xmlrpc import SupervisorTransport
from supervisor.compat import xmlrpclib
def proxy():
    return xmlrpclib.ServerProxy('http://x/RPC2', SupervisorTransport('', '', 'unix://' + sys.argv[1]))
s = proxy()
seen = {}
infos = []
deadline = time.time() + 25
while time.time() < deadline:
    try:
        infos = s.supervisor.getAllProcessInfo()
    except Exception:
        s = proxy(); time.sleep(0.05); continue
    for i in infos:
        t = seen.setdefault(i['name'], [])
        if not t or t[-1] != i['statename']: t.append(i['statename'])
    if any(i['name'] == 'crasher' and i['statename'] == 'FATAL' for i in infos) and all(i['statename'] not in ('STARTING', 'BACKOFF') for i in infos):
        break
    time.sleep(0.05)
info = {i['name']: sorted(i.keys()) for i in infos}
crash = [i for i in infos if i['name'] == 'crasher'][0]
print(json.dumps({'timeline': seen, 'keys': info, 'crasher': [crash['state'], crash['spawnerr'], crash['exitstatus']]}))
`;

function py(args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('/usr/bin/python3', args, { encoding: 'utf8', timeout: 60_000 }, (_e, out, err) => resolve(out + err)));
}

async function observe(cmd: string, dir: string): Promise<{ timeline: string; ctl: Record<string, string>; fam: string }> {
  const conf = config(dir);
  const poller = py(['-c', POLL, join(dir, 's.sock')]);
  const w = startWatched(cmd, ['-c', conf], { env: testEnv() });
  running.push(w);
  const timeline = await poller;
  const ctl: Record<string, string> = {};
  const norm = (s: string): string => s.replace(/pid \d+, uptime \d+:\d\d:\d\d/g, 'pid P, uptime T').replace(/\w{3} \d\d \d\d:\d\d [AP]M/g, 'DATE').replace(/^\d+$/gm, 'PID');
  // (the crasher's retries after `start crasher` run on each one's own clock: it is left out after that)
  for (const c of ['status', 'status crasher', 'avail', 'stop stubborn', 'stop oneshot', 'start crasher', 'signal CONT web', 'pid nobody', 'status web nobody oneshot stubborn', 'signal USR1 family']) {
    const out = await py(['/usr/bin/supervisorctl', '-c', conf, ...c.split(' ')]);
    ctl[c] = norm(out);
  }
  // the parent's trap runs within a 0.1 s sleep; a child that got the signal too would have written by 1 s later
  const fam = join(dir, 'fam');
  for (let i = 0; i < 200 && !existsSync(fam); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  return { timeline, ctl, fam: existsSync(fam) ? readFileSync(fam, 'utf8') : '' };
}

describe.skipIf(process.getuid?.() !== 0)('the same config under supervisord and procinit', () => {
  it('shows the same state timelines, info fields and supervisorctl output', async () => {
    const dirs = [tempDir('sv-real-'), tempDir('sv-procinit-')];
    const bin = join(dirs[1], 'supervisord');
    symlinkSync(join(REPO, 'bin/procinit'), bin);
    const real = await observe(SUPERVISORD, dirs[0]);
    const ours = await observe(bin, dirs[1]);
    const t = (o: { timeline: string }) => JSON.parse(o.timeline);
    expect(t(ours).keys).toEqual(t(real).keys);
    expect(t(ours).crasher).toEqual(t(real).crasher);
    // A poller samples states: supervisord shows a state until its next loop tick, procinit changes at once
    // (an instant exit is STARTING->BACKOFF in the same moment), so transient states differ by timing.
    // What must agree: where each program ends up, and that the crasher went through BACKOFF to FATAL.
    const settled = (tl: Record<string, string[]>) => Object.fromEntries(Object.entries(tl).map(([k, v]) => [k, v[v.length - 1]]));
    expect(settled(t(ours).timeline)).toEqual(settled(t(real).timeline));
    expect(settled(t(ours).timeline)).toEqual({ web: 'RUNNING', crasher: 'FATAL', oneshot: 'EXITED', stubborn: 'RUNNING', nobody: 'RUNNING', family: 'RUNNING' });
    expect(t(ours).timeline.crasher).toContain('BACKOFF');
    expect(t(ours).timeline.web).toEqual(['STARTING', 'RUNNING']);
    const strip = (o: Record<string, string>) => JSON.parse(JSON.stringify(o).split(dirs[0]).join('D').split(dirs[1]).join('D'));
    expect(strip(ours.ctl)).toEqual(strip(real.ctl));
    expect(real.fam).toBe('parent\n');
    expect(ours.fam).toBe(real.fam);
  }, 120_000);
});
