// supervisord 4.2 and procinit side by side, on the same config, with the same supervisor.childutils
// listener (listener.py) and the same XML-RPC client, tools alternating within each repetition:
//   events:    a program writes N PROCESS_COMMUNICATION messages (XSUPERVISOR tokens) in one write; timed from
//              that write to the listener's answer to the Nth event (both times taken by Python, one clock);
//   multicall: M supervisor.sendRemoteCommEvent calls in one system.multicall over the unix socket; timed
//              from the request to the end of the response (`rpc`), and to the listener's answer to the
//              Mth REMOTE_COMMUNICATION event (`delivered`).
// The listener's buffer_size holds everything (no overflow: every event must arrive, poolserials without gaps).
// Usage: node bench/events/compare.mjs [--events N] [--calls M] [--reps R] [--warmup W] [--procinit dist/procinit.js]
// --warmup W: W events through a multicall before anything is timed (a long-running procinit has compiled its
// event path; a fresh one runs it in V8's interpreter and compiles it while the burst lasts).
// --before PATH adds a third tool: another procinit bundle (before/after). --only procinit runs one tool. PROCINIT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles procinit's runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('events', 300));
const M = Number(arg('calls', 2000));
const REPS = Number(arg('reps', 5));
const WARM = Number(arg('warmup', 0));
const PROCINIT = resolve(arg('procinit', join(here, '../../dist/procinit.js')));
const PY = '/usr/bin/python3';
const BEFORE = arg('before', null);
const TOOLS = arg('only', `supervisord,procinit${BEFORE ? ',before' : ''}`).split(',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFile(path, ms = 30000) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    // a file is complete once its line ends (the emitter writes its own in place)
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text.endsWith('\n')) return text.trim().split(' ').map(Number);
    await sleep(2);
  }
  throw new Error(`timed out waiting for ${path}`);
}

/** CPU time (ms) a process has used so far, all its threads (/proc/PID/task/TID/schedstat: ns on a CPU). */
function cpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread ended */
    }
  }
  return ns / 1e6;
}

function rpc(sock, body) {
  return new Promise((res, rej) => {
    const req = request({ socketPath: sock, path: '/RPC2', method: 'POST', headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) } }, (r) => {
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => res(Buffer.concat(parts).toString('utf8')));
      r.on('error', rej);
    });
    req.on('error', rej);
    req.end(body);
  });
}

const call = (method, params = '') => `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`;
const multicallBody = (m, tag) => {
  const one = (i) =>
    `<value><struct><member><name>methodName</name><value><string>supervisor.sendRemoteCommEvent</string></value></member>` +
    `<member><name>params</name><value><array><data><value><string>bench</string></value><value><string>${tag} ${i}</string></value></data></array></value></member></struct></value>`;
  return call('system.multicall', `<param><value><array><data>${Array.from({ length: m }, (_, i) => one(i)).join('')}</data></array></value></param>`);
};

async function once(which) {
  const dir = mkdtempSync(join(tmpdir(), 'events-compare-'));
  const go = join(dir, 'go');
  const t0file = join(dir, 't0');
  const sock = join(dir, 'rpc.sock');
  // milestones: 1 = the first event (the listener is READY), W more (--warmup: a multicall of W events before
  // anything is timed), then N (the emitter's burst), then M (the timed multicall's events)
  const W1 = 1 + WARM;
  const milestones = [...new Set([1, W1, W1 + N, W1 + N + M])];
  writeFileSync(
    join(dir, 'supervisord.conf'),
    `[supervisord]\nnodaemon=true\nlogfile=/dev/null\npidfile=%(here)s/sd.pid\nchildlogdir=%(here)s\n\n` +
      `[unix_http_server]\nfile=${sock}\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[eventlistener:count]\ncommand=${PY} ${join(here, 'listener.py')} ${dir} ${milestones.join(',')}\nevents=PROCESS_COMMUNICATION,REMOTE_COMMUNICATION\n` +
      `buffer_size=${WARM + N + M + 10}\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n` +
      `[program:emit]\ncommand=${PY} ${join(here, 'emitter.py')} ${go} ${t0file} ${N}\nstdout_capture_maxbytes=1KB\nstartsecs=0\nstdout_logfile=NONE\n`,
  );
  const env = { ...process.env, PROCINIT_SOCKET: join(dir, 'ctl.sock') };
  delete env.NODE_EXTRA_CA_CERTS;
  const nodeArgs = (process.env.PROCINIT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child =
    which !== 'supervisord'
      ? spawn(process.execPath, [...nodeArgs, which === 'before' ? resolve(BEFORE) : PROCINIT, '-c', 'supervisord.conf'], { cwd: dir, env, stdio: 'ignore' })
      : spawn(PY, ['-m', 'supervisor.supervisord', '-n', '-c', 'supervisord.conf'], { cwd: dir, env, stdio: 'ignore' });
  try {
    // up: the socket answers and every program runs; then one event reaches the listener (it is READY)
    for (let i = 0; ; i++) {
      const info = existsSync(sock) ? await rpc(sock, call('supervisor.getAllProcessInfo')).catch(() => '') : '';
      if ((info.match(/<string>RUNNING<\/string>/g) ?? []).length === 2) break;
      if (i > 3000) throw new Error(`${which} did not come up`);
      await sleep(10);
    }
    await rpc(sock, call('supervisor.sendRemoteCommEvent', '<param><value><string>bench</string></value></param><param><value><string>warm-up</string></value></param>'));
    await waitFile(join(dir, 'at-1'));
    if (WARM > 0) {
      await rpc(sock, multicallBody(WARM, 'warm-up'));
      await waitFile(join(dir, `at-${W1}`));
    }
    await sleep(200);

    const c0 = cpuMs(child.pid);
    writeFileSync(go, '');
    const [t0] = await waitFile(t0file);
    const [t1, gaps1] = await waitFile(join(dir, `at-${W1 + N}`));
    const c1 = cpuMs(child.pid);
    await sleep(200);

    const body = multicallBody(M, which);
    const c2 = cpuMs(child.pid);
    const r0 = performance.now();
    const w0 = Date.now() / 1000;
    const answer = await rpc(sock, body);
    const r1 = performance.now();
    const [t2, gaps2] = await waitFile(join(dir, `at-${W1 + N + M}`));
    const c3 = cpuMs(child.pid);
    const ok = (answer.match(/<boolean>1<\/boolean>/g) ?? []).length;
    if (ok !== M) throw new Error(`${which}: multicall answered ${ok} of ${M} true`);
    if (gaps1 || gaps2) throw new Error(`${which}: poolserial gaps`);
    // CPU: the supervisor's own CPU time (every thread) over the phase, the bench's polling (2 ms) included
    return { events: (t1 - t0) * 1000, eventsCpu: c1 - c0, rpc: r1 - r0, delivered: (t2 - w0) * 1000, deliveredCpu: c3 - c2 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => (child.exitCode !== null ? res() : child.once('exit', res)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const load0 = loadavg();
const results = Object.fromEntries(TOOLS.map((t) => [t, []]));
for (let r = 0; r < REPS; r++) {
  for (const which of r % 2 ? [...TOOLS].reverse() : TOOLS) results[which].push(await once(which));
}
const load1 = loadavg();
const fmt = (x) => x.toFixed(0);
const COLS = [
  ['events', 'events ms'],
  ['eventsCpu', 'its CPU ms'],
  ['rpc', 'rpc ms'],
  ['delivered', 'delivered ms'],
  ['deliveredCpu', 'its CPU ms'],
];
console.log(`events: ${N} PROCESS_COMMUNICATION in one burst; multicall: ${M} sendRemoteCommEvent; ${REPS} reps, tools alternating; warm-up ${WARM} events`);
console.log(`load average (1 min) before/after: ${load0[0].toFixed(2)} / ${load1[0].toFixed(2)}; ${PROCINIT}`);
console.log(`${''.padEnd(12)}${COLS.map(([, h]) => h.padStart(14)).join('')}   (medians; all runs)`);
for (const which of TOOLS) {
  const rs = results[which];
  const runs = COLS.map(([k]) => `${k} ${rs.map((x) => fmt(x[k])).join('/')}`).join(', ');
  console.log(`${which.padEnd(12)}${COLS.map(([k]) => fmt(median(rs.map((x) => x[k]))).padStart(14)).join('')}   ${runs}`);
}
for (const which of TOOLS.filter((t) => t !== 'supervisord' && results.supervisord)) {
  const ratio = (k) => (median(results[which].map((x) => x[k])) / median(results.supervisord.map((x) => x[k]))).toFixed(2);
  console.log(`${which} / supervisord (lower is better): ${COLS.map(([k]) => `${k} ${ratio(k)}x`).join(', ')}`);
}
