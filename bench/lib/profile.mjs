// Read V8 .cpuprofile files (node --cpu-prof) and say where the time went: functions by self time and by
// total (inclusive) time, with the file and line they are defined at.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

// esbuild marks where each source file starts in a bundle with a line "// src/output/hub.ts": map a bundle
// line back to its source file.
const modules = new Map();
function moduleAt(url, line) {
  if (!url.startsWith('file://') && !url.startsWith('/')) return null;
  const path = url.replace(/^file:\/\//, '');
  let marks = modules.get(path);
  if (marks === undefined) {
    marks = [];
    try {
      const lines = readFileSync(path, 'utf8').split('\n');
      lines.forEach((l, i) => {
        const m = l.match(/^\/\/ ((?:src|node_modules)\/\S+)$/);
        if (m) marks.push([i, m[1]]);
      });
    } catch {
      /* gone */
    }
    modules.set(path, marks);
  }
  let found = null;
  for (const [at, name] of marks) {
    if (at > line) break;
    found = name;
  }
  return found;
}

function key(cf) {
  const name = cf.functionName || '(anonymous)';
  if (PSEUDO.has(name)) return name;
  if (!cf.url) return `${name} (native)`;
  const mod = moduleAt(cf.url, cf.lineNumber);
  return `${name} ${mod ? `${mod}, ` : ''}${basename(cf.url.replace(/^file:\/\//, ''))}:${cf.lineNumber + 1}`;
}

export function summarizeProfile(file, top = 12) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const total = new Map();
  let all = 0;
  let idle = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000; // ms
    const node = byId.get(prof.samples[i]);
    if (!node) continue;
    const k = key(node.callFrame);
    if (k === '(idle)') {
      idle += dt;
      continue;
    }
    all += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      // total time: the program's own functions only (node's module loader and stream internals wrap everything)
      if (!cf.url || cf.url.startsWith('node:') || !cf.url.includes('/')) continue;
      const kk = key(cf);
      if (PSEUDO.has(kk) || seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const sorted = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, pct: all ? (100 * ms) / all : 0 }));
  return { file, busyMs: all, idleMs: idle, self: sorted(self), total: sorted(total) };
}

/** The largest profile in dir (the supervisor's, when several node processes wrote one). */
export function biggestProfile(dir) {
  let best = null;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue;
    const p = join(dir, f);
    const s = statSync(p).size;
    if (!best || s > best.size) best = { path: p, size: s };
  }
  return best?.path ?? null;
}
