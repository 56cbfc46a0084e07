/**
 * A crashmail/httpok-style listener that acts through XML-RPC (childutils.getRPCInterface on
 * SUPERVISOR_SERVER_URL), under the real supervisord and under procinit: it restarts a crashed program,
 * and restarts another when asked through sendRemoteCommEvent. Both logs of what it did must be the same.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON } from '../../helpers/supervisord-python.js';
import { fixtureDir, startProcinit, until, Watched } from '../../helpers/procinit.js';
import { finishedLines } from '../../helpers/finished-lines.js';

const OPS = resolve(__dirname, '../../fixtures/events/ops.py');

const conf = (out: string): string => `[supervisord]
nodaemon=true
logfile=/dev/null
pidfile=%(here)s/sd.pid
childlogdir=%(here)s

[unix_http_server]
file=%(here)s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock

[procinit]
on_fatal = keep

[eventlistener:ops]
command=${PYTHON} ${OPS} ${out}
events=PROCESS_STATE_EXITED,REMOTE_COMMUNICATION
startsecs=0
stdout_logfile=NONE
stderr_logfile=%(here)s/ops.err

[program:flaky]
command=sh -c 'sleep 0.3; exit 2'
startsecs=0
autorestart=false
stdout_logfile=NONE

[program:web]
command=sleep 300
startsecs=0
stdout_logfile=NONE
`;

function sendRemote(sock: string, type: string, data: string): void {
  const r = spawnSync(PYTHON, ['-c', `from supervisor import childutils; childutils.getRPCInterface({'SUPERVISOR_SERVER_URL': 'unix://${sock}'}).supervisor.sendRemoteCommEvent('${type}', '${data}')`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

async function act(which: 'supervisord' | 'procinit'): Promise<string[]> {
  const dir = fixtureDir({});
  const out = join(dir, 'ops.log');
  writeFileSync(join(dir, 'supervisord.conf'), conf(out));
  const p: Watched =
    which === 'procinit'
      ? startProcinit(['-c', 'supervisord.conf'], { cwd: dir })
      : new Watched(spawn(PYTHON, ['-m', 'supervisor.supervisord', '-n', '-c', 'supervisord.conf'], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }));
  const lines = (): string[] => finishedLines(out);
  try {
    await until(() => lines().length >= 3, 30_000, `${which}: two crashes and a restart`);
    await until(() => existsSync(join(dir, 's.sock')), 10_000, 'rpc socket');
    sendRemote(join(dir, 's.sock'), 'restart', 'web');
    await until(() => lines().some((l) => l.startsWith('restart web')), 30_000, `${which}: remote restart`);
  } catch (err) {
    p.child.kill('SIGKILL');
    const errLog = existsSync(join(dir, 'ops.err')) ? readFileSync(join(dir, 'ops.err'), 'utf8') : '';
    throw new Error(`${(err as Error).message}\n${p.output}\n${lines().join('\n')}\n${errLog}`);
  }
  p.child.kill('SIGTERM');
  await p.exited;
  return lines();
}

describe.skipIf(!haveSupervisorPython)('a listener acting through XML-RPC, as superlance does', () => {
  it('restarts a crashed program and answers a remote event, the same under supervisord and procinit', async () => {
    const [sd, pi] = await Promise.all([act('supervisord'), act('procinit')]);
    expect(pi).toEqual(sd);
    expect(pi).toEqual(['crashed flaky from RUNNING', 'restarted flaky', 'crashed flaky from RUNNING', 'restart web RUNNING new-pid']);
  }, 90_000);
});
