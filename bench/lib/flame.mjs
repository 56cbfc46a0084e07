// A flame graph (SVG) of a V8 .cpuprofile: each box a function on one call path, its width the share of the
// busy time spent in it and below it, callers beneath callees. Idle time is left out. Hover a box for its
// name, module and time. No dependency: the profile's node tree is already the call tree.
import { readFileSync } from 'node:fs';

const WIDTH = 1200;
const ROW = 16;
const MIN_PX = 0.5;

function esc(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** esbuild's "// src/x.ts" markers in the bundle: the source module of a bundle line. */
function moduleMarks(url) {
  const path = url.replace(/^file:\/\//, '');
  try {
    const marks = [];
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const m = l.match(/^\/\/ ((?:src|node_modules)\/\S+)$/);
        if (m) marks.push([i, m[1]]);
      });
    return marks;
  } catch {
    return [];
  }
}

function label(cf, marksOf) {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  if (cf.url.startsWith('node:')) return `${name} ${cf.url}`;
  let mod = null;
  for (const [at, m] of marksOf(cf.url)) {
    if (at > cf.lineNumber) break;
    mod = m;
  }
  return mod ? `${name} ${mod}` : `${name} ${cf.url.split('/').pop()}:${cf.lineNumber + 1}`;
}

/** Warm colours, stable per function name; procinit's own code in orange, Node's in yellow, native red. */
function colour(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const v = h % 40;
  if (text.includes(' src/')) return `rgb(${235 - (v >> 1)},${120 + v},40)`;
  if (text.includes(' node:')) return `rgb(${220 + (v >> 2)},${190 + v},70)`;
  return `rgb(${200 + v},${70 + v},60)`;
}

/** The SVG text of a flame graph of profileFile, titled. */
export function flameGraphSvg(profileFile, title) {
  const prof = JSON.parse(readFileSync(profileFile, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i + 1] ?? 0) / 1000);
  const cache = new Map();
  const marksOf = (url) => {
    if (!cache.has(url)) cache.set(url, moduleMarks(url));
    return cache.get(url);
  };

  // merge the profile's nodes into a tree keyed by label along each path, (idle) left out
  const root = { text: 'all', ms: 0, kids: new Map() };
  const walk = (node, into) => {
    for (const cid of node.children ?? []) {
      const child = byId.get(cid);
      if (child.callFrame.functionName === '(idle)') continue;
      const text = label(child.callFrame, marksOf);
      let t = into.kids.get(text);
      if (!t) into.kids.set(text, (t = { text, ms: 0, kids: new Map() }));
      t.ms += total(child);
      walk(child, t);
    }
  };
  const totals = new Map();
  const total = (node) => {
    if (totals.has(node.id)) return totals.get(node.id);
    let ms = self.get(node.id) ?? 0;
    for (const cid of node.children ?? []) if (byId.get(cid).callFrame.functionName !== '(idle)') ms += total(byId.get(cid));
    totals.set(node.id, ms);
    return ms;
  };
  const top = prof.nodes[0];
  walk(top, root);
  root.ms = [...root.kids.values()].reduce((a, k) => a + k.ms, 0);
  if (root.ms <= 0) return null;

  let depth = 0;
  const boxes = [];
  const place = (t, x, d) => {
    const w = (t.ms / root.ms) * WIDTH;
    if (w < MIN_PX) return;
    depth = Math.max(depth, d);
    boxes.push({ t, x, w, d });
    let cx = x;
    for (const k of [...t.kids.values()].sort((a, b) => a.text.localeCompare(b.text))) {
      place(k, cx, d + 1);
      cx += (k.ms / root.ms) * WIDTH;
    }
  };
  place(root, 0, 0);
  const height = (depth + 1) * ROW + 40;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdfdf6"/>`,
    `<text x="6" y="16" font-size="13">${esc(title)}: ${root.ms.toFixed(0)} ms on CPU (idle left out); width = time in a function and what it called</text>`,
  ];
  for (const { t, x, w, d } of boxes) {
    const y = height - (d + 1) * ROW - 4;
    const pct = ((100 * t.ms) / root.ms).toFixed(1);
    out.push(`<g><title>${esc(t.text)}: ${t.ms.toFixed(1)} ms, ${pct}%</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${d === 0 ? '#ccc' : colour(t.text)}" rx="1"/>`);
    const chars = Math.floor((w - 4) / 6.6);
    if (chars >= 3) out.push(`<text x="${(x + 2).toFixed(2)}" y="${y + ROW - 5}">${esc(t.text.length > chars ? `${t.text.slice(0, chars - 1)}…` : t.text)}</text>`);
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
