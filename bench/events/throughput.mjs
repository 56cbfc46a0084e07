// Event throughput through one childutils listener, supervisord 4.2 against procinit on the same config:
// a program writes N PROCESS_COMMUNICATION messages (XSUPERVISOR tokens) in one go; timed from its write
// to the listener's answer to the last event. Usage: node bench/events/throughput.mjs [N]
// (procinit from dist/procinit.js; supervisord from Debian's package under /usr/bin/python3).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 2000);
const PY = '/usr/bin/python3';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function once(which) {
  const dir = mkdtempSync(join(tmpdir(), 'events-bench-'));
  const [go, t0file, done] = ['go', 't0', 'done'].map((f) => join(dir, f));
  writeFileSync(
    join(dir, 'supervisord.conf'),
    `[supervisord]\nnodaemon=true\nlogfile=/dev/null\npidfile=%(here)s/sd.pid\nchildlogdir=%(here)s\n\n` +
      `[eventlistener:count]\ncommand=${PY} ${join(here, 'counter.py')} ${done} ${N}\nevents=PROCESS_COMMUNICATION\nbuffer_size=${N}\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n` +
      `[program:emit]\ncommand=${PY} ${join(here, 'emitter.py')} ${go} ${t0file} ${N}\nstdout_capture_maxbytes=1KB\nstartsecs=0\nstdout_logfile=NONE\n`,
  );
  const env = { ...process.env, PROCINIT_SOCKET: join(dir, 'ctl.sock') };
  delete env.NODE_EXTRA_CA_CERTS;
  const child =
    which === 'procinit'
      ? spawn(process.execPath, [join(here, '../../dist/procinit.js'), '-c', 'supervisord.conf'], { cwd: dir, env, stdio: 'ignore' })
      : spawn(PY, ['-m', 'supervisor.supervisord', '-n', '-c', 'supervisord.conf'], { cwd: dir, env, stdio: 'ignore' });
  await sleep(2500); // both up, the listener READY
  writeFileSync(go, '');
  for (let i = 0; i < 1200 && !existsSync(done); i++) await sleep(20);
  const t0 = Number(readFileSync(t0file, 'utf8'));
  const t1 = Number(readFileSync(done, 'utf8'));
  child.kill('SIGTERM');
  await new Promise((res) => child.once('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return t1 - t0;
}

for (const which of ['supervisord', 'procinit']) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await once(which));
  runs.sort((a, b) => a - b);
  console.log(`${which.padEnd(12)} ${N} events: best ${(runs[0] * 1000).toFixed(0)} ms (${Math.round(N / runs[0])} events/s), runs ${runs.map((t) => (t * 1000).toFixed(0)).join('/')} ms`);
}
