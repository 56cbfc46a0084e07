// An SVG chart without a chart library: per scenario, each tool's cost relative to procinit on a log
// scale (right of the 1× line: costs more than procinit; left: less). For "higher is better" metrics the
// ratio is inverted so that every bar reads the same way. Whiskers show min–max.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COLORS = { procinit: '#e8871e', variant: '#f2b56b', peer: '#4c78a8', floor: '#b0b0b0' };

export function renderChart(metrics, chartIds) {
  const groups = [];
  for (const id of chartIds) {
    const m = metrics.get(id);
    const ref = m?.stat('procinit');
    if (!m || !ref) continue;
    const bars = [];
    for (const row of m.rows.values()) {
      const s = m.stat(row.id);
      if (!s || row.id === 'procinit') continue;
      const cost = (v) => (m.better === 'higher' ? ref.median / v : v / ref.median);
      const lo = cost(m.better === 'higher' ? s.max : s.min);
      const hi = cost(m.better === 'higher' ? s.min : s.max);
      if (![cost(s.median), lo, hi].every((x) => Number.isFinite(x) && x > 0)) continue;
      bars.push({ label: row.label, kind: row.kind, r: cost(s.median), lo, hi, median: s.median });
    }
    groups.push({ title: m.chartTitle, unit: m.unit, better: m.better, ref: ref.median, digits: m.digits, bars });
  }
  const all = groups.flatMap((g) => g.bars.flatMap((b) => [b.lo, b.hi, b.r]));
  const minR = Math.max(1e-3, Math.min(0.5, ...all));
  const maxR = Math.min(1e4, Math.max(2, ...all));
  const lmin = Math.floor(Math.log10(minR));
  const lmax = Math.ceil(Math.log10(maxR));
  const W = 1020;
  const left = 250;
  const right = 190;
  const plotW = W - left - right;
  const x = (r) => left + ((Math.log10(Math.min(Math.max(r, 10 ** lmin), 10 ** lmax)) - lmin) / (lmax - lmin)) * plotW;
  const rowH = 20;
  const headH = 26;
  let y = 40;
  const parts = [];
  for (const g of groups) {
    const fmt = (v) => v.toLocaleString('en', { minimumFractionDigits: g.digits, maximumFractionDigits: g.digits });
    parts.push(`<text x="10" y="${y + 16}" font-weight="bold">${esc(g.title)}</text>`);
    parts.push(`<text x="${W - 10}" y="${y + 16}" text-anchor="end" fill="#555">procinit: ${esc(fmt(g.ref))} ${esc(g.unit)} (${g.better} is better)</text>`);
    y += headH;
    for (const b of g.bars) {
      const x1 = x(1);
      const x2 = x(b.r);
      parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${Math.min(x1, x2).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="${rowH - 6}" fill="${COLORS[b.kind] ?? COLORS.peer}"/>`);
      parts.push(`<line x1="${x(b.lo).toFixed(1)}" x2="${x(b.hi).toFixed(1)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#222" stroke-width="1"/>`);
      const ratio = b.r >= 10 ? b.r.toFixed(0) : b.r >= 1 ? b.r.toFixed(1) : b.r.toFixed(2);
      parts.push(`<text x="${W - right + 8}" y="${y + 14}">${ratio}× · ${esc(fmt(b.median))} ${esc(g.unit)}</text>`);
      y += rowH;
    }
    y += 10;
  }
  const axis = [];
  for (let e = lmin; e <= lmax; e++) {
    const xx = x(10 ** e);
    axis.push(`<line x1="${xx}" x2="${xx}" y1="34" y2="${y}" stroke="${e === 0 ? '#e8871e' : '#ddd'}" stroke-width="${e === 0 ? 2 : 1}"/>`);
    axis.push(`<text x="${xx}" y="28" text-anchor="middle" fill="#555">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}×</text>`);
  }
  const H = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">Cost relative to procinit (log scale; right of the orange 1× line = costs more than procinit)</text>`,
    ...axis,
    ...parts,
    `<text x="10" y="${H - 10}" fill="#555">Bars: median over repetitions; whiskers: min–max. “Higher is better” metrics are inverted (procinit ÷ tool). Grey: floors.</text>`,
    '</svg>',
    '',
  ].join('\n');
}
