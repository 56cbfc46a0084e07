// Medians with min-max, and the one result table every scenario fills.

export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summary(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** Rotate a list by k: each repetition starts with another tool (alternation). */
export function rotate(list, k) {
  if (list.length === 0) return list;
  const r = ((k % list.length) + list.length) % list.length;
  return [...list.slice(r), ...list.slice(0, r)];
}

/**
 * A metric: rows keyed by tool id, each { label, kind: 'procinit'|'peer'|'floor', samples: [], na, notes: Set }.
 * better: 'lower' | 'higher'.
 */
export class Metric {
  constructor(id, { title, chartTitle, unit, better, digits = 1, scenario }) {
    Object.assign(this, { id, title, chartTitle: chartTitle ?? title, unit, better, digits, scenario });
    this.rows = new Map();
  }

  row(toolId, label, kind) {
    let r = this.rows.get(toolId);
    if (!r) {
      r = { id: toolId, label, kind, samples: [], na: null, notes: new Set(), extra: {} };
      this.rows.set(toolId, r);
    }
    return r;
  }

  add(toolId, label, kind, value) {
    this.row(toolId, label, kind).samples.push(value);
  }

  na(toolId, label, kind, reason) {
    const r = this.row(toolId, label, kind);
    if (r.samples.length === 0) r.na = reason;
  }

  /** A note; "rep N: text" notes with the same text are merged ("reps 1, 3: text"). */
  note(toolId, label, kind, text) {
    const row = this.row(toolId, label, kind);
    const m = text.match(/^rep (\d+): ([\s\S]*)$/);
    row.repNotes ??= new Map();
    if (!m) row.notes.add(text);
    else {
      if (!row.repNotes.has(m[2])) row.repNotes.set(m[2], []);
      row.repNotes.get(m[2]).push(Number(m[1]));
    }
  }

  /** Every note of a row, rep notes merged. */
  notesOf(row) {
    const out = [...row.notes];
    for (const [text, reps] of row.repNotes ?? []) out.push(`${reps.length > 1 ? 'reps' : 'rep'} ${reps.join(', ')}: ${text}`);
    return out;
  }

  stat(toolId) {
    const r = this.rows.get(toolId);
    return r && r.samples.length ? summary(r.samples) : null;
  }

  toJSON() {
    return {
      id: this.id,
      title: this.title,
      unit: this.unit,
      better: this.better,
      rows: [...this.rows.values()].map((r) => ({ ...r, notes: this.notesOf(r), repNotes: undefined, summary: summary(r.samples) })),
    };
  }
}
