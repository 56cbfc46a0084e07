/**
 * How records look on the multiplexed output: `web.1 | text` padded, coloured per process on a TTY,
 * optional timestamps; or JSON lines for log shippers.
 */
import { splitBatch, type LineBatch } from './lines.js';
import { prefixLinesInto } from './prefix-lines.js';
import type { FdWriter } from './writer.js';
import type { OutputRecord, StreamName } from './record.js';

export type OutputFormat = 'text' | 'json';

export interface FormatOptions {
  format: OutputFormat;
  color: boolean;
  timestamps: boolean;
}

// The palette foreman and overmind users know: cyan, yellow, green, magenta, red, blue, bright variants.
const PALETTE = [36, 33, 32, 35, 31, 34, 96, 93, 92, 95, 91, 94];
const RESET = '\x1b[0m';
const NL = Buffer.from('\n');

/** Colour escape for the i-th process name. */
export function colorFor(index: number): string {
  return `\x1b[${PALETTE[index % PALETTE.length]}m`;
}

export function shouldColor(isTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY;
}

function clock(time: number): string {
  const d = new Date(time);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export class RecordFormatter {
  private width = 8;
  private readonly prefixes = new Map<string, Buffer>();
  private readonly colors = new Map<string, string>();
  /** Told when prefixes change (new names may widen the column): native/pump.c holds copies of them. */
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly opts: FormatOptions) {}

  /** The bytes put before each line of this process's stream, or null when lines are not plain prefixed text. */
  plainPrefix(name: string, stream: StreamName): Buffer | null {
    return this.opts.format === 'text' && !this.opts.timestamps ? this.prefix(name, stream) : null;
  }

  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /** Names to align (all process names plus "procinit"); keeps colours stable by first appearance. */
  setNames(names: string[]): void {
    this.width = names.reduce((w, n) => Math.max(w, n.length), this.width); // no spread: names may be 100,000s
    for (const n of names) if (!this.colors.has(n) && n !== 'procinit') this.colors.set(n, colorFor(this.colors.size));
    this.prefixes.clear();
    for (const fn of this.changeListeners) fn();
  }

  private prefix(name: string, stream: string): Buffer {
    const key = `${name}\0${stream}`;
    let p = this.prefixes.get(key);
    if (!p) {
      if (!this.colors.has(name) && name !== 'procinit') this.setNames([name]);
      const padded = name.padEnd(this.width);
      const text = this.opts.color
        ? `${name === 'procinit' ? '\x1b[1m' : this.colors.get(name)}${padded} |${RESET} `
        : `${padded} | `;
      p = Buffer.from(text);
      this.prefixes.set(key, p);
    }
    return p;
  }

  /** Write a batch of one process's lines: plain text straight into the writer's buffer, records otherwise. */
  writeBatch(writer: FdWriter, name: string, stream: StreamName, time: number, batch: LineBatch): void {
    if (this.opts.format === 'text' && !this.opts.timestamps) {
      const prefix = this.prefix(name, stream);
      writer.writeWith((buf, off) => prefixLinesInto(batch, prefix, buf, off));
      return;
    }
    const parts: Buffer[] = [];
    this.format(
      splitBatch(batch).map((line) => ({ name, stream, time, line })),
      parts,
    );
    writer.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }

  /** Append the formatted bytes of these records to parts. */
  format(records: readonly OutputRecord[], parts: Buffer[]): void {
    if (this.opts.format === 'json') {
      for (const r of records) {
        parts.push(
          Buffer.from(
            JSON.stringify({ time: new Date(r.time).toISOString(), name: r.name, stream: r.stream, line: r.line.toString('utf8') }) + '\n',
          ),
        );
      }
      return;
    }
    if (this.opts.timestamps) {
      for (const r of records) parts.push(Buffer.from(clock(r.time) + ' '), this.prefix(r.name, r.stream), r.line, NL);
      return;
    }
    // The common case, one batch of one stream: one allocation and one copy per line, no per-line objects.
    let total = 0;
    let prefix: Buffer | null = null;
    let last = '';
    for (const r of records) {
      const key = r.name + r.stream;
      if (key !== last) {
        prefix = this.prefix(r.name, r.stream);
        last = key;
      }
      total += prefix!.length + r.line.length + 1;
    }
    const out = Buffer.allocUnsafe(total);
    let off = 0;
    last = '';
    for (const r of records) {
      const key = r.name + r.stream;
      if (key !== last) {
        prefix = this.prefix(r.name, r.stream);
        last = key;
      }
      off += prefix!.copy(out, off);
      off += r.line.copy(out, off);
      out[off++] = 10;
    }
    parts.push(out);
  }
}
