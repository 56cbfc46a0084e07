// Scenario 3, log throughput: 8 programs each write `lines` lines of 100 bytes as fast as they can; the
// supervisor's stdout goes to a file. Two ways of writing (programs/gen.c): "lines", 40 whole lines per
// write (every tool can keep lines whole: pure speed, the goal's figure), and "block", 4096-byte writes
// that cut lines anywhere, as C stdio does on a pipe (who keeps lines whole?). The generators start
// together (a FIFO barrier, once all run under the tool) and each says when the tool has read all its
// bytes. Lines per second from the release to the arrival of the last payload byte in the file, whether
// every line arrived whole (count + checksum), the tool's CPU per million lines and its peak RSS.
// Floor: the same 8 generators into one pipe read by `cat`.
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpuTicks, launch, markers, now, quiet, safeName, sleep, stopTool, TICK_MS, toolProcesses, waitFor } from './proc.mjs';
import { Metric, rotate } from './stats.mjs';
import { runsInRep } from './goals.mjs';
import { kindOf } from './tools.mjs';
import { verifyOutput } from './verify.mjs';

export const GENS = 8;
/** Once every generator's bytes have been read by the tool: how long the file must be quiet. */
const STABLE_MS = 300;

/** A tool's own log line (trailing ones are not output of the programs). */
const OWN_LINE = /^(procinit\s+\| |\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]{4} |.*PM2 log: |\d\d:\d\d:\d\d system\s+\| )/;

/** File offset just past the programs' last byte: the end, minus trailing lines the tool logged itself. */
function payloadEnd(file) {
  const total = size(file);
  const from = Math.max(0, total - 256 * 1024);
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(total - from);
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  let end = buf.length;
  while (end > 0) {
    const startOfLine = buf.lastIndexOf(10, end - 2) + 1;
    if (!OWN_LINE.test(buf.toString('latin1', startOfLine, end))) break;
    end = startOfLine;
  }
  return from + end;
}

function size(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * One run's directory (gen/ with the FIFO barrier `go`, out.log, err.log) and the tool launched with the 8
 * generators (cat's floor: the 8 into one pipe read by `cat`). floorStays: the floor's generators stay after
 * their last line too, as they do under a tool (for a caller that samples them at the end).
 */
export function launchGenerators(ctx, participant, { tmp = ctx.tmp, lines, mode = 'lines', profileDir = null, floorStays = false }) {
  const dir = mkdtempSync(join(tmp, `tput-${safeName(participant.id)}-`));
  const gdir = join(dir, 'gen');
  mkdirSync(gdir);
  const go = join(gdir, 'go');
  if (spawnSync('mkfifo', [go]).status !== 0) throw new Error(`mkfifo ${go} failed`);
  const outFile = join(dir, 'out.log');
  const out = openSync(outFile, 'a');
  const err = openSync(join(dir, 'err.log'), 'a');
  const gen = (i, stay) => [ctx.programs.gen, String(i), String(lines), gdir, ...(stay ? ['stay'] : []), ...(mode === 'block' ? ['block'] : [])];
  let prepared;
  if (participant.tool) {
    const programs = Array.from({ length: GENS }, (_, i) => ({ name: `g${i + 1}`, argv: gen(i + 1, true) }));
    prepared = participant.tool.prepare(dir, { programs, restart: false }, { profileDir });
  } else {
    const cmds = Array.from({ length: GENS }, (_, i) => `${gen(i + 1, floorStays).join(' ')} &`).join(' ');
    prepared = { cmd: '/bin/sh', args: ['-c', `( ${cmds} wait ) | cat`], env: ctx.env };
  }
  const run = launch(prepared.cmd, prepared.args, { env: prepared.env, cwd: dir, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  return { dir, gdir, go, outFile, run };
}

/** Run one participant once; returns { rate, cpuPerM, peakMiB, verify, note }. */
export async function throughputOnce(ctx, participant, { lines, mode = 'lines', timeoutMs, keep = false, profileDir = null }) {
  // every run on a quiet machine, as every start is: the tool run before may still be busy (pm2's daemon)
  await quiet();
  const { dir, gdir, go, outFile, run } = launchGenerators(ctx, participant, { lines, mode, profileDir });

  let exited = false;
  run.exited.then(() => (exited = true));
  const toolCpu = () => toolProcesses(run.pid, ctx.programExes).reduce((a, p) => a + cpuTicks(p.pid), 0);
  const count = (suffix) => markers(gdir).filter((m) => m.name.endsWith(suffix)).length;
  // every generator ready (blocked on the FIFO): release them together
  if (!(await waitFor(() => count('.ready') === GENS || exited, { timeoutMs: 60000, intervalMs: 2 })) || exited) {
    await stopTool(run);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    return { rate: null, cpuPerM: null, peakMiB: null, verify: { ok: false, summary: 'the generators did not all start' }, note: 'the generators did not all start within 60 s' };
  }
  const baseSize = size(outFile);
  const cpuStart = participant.tool ? toolCpu() : null;
  const t0 = now();
  const goFd = openSync(go, 'r+');
  let last = baseSize;
  let lastChange = t0;
  const growth = []; // [time, size] at each growth seen
  let peakKb = 0;
  let nextSample = 0;
  let goOpen = true;
  const deadline = now() + timeoutMs;
  let note = null;
  for (;;) {
    const s = size(outFile);
    const t = now();
    if (s !== last) {
      last = s;
      lastChange = t;
      growth.push([t, s]);
    }
    if (t >= nextSample) {
      nextSample = t + 100;
      if (participant.tool && !exited) {
        const procs = toolProcesses(run.pid, ctx.programExes);
        peakKb = Math.max(peakKb, procs.reduce((a, p) => a + p.rssKb, 0));
      }
      if (goOpen && count('.start') === GENS) {
        closeSync(goFd);
        goOpen = false;
      }
      // the end: the tool has read every generator's bytes and the file has been quiet for a moment
      if (count('.done') === GENS && t - lastChange >= STABLE_MS) break;
      if (t > deadline) {
        note = `timed out after ${Math.round(timeoutMs / 1000)} s`;
        break;
      }
      if (exited && !participant.floor) {
        note = 'the tool exited before all lines were written';
        break;
      }
    }
    await sleep(5);
  }
  if (goOpen) closeSync(goFd);
  const cpuEnd = participant.tool ? toolCpu() : null;
  await stopTool(run);
  const verify = verifyOutput(outFile, GENS, lines);
  const total = GENS * lines;
  // the end is the first growth that took the file past the programs' last byte (trailing lines the
  // tool logged itself, e.g. supervisord's "entered RUNNING state" a second after each start, do not count)
  const endAt = payloadEnd(outFile);
  const tEnd = growth.find(([, sz]) => sz >= endAt)?.[0] ?? lastChange;
  const seconds = (tEnd - t0) / 1000;
  const result = {
    rate: !note && seconds > 0 ? total / seconds : null,
    seconds,
    cpuPerM: cpuEnd !== null && cpuStart !== null ? ((cpuEnd - cpuStart) * TICK_MS) / 1000 / (total / 1e6) : null,
    peakMiB: peakKb ? peakKb / 1024 : null,
    verify,
    note,
    dir,
  };
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function throughputScenario(ctx, tools, { reps, contextReps = reps, lines, mode = 'lines', timeoutMs, log }) {
  const block = mode === 'block';
  const suffix = block ? '-block' : '';
  const how = block ? '4096-byte writes cutting lines anywhere (C stdio on a pipe)' : '40 whole lines per write';
  const rate = new Metric(`throughput${suffix}`, { scenario: 'throughput', title: `Log throughput${block ? ' (block writes)' : ''}: ${GENS} programs × ${lines.toLocaleString('en')} lines of 100 bytes, ${how}, stdout to a file`, chartTitle: `Log throughput (${block ? 'block writes' : 'whole-line writes'})`, unit: 'lines/s', better: 'higher', digits: 0 });
  const cpu = new Metric(`throughput${suffix}-cpu`, { scenario: 'throughput', title: `Log throughput${block ? ' (block writes)' : ''}: supervisor CPU per million lines`, unit: 's', better: 'lower', digits: 2 });
  const rss = new Metric(`throughput${suffix}-rss`, { scenario: 'throughput', title: `Log throughput${block ? ' (block writes)' : ''}: peak RSS of the supervisor while streaming`, unit: 'MiB', better: 'lower', digits: 1 });
  const participants = [
    ...tools.map((t) => ({ id: t.id, label: t.label, kind: kindOf(t), tool: t })),
    { id: 'cat', label: 'floor: raw pipe (cat)', kind: 'floor', floor: true },
  ];
  for (let rep = 0; rep < reps; rep++) {
    log(`  throughput (${mode}) rep ${rep + 1}/${reps}`);
    for (const p of rotate(participants, rep)) {
      if (!runsInRep('throughput', p.id, rep, contextReps)) continue;
      if (p.tool?.missing) {
        for (const m of [rate, cpu, rss]) m.na(p.id, p.label, p.kind, p.tool.missing);
        continue;
      }
      const r = await throughputOnce(ctx, p, { lines, mode, timeoutMs });
      if (p.floor && block) rate.note(p.id, p.label, p.kind, 'one pipe shared by 8 writers keeps no line whole: a floor for speed only');
      if (r.rate !== null) rate.add(p.id, p.label, p.kind, r.rate);
      if (r.cpuPerM !== null) cpu.add(p.id, p.label, p.kind, r.cpuPerM);
      if (r.peakMiB !== null) rss.add(p.id, p.label, p.kind, r.peakMiB);
      const row = rate.row(p.id, p.label, p.kind);
      (row.extra.verify ??= []).push(r.verify.summary);
      rate.note(p.id, p.label, p.kind, `rep ${rep + 1}: ${r.verify.ok ? 'every line whole, checksum ok' : r.verify.summary}`);
      if (r.note) rate.note(p.id, p.label, p.kind, `rep ${rep + 1}: ${r.note}`);
    }
  }
  return block ? [rate] : [rate, cpu, rss];
}
