// Memory under churn (issue 18, goal 3): procinit's RSS idle, under a steady load, and a minute after the
// load stops. The load, all at once: a program crash-looping at full speed (startsecs=0, autorestart=true,
// no backoff), 4 programs flooding their output (`yes` with 100-byte lines, raw /dev/stdout output), and
// 100 `logs -f` followers on the control socket (the harness reads their streams and throws them away).
// One supervisord.conf; the load's programs have autostart=false and are started and stopped through
// procinit's own client, so the idle figure is the same procinit with the same config before the load.
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpuTicks, launch, now, sleep, status, stopTool, TICK_MS, waitFor } from './proc.mjs';
import { median, Metric } from './stats.mjs';

const LINE = 'x'.repeat(99);

function conf(dir, ctx) {
  const lines = ['[supervisord]', 'nodaemon=true', `logfile=${join(dir, 'supervisord.log')}`, ''];
  const prog = (name, command, extra) =>
    lines.push(`[program:${name}]`, `command=${command}`, 'stdout_logfile=/dev/stdout', 'stdout_logfile_maxbytes=0', 'redirect_stderr=true', ...extra, '');
  prog('idle', `${ctx.programs.sleep ?? '/bin/sleep'} 100000`, ['autostart=true', 'autorestart=false']);
  prog('crash', `${ctx.programs.tick} ${join(dir, 'ticks')}`, ['autostart=false', 'startsecs=0', 'autorestart=true', 'startretries=1000000000']);
  for (let i = 1; i <= 4; i++) prog(`flood${i}`, `/usr/bin/yes ${LINE}`, ['autostart=false', 'autorestart=false']);
  const file = join(dir, 'supervisord.conf');
  writeFileSync(file, lines.join('\n'));
  return file;
}

function rssMiB(pid) {
  return (status(pid)?.rssKb ?? 0) / 1024;
}

/** A `logs -f` follower speaking the protocol; reads and drops everything. */
function follower(sock, counter) {
  const c = connect(sock);
  c.on('error', () => {});
  c.on('data', (d) => (counter.bytes += d.length));
  c.write(`${JSON.stringify({ v: 1, id: 1, cmd: 'logs', args: { names: [], lines: 10, follow: true } })}\n`);
  return c;
}

/**
 * One procinit under churn. Resolves when the load has stopped, with { error } or { load, quiet } where
 * load = the figures so far and quiet = a promise of the whole result once the quiet minute is over (the
 * harness may run other scenarios meanwhile: this procinit only idles, and is only sampled).
 */
export async function churnLoad(ctx, bin, { loadMs, afterMs, followers = 100, log = () => {} }) {
  const dir = mkdtempSync(join(ctx.tmp, 'churn-'));
  const sock = join(dir, 'procinit.sock');
  const file = conf(dir, ctx);
  const out = openSync('/dev/null', 'a');
  const run = launch(bin.cmd, [...bin.args, '-c', file, '--socket', sock], { env: ctx.env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  const ctl = (...args) => spawnSync(bin.cmd, [...bin.args, ...args, '--socket', sock], { env: ctx.env, cwd: dir, stdio: 'ignore', timeout: 30000 });
  const conns = [];
  let stopped;
  try {
    if (!(await waitFor(() => ctl('status', 'idle').status === 0, { timeoutMs: 30000, intervalMs: 100 }))) return { error: 'procinit did not come up' };
    await sleep(5000);
    const idle = rssMiB(run.pid);
    const anonIdle = (status(run.pid)?.anonKb ?? 0) / 1024;
    const cpu0 = cpuTicks(run.pid);
    const t0 = now();
    const counter = { bytes: 0 };
    for (let i = 0; i < followers; i++) conns.push(follower(sock, counter));
    ctl('start', 'crash', 'flood1', 'flood2', 'flood3', 'flood4');
    const samples = [];
    const end = now() + loadMs;
    while (now() < end) {
      await sleep(250);
      samples.push(rssMiB(run.pid));
    }
    const cpuMs = (cpuTicks(run.pid) - cpu0) * TICK_MS;
    const loadS = (now() - t0) / 1000;
    ctl('stop', 'crash', 'flood1', 'flood2', 'flood3', 'flood4');
    for (const c of conns) c.destroy();
    conns.length = 0;
    const steady = samples.slice(Math.floor(samples.length / 4)); // after the first quarter: the steady state
    const load = { idle, loadMedian: median(steady), loadMax: Math.max(...samples), cpuShare: cpuMs / 1000 / loadS };
    const summary = `churn: idle ${idle.toFixed(1)} MiB (anon ${anonIdle.toFixed(1)}), load median ${load.loadMedian.toFixed(1)} max ${load.loadMax.toFixed(1)}; CPU ${(cpuMs / loadS / 10).toFixed(0)}% of a core; followers read ${(counter.bytes / 1048576).toFixed(0)} MiB`;
    const quiet = (async () => {
      try {
        const stoppedAt = now();
        const after = [];
        while (now() - stoppedAt < afterMs) {
          await sleep(1000);
          after.push(rssMiB(run.pid));
        }
        const anonAfter = (status(run.pid)?.anonKb ?? 0) / 1024;
        log(`    ${summary}; after ${afterMs / 1000}s ${after.at(-1).toFixed(1)} MiB (anon ${anonAfter.toFixed(1)})`);
        return { ...load, after: after.at(-1) };
      } finally {
        await stopTool(run);
      }
    })();
    stopped = true;
    return { load, quiet };
  } finally {
    for (const c of conns) c.destroy();
    if (!stopped) await stopTool(run);
  }
}

/**
 * The churn scenario in two steps: loaded resolves once every load has run (one after another, nothing
 * else running); done resolves with the metrics once the last quiet minute is over. Between the two the
 * harness runs other scenarios: the quiet minutes are only waited out and sampled once a second.
 */
export function churnScenario(ctx, variants, { reps, loadMs, afterMs, log }) {
  const m = {
    idle: new Metric('churn-idle', { scenario: 'churn', title: 'Memory under churn: procinit’s VmRSS idle (same config, load not started)', unit: 'MiB', better: 'lower', digits: 1 }),
    load: new Metric('churn-load', { scenario: 'churn', title: `Memory under churn: VmRSS under load (median of the last ¾ of ${loadMs / 1000} s: crash loop + 4 floods + 100 logs -f)`, unit: 'MiB', better: 'lower', digits: 1 }),
    max: new Metric('churn-max', { scenario: 'churn', title: 'Memory under churn: peak VmRSS under load', unit: 'MiB', better: 'lower', digits: 1 }),
    after: new Metric('churn-after', { scenario: 'churn', title: `Memory under churn: VmRSS ${afterMs / 1000} s after the load stopped`, unit: 'MiB', better: 'lower', digits: 1 }),
  };
  const runs = [];
  const loaded = (async () => {
    for (let rep = 0; rep < reps; rep++) {
      for (const v of variants) {
        log(`  churn rep ${rep + 1}/${reps}: ${v.label}`);
        const r = await churnLoad(ctx, v.bin, { loadMs, afterMs, log });
        runs.push({ rep, v, r: r.error ? r : r.quiet.catch((err) => ({ error: `the quiet minute failed: ${err.message}` })) });
      }
    }
  })();
  const done = loaded.then(async () => {
    for (const { rep, v, r: pending } of runs) {
      const r = await pending;
      const kind = v.id === 'procinit' ? 'procinit' : 'variant';
      if (r.error) {
        m.load.note(v.id, v.label, kind, `rep ${rep + 1}: ${r.error}`);
        continue;
      }
      m.idle.add(v.id, v.label, kind, r.idle);
      m.load.add(v.id, v.label, kind, r.loadMedian);
      m.max.add(v.id, v.label, kind, r.loadMax);
      m.after.add(v.id, v.label, kind, r.after);
      m.load.note(v.id, v.label, kind, `rep ${rep + 1}: ${(r.loadMedian / r.idle).toFixed(2)}× idle, procinit at ${(r.cpuShare * 100).toFixed(0)}% of a core`);
      m.after.note(v.id, v.label, kind, `rep ${rep + 1}: ${(r.after / r.idle).toFixed(2)}× idle`);
    }
    return Object.values(m);
  });
  return { loaded, done };
}
