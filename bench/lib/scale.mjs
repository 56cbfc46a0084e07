// Scale (issue 18, goal 5): procinit with 1, 10, 100 and 1,000 programs (the marker program from a
// Procfile, exec'd without a shell): start until every program has stamped its marker, procinit's own idle
// VmRSS, its idle CPU (scheduler time of all its threads from /proc/<pid>/task/*/schedstat, in ns, over
// a quiet window), and SIGTERM to exit. The growth per program is the slope of a least-squares line
// through the four points.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, markers, now, sleep, status, stopTool, waitFor, timeout } from './proc.mjs';
import { median } from './stats.mjs';

/** CPU time of every thread of pid, in ms (schedstat: ns on the CPU). */
function cpuMs(pid) {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread gone */
      }
    }
  } catch {
    return null;
  }
  return ns / 1e6;
}

function stamped(dir) {
  try {
    return readdirSync(dir).filter((n) => !n.endsWith('.tmp')).length;
  } catch {
    return 0;
  }
}

export async function scaleOnce(ctx, bin, n, { idleMs = 5000, settleMs = 3000 } = {}) {
  const dir = mkdtempSync(join(ctx.tmp, `scale-${n}-`));
  const mdir = join(dir, 'markers');
  mkdirSync(mdir);
  writeFileSync(join(dir, 'Procfile'), Array.from({ length: n }, (_, i) => `p${i + 1}: ${ctx.programs.marker} ${join(mdir, `p${i + 1}`)}\n`).join(''));
  const out = openSync(join(dir, 'out.log'), 'a');
  const t0 = now();
  const run = launch(bin.cmd, [...bin.args, '-f', join(dir, 'Procfile'), '--socket', join(dir, 'procinit.sock')], { env: ctx.env, cwd: dir, stdio: ['ignore', out, out] });
  closeSync(out);
  try {
    if (!(await waitFor(() => stamped(mdir) >= n, { timeoutMs: 120000, intervalMs: n > 100 ? 20 : 1 }))) return { error: `only ${stamped(mdir)} of ${n} programs started in 120 s` };
    const startMs = Math.max(...markers(mdir).map((m) => m.ms)) - t0;
    await sleep(settleMs);
    const c0 = cpuMs(run.pid);
    const w0 = now();
    await sleep(idleMs);
    const cpuShare = (cpuMs(run.pid) - c0) / (now() - w0); // share of one core
    const rssMiB = (status(run.pid)?.rssKb ?? 0) / 1024;
    const s0 = now();
    process.kill(run.pid, 'SIGTERM');
    const ex = await Promise.race([run.exited, timeout(60000)]);
    const stopMs = ex ? ex.at - s0 : null;
    return { startMs, rssMiB, cpuPct: cpuShare * 100, stopMs };
  } finally {
    await stopTool(run);
  }
}

/** Least-squares slope and intercept of ys over xs. */
export function fit(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export const SCALE_FIGURES = [
  { key: 'startMs', title: 'start until every program runs', unit: 'ms', per: 'ms', digits: 1 },
  { key: 'rssMiB', title: 'idle VmRSS of procinit', unit: 'MiB', per: 'KiB', scalePer: 1024, digits: 1 },
  { key: 'cpuPct', title: 'idle CPU of procinit', unit: '% of a core', per: '% of a core', digits: 3 },
  { key: 'stopMs', title: 'SIGTERM to exit', unit: 'ms', per: 'ms', digits: 1 },
];

export async function scaleScenario(ctx, { counts, reps, idleMs = 5000, settleMs = 3000, log }) {
  const raw = new Map(counts.map((n) => [n, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const n of counts) {
      log(`  scale rep ${rep + 1}/${reps}: ${n} program(s)`);
      const r = await scaleOnce(ctx, ctx.procinit, n, { idleMs, settleMs });
      if (r.error) log(`    ${r.error}`);
      else {
        log(`    start ${r.startMs.toFixed(1)} ms, idle ${r.rssMiB.toFixed(1)} MiB, CPU ${r.cpuPct.toFixed(3)} %, stop ${r.stopMs?.toFixed(1)} ms`);
        raw.get(n).push(r);
      }
    }
  }
  const rows = counts.map((n) => {
    const rs = raw.get(n);
    const row = { n, reps: rs.length };
    for (const f of SCALE_FIGURES) {
      const vs = rs.map((r) => r[f.key]).filter((v) => v !== null && v !== undefined);
      row[f.key] = vs.length ? median(vs) : null;
    }
    return row;
  });
  const fits = {};
  for (const f of SCALE_FIGURES) {
    const pts = rows.filter((r) => r[f.key] !== null);
    if (pts.length >= 2) fits[f.key] = fit(pts.map((r) => r.n), pts.map((r) => r[f.key]));
  }
  return { scale: { rows, fits } };
}

/** The scale section of docs/benchmarks.md. */
export function scaleMarkdown({ rows, fits }, chartFile) {
  const fmt = (v, d) => (v === null || v === undefined ? 'n/a' : v.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const lines = [
    '',
    '## Scale: 1, 10, 100 and 1,000 programs',
    '',
    'procinit from a Procfile of N marker programs (each exec’d without a shell). Start: until the last program has stamped its marker. Idle VmRSS of procinit’s own process (not its programs), after the start and the idle window. Idle CPU: scheduler time of all procinit’s threads over the idle window (5 s in full mode, 3 s in quick mode, after 3 s / 2 s to settle). Stop: SIGTERM to procinit’s exit (the programs exit at once). Medians; per program: the slope of a least-squares line through the four points.',
    '',
    `![scale](${chartFile})`,
    '',
    `| programs | ${SCALE_FIGURES.map((f) => `${f.title} (${f.unit})`).join(' | ')} |`,
    `|---:|${SCALE_FIGURES.map(() => '---:').join('|')}|`,
    ...rows.map((r) => `| ${r.n.toLocaleString('en')} | ${SCALE_FIGURES.map((f) => fmt(r[f.key], f.digits)).join(' | ')} |`),
    `| **per program** | ${SCALE_FIGURES.map((f) => (fits[f.key] ? `${fmt(fits[f.key].slope * (f.scalePer ?? 1), f.key === 'cpuPct' ? 5 : 2)} ${f.per}` : 'n/a')).join(' | ')} |`,
    `| **constant** | ${SCALE_FIGURES.map((f) => (fits[f.key] ? `${fmt(fits[f.key].intercept, f.digits)} ${f.unit}` : 'n/a')).join(' | ')} |`,
    '',
  ];
  return lines.join('\n');
}

/** Four small charts, value against programs (log scale), as SVG. */
export function scaleSvg({ rows, fits }) {
  const W = 300;
  const H = 200;
  const pad = { l: 56, r: 12, t: 28, b: 34 };
  const panels = SCALE_FIGURES.map((f, i) => {
    const pts = rows.filter((r) => r[f.key] !== null).map((r) => [r.n, r[f.key]]);
    const x0 = (i % 2) * (W + 20);
    const y0 = Math.floor(i / 2) * (H + 20);
    if (pts.length === 0) return `<g transform="translate(${x0},${y0})"><text x="10" y="20">${f.title}: no data</text></g>`;
    const maxY = Math.max(...pts.map((p) => p[1])) * 1.1 || 1;
    const lx = (n) => pad.l + (Math.log10(n) / 3) * (W - pad.l - pad.r);
    const ly = (v) => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
    const path = pts.map((p, k) => `${k ? 'L' : 'M'}${lx(p[0]).toFixed(1)},${ly(p[1]).toFixed(1)}`).join(' ');
    const fitLine = fits[f.key] ? `<path d="${[1, 10, 100, 1000].map((n, k) => `${k ? 'L' : 'M'}${lx(n).toFixed(1)},${ly(Math.max(0, fits[f.key].intercept + fits[f.key].slope * n)).toFixed(1)}`).join(' ')}" stroke="#aaa" stroke-dasharray="4 3" fill="none"/>` : '';
    const ticks = [1, 10, 100, 1000].map((n) => `<text x="${lx(n)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="10">${n.toLocaleString('en')}</text>`).join('');
    const yt = [0, 0.5, 1].map((q) => `<text x="${pad.l - 6}" y="${ly(maxY * q) + 3}" text-anchor="end" font-size="10">${(maxY * q).toLocaleString('en', { maximumFractionDigits: f.key === 'cpuPct' ? 3 : 1 })}</text>`).join('');
    const dots = pts.map((p) => `<circle cx="${lx(p[0]).toFixed(1)}" cy="${ly(p[1]).toFixed(1)}" r="3" fill="#1f77b4"/>`).join('');
    return `<g transform="translate(${x0},${y0})"><rect width="${W}" height="${H}" fill="#fff" stroke="#ddd"/><text x="${pad.l}" y="16" font-size="12" font-weight="bold">${f.title} (${f.unit})</text><line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#999"/>${fitLine}<path d="${path}" stroke="#1f77b4" fill="none" stroke-width="2"/>${dots}${ticks}${yt}<text x="${(W + pad.l) / 2}" y="${H - 4}" text-anchor="middle" font-size="10">programs</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W + 20}" height="${2 * H + 20}" font-family="sans-serif">${panels.join('')}</svg>\n`;
}
