// Scenarios 1, 2 and 7 share one run of each tool with 10 sleeping programs:
//   start   - from exec of the supervisor until all 10 programs have exec'd (each stamps a marker file); procinit
//             is timed three times a repetition (two start-only runs first), as its floor `node -e 0` is;
//   idle    - VmRSS summed over every process the tool adds, 5 s after its start;
//   control - round trip of the tool's status command (procinit status, supervisorctl status, pm2 jlist).
// Within a repetition the tools start one after another (rotating order), each on a quiet machine (the
// tool started before may still be busy), and then idle side by side.
import { closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { launch, markers, now, pssKb, quiet, safeName, sleep, stopTool, toolProcesses, waitFor } from './proc.mjs';
import { Metric, rotate } from './stats.mjs';
import { runsInRep } from './goals.mjs';
import { kindOf } from './tools.mjs';

const PROGRAMS = 10;
/** Extra start-only runs of procinit per repetition (the start goal's row; its floor gets three a repetition too). */
const EXTRA_STARTS = 2;

function programList(mdir, n) {
  return Array.from({ length: n }, (_, i) => {
    const name = `p${String(i + 1).padStart(2, '0')}`;
    return { name, argv: [], marker: join(mdir, name) };
  });
}

/** MiB, one decimal. */
const mib = (kb) => kb / 1024;

/** "procinit 51.4 (anon 30.2) + 10 × sh 16.2 (anon 1.1) MiB; PSS 40.1 MiB" */
function breakdown(procs) {
  const groups = new Map();
  let pss = 0;
  for (const p of procs) {
    const g = groups.get(p.name) ?? { n: 0, kb: 0, anon: 0 };
    g.n++;
    g.kb += p.rssKb;
    g.anon += p.anonKb;
    groups.set(p.name, g);
    pss += pssKb(p.pid) ?? NaN;
  }
  const parts = [...groups.entries()].map(([name, g]) => `${g.n > 1 ? `${g.n} × ` : ''}${name} ${mib(g.kb).toFixed(1)} (anon ${mib(g.anon).toFixed(1)})`);
  return `${parts.join(' + ')} MiB${Number.isFinite(pss) ? `; PSS ${mib(pss).toFixed(1)} MiB` : ''}`;
}

async function timeCommand(cmd, args, env, cwd) {
  const t0 = now();
  const run = launch(cmd, args, { env, cwd, group: false });
  const ex = await run.exited;
  return { ms: ex.at - t0, code: ex.code, error: ex.error };
}

/** /usr/bin/time -v around one call: max RSS (kB) and CPU (ms) of the client. */
function timeV(timeBin, cmd, args, env, cwd) {
  if (!timeBin) return null;
  const r = spawnSync(timeBin, ['-v', cmd, ...args], { env, cwd, encoding: 'utf8', timeout: 30000 });
  const get = (re) => Number(r.stderr?.match(re)?.[1] ?? NaN);
  return {
    rssKb: get(/Maximum resident set size \(kbytes\): (\d+)/),
    cpuMs: (get(/User time \(seconds\): ([\d.]+)/) + get(/System time \(seconds\): ([\d.]+)/)) * 1000,
  };
}

export async function sessionScenario(ctx, tools, { reps, contextReps = reps, controlCalls, idleAfterMs = 5000, log }) {
  const start = new Metric('start', { scenario: 'start', title: 'Start: exec of the supervisor until all 10 programs have exec’d', chartTitle: 'Start: until all 10 programs have exec’d', unit: 'ms', better: 'lower', digits: 1 });
  const idle = new Metric('idle', { scenario: 'idle', title: 'Idle memory: VmRSS of every process the tool adds, 10 sleeping programs, after 5 s', chartTitle: 'Idle memory (VmRSS, 10 sleeping programs, after 5 s)', unit: 'MiB', better: 'lower', digits: 1 });
  const control = new Metric('control', { scenario: 'control', title: 'Control: status round trip (client exec to exit)', unit: 'ms', better: 'lower', digits: 1 });
  const clientRss = new Metric('control-rss', { scenario: 'control', title: 'Control: max RSS of the status client (/usr/bin/time -v)', unit: 'MiB', better: 'lower', digits: 1 });

  const nodeBin = process.execPath;
  const participants = [
    ...tools.map((t) => ({ kind: kindOf(t), tool: t })),
    { kind: 'floor', id: 'node-e0', label: 'floor: node -e 0' },
    { kind: 'floor', id: 'tini-1', label: 'floor: tini + 1 program', available: !!ctx.peers.tini },
    { kind: 'floor', id: 'node-idle', label: 'floor: idle node process' },
  ];

  for (let rep = 0; rep < reps; rep++) {
    log(`  session rep ${rep + 1}/${reps}`);
    const sessions = [];
    for (const p of rotate(participants, rep)) {
      const id = p.tool?.id ?? p.id;
      const label = p.tool?.label ?? p.label;
      if (p.tool?.missing) {
        for (const m of [start, idle, control]) m.na(id, label, p.kind, p.tool.missing);
        continue;
      }
      if (p.available === false || !runsInRep('session', id, rep, contextReps)) continue;
      // every start is timed on a quiet machine: the tool started before may still be busy (pm2's daemon)
      await quiet();
      if (id === 'node-e0') {
        for (let i = 0; i < 3; i++) {
          if (i > 0) await quiet();
          const r = await timeCommand(nodeBin, ['-e', '0'], ctx.env);
          start.add(id, label, 'floor', r.ms);
        }
        continue;
      }
      const dir = mkdtempSync(join(ctx.tmp, `session-${safeName(id)}-`));
      const mdir = join(dir, 'markers');
      mkdirSync(mdir);
      let prepared;
      let expect = PROGRAMS;
      if (p.tool) {
        const programs = programList(mdir, PROGRAMS).map((x) => ({ name: x.name, argv: [ctx.programs.marker, x.marker] }));
        prepared = p.tool.prepare(dir, { programs, restart: false });
      } else if (id === 'tini-1') {
        prepared = { cmd: ctx.peers.tini, args: ['-s', '--', ctx.programs.marker, join(mdir, 'p01')], env: ctx.env };
        expect = 1;
      } else if (id === 'node-idle') {
        prepared = { cmd: nodeBin, args: ['-e', 'setInterval(() => {}, 1 << 30)'], env: ctx.env };
        expect = 0;
      }
      // the start goal's row is timed three times per repetition, as its floor `node -e 0` is: three runs
      // a repetition gave medians that moved by 10 ms between quiet runs (start-only runs, stopped at once)
      if (p.tool && id === 'procinit') {
        for (let i = 0; i < EXTRA_STARTS; i++) {
          const xdir = mkdtempSync(join(ctx.tmp, `start-${safeName(id)}-`));
          const xm = join(xdir, 'markers');
          mkdirSync(xm);
          const xprog = programList(xm, PROGRAMS).map((x) => ({ name: x.name, argv: [ctx.programs.marker, x.marker] }));
          const xp = p.tool.prepare(xdir, { programs: xprog, restart: false });
          const xout = openSync(join(xdir, 'out.log'), 'a');
          const x0 = now();
          const xrun = launch(xp.cmd, xp.args, { env: xp.env, cwd: xdir, stdio: ['ignore', xout, xout] });
          closeSync(xout);
          const ok = await waitFor(() => markers(xm).length >= PROGRAMS, { timeoutMs: 60000, intervalMs: 1 });
          if (ok) start.add(id, label, p.kind, Math.max(...markers(xm).map((m) => m.ms)) - x0);
          await stopTool(xrun);
          await quiet();
        }
      }
      const out = openSync(join(dir, 'out.log'), 'a');
      const t0 = now();
      const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir, stdio: ['ignore', out, out] });
      closeSync(out);
      const s = { id, label, kind: p.kind, tool: p.tool, dir, run, t0, prepared };
      sessions.push(s);
      if (expect > 0) {
        const ok = await waitFor(() => markers(mdir).length >= expect, { timeoutMs: 60000, intervalMs: 1 });
        if (ok) start.add(id, label, p.kind, Math.max(...markers(mdir).map((m) => m.ms)) - t0);
        else start.note(id, label, p.kind, `rep ${rep + 1}: not all programs started within 60 s`);
      }
    }

    // idle memory, each tool 5 s after its own start
    for (const s of sessions) {
      const wait = s.t0 + idleAfterMs - now();
      if (wait > 0) await sleep(wait);
      const procs = toolProcesses(s.run.pid, ctx.programExes);
      if (procs.length === 0) {
        idle.note(s.id, s.label, s.kind, `rep ${rep + 1}: the tool was not running after 5 s`);
        continue;
      }
      idle.add(s.id, s.label, s.kind, mib(procs.reduce((a, p) => a + p.rssKb, 0)));
      idle.row(s.id, s.label, s.kind).extra.breakdown = breakdown(procs);
    }

    // control round trips, alternating tools call by call; `node -e 0` as the floor
    const clients = [];
    for (const s of sessions) {
      if (!s.tool) continue;
      if (s.prepared.control) clients.push({ id: s.id, label: s.label, kind: s.kind, ...s.prepared.control, cwd: s.dir });
      else control.na(s.id, s.label, s.kind, s.prepared.controlMissing ?? 'n/a');
    }
    clients.push({ id: 'node-e0', label: 'floor: node -e 0', kind: 'floor', cmd: nodeBin, args: ['-e', '0'], env: ctx.env, cwd: ctx.tmp });
    for (let k = 0; k < controlCalls; k++) {
      for (const c of rotate(clients, k + rep)) {
        const r = await timeCommand(c.cmd, c.args, c.env, c.cwd);
        if (r.code === 0) control.add(c.id, c.label, c.kind, r.ms);
        else control.note(c.id, c.label, c.kind, `a call exited with ${r.code ?? r.error?.message}`);
      }
    }
    for (const c of clients) {
      const t = timeV(ctx.peers.time, c.cmd, c.args, c.env, c.cwd);
      if (t && Number.isFinite(t.rssKb)) clientRss.add(c.id, c.label, c.kind, mib(t.rssKb));
    }

    await Promise.all(sessions.map((s) => stopTool(s.run)));
  }
  return [start, idle, control, clientRss];
}
