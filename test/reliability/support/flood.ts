/**
 * Floods: programs that write many lines of every kind, and a streaming check of procinit's multiplexed
 * output against what each program says it wrote (line count + SHA-256 over its lines, in order).
 *
 * The writer (flood-writer.js NAME LINES SUMFILE [nofinalnewline]) writes deterministic lines: ordinary text
 * of varying length, empty lines, lines of random bytes (anything but LF: NUL, CR, ESC, invalid UTF-8),
 * and very long lines (100-300 KB, never a multiple of procinit's 64 KiB part size). It writes in 64 KiB
 * batches, blocking when the pipe is full, keeps a progress counter in SUMFILE.progress, and at the end
 * writes {"lines","bytes","sha256"} to SUMFILE. With nofinalnewline its last line has no newline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCINIT_JS, testEnv } from '../../helpers/procinit.js';

export const FLOOD_WRITER_JS = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const [name, linesArg, sumFile, mode] = process.argv.slice(2);
const total = Number(linesArg);
const noFinalNewline = mode === 'nofinalnewline';
const LONG_EVERY = Math.max(1, Math.floor(total / 8) + 7); // a few very long lines per program
const hash = crypto.createHash('sha256');
const filler = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_=+.,;:!?'.repeat(3);
let seed = 0;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function line(i) {
  if (i % 5003 === 4) return Buffer.alloc(0);
  if (i % LONG_EVERY === LONG_EVERY - 1) {
    let len = 100000 + Math.floor(rand() * 200000);
    if (len % 65536 === 0) len++;
    return Buffer.alloc(len, name + ' long ' + i + ' ');
  }
  if (i % 997 === 3) {
    const b = Buffer.alloc(1 + Math.floor(rand() * 200));
    for (let k = 0; k < b.length; k++) { const v = Math.floor(rand() * 256); b[k] = v === 10 ? 11 : v; }
    return b;
  }
  return Buffer.from(name + ' ' + i + ' ' + filler.slice(0, 10 + (i * 7) % 150));
}
const NL = Buffer.from('\\n');
let batch = [];
let batchBytes = 0;
let bytes = 0;
function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}
function flush() {
  if (batch.length === 0) return;
  const buf = Buffer.concat(batch);
  batch = []; batchBytes = 0;
  writeAll(buf);
  bytes += buf.length;
}
for (let i = 0; i < total; i++) {
  const l = line(i);
  hash.update(l); hash.update(NL);
  batch.push(l);
  batchBytes += l.length + 1;
  if (!(noFinalNewline && i === total - 1)) batch.push(NL);
  if (batchBytes >= 65536) flush();
  if (i % 5000 === 0) fs.writeFileSync(sumFile + '.progress', String(i));
}
flush();
fs.writeFileSync(sumFile + '.progress', String(total));
fs.writeFileSync(sumFile, JSON.stringify({ lines: total, bytes, sha256: hash.digest('hex') }));
`;

export interface WrittenSum {
  lines: number;
  bytes: number;
  sha256: string;
}

export function readSum(file: string): WrittenSum {
  return JSON.parse(readFileSync(file, 'utf8')) as WrittenSum;
}

/** Lines written so far by a flood writer (its progress file), 0 before the first. */
export function progress(sumFile: string): number {
  try {
    return Number(readFileSync(sumFile + '.progress', 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/** procinit's part size for long lines (src/output/lines.ts DEFAULT_MAX_LINE). */
const PART = 64 * 1024;

interface Received {
  lines: number;
  bytes: number;
  hash: Hash;
  pending: Buffer[];
}

/**
 * Reads procinit's text output (`name | line`, names padded to `width`) as it streams, reassembling long
 * lines from their 64 KiB parts, and hashes each program's lines as its writer did.
 */
export class OutputChecker {
  private readonly programs = new Map<string, Received>();
  private carry: Buffer | null = null;
  totalBytes = 0;
  ownLines: string[] = [];
  private readonly prefixLen: number;

  constructor(
    names: string[],
    private readonly width = 8,
  ) {
    this.prefixLen = width + 3;
    for (const n of names) this.programs.set(n, { lines: 0, bytes: 0, hash: createHash('sha256'), pending: [] });
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      this.line(data.subarray(start, nl));
      start = nl + 1;
    }
    this.carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
  }

  private line(l: Buffer): void {
    const name = l.subarray(0, this.width).toString('latin1').trimEnd();
    const p = this.programs.get(name);
    const body = l.subarray(this.prefixLen);
    if (!p) {
      this.ownLines.push(l.toString('utf8'));
      return;
    }
    if (body.length === PART) {
      p.pending.push(Buffer.from(body));
      return;
    }
    let whole = body;
    if (p.pending.length > 0) {
      whole = Buffer.concat([...p.pending, body]);
      p.pending = [];
    }
    p.lines++;
    p.bytes += whole.length;
    p.hash.update(whole);
    p.hash.update('\n');
  }

  /** Per program: { lines, sha256 } of what arrived (call once, at the end). */
  result(): Map<string, { lines: number; sha256: string; unfinishedParts: number }> {
    const out = new Map<string, { lines: number; sha256: string; unfinishedParts: number }>();
    for (const [n, p] of this.programs) out.set(n, { lines: p.lines, sha256: p.hash.digest('hex'), unfinishedParts: p.pending.length });
    return out;
  }

  /** Lines received so far for a program. */
  count(name: string): number {
    return this.programs.get(name)?.lines ?? 0;
  }
}

export interface FloodRun {
  child: ChildProcess;
  checker: OutputChecker;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Start `node dist/procinit.js ARGS` in dir with its stdout streamed into an OutputChecker. */
export function startFlood(dir: string, args: string[], names: string[], env: Record<string, string | undefined> = {}): FloodRun {
  const child = spawn(process.execPath, [PROCINIT_JS, ...args], { cwd: dir, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const checker = new OutputChecker(names);
  child.stdout!.on('data', (c: Buffer) => checker.push(c));
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, checker, exited, stderr: () => err };
}

/** A Procfile of flood writers: `name: node flood-writer.js name LINES name.sum [nofinalnewline]`. */
export function floodProcfile(dir: string, names: string[], lines: number, noFinalNewline: (i: number) => boolean): string {
  const writer = join(dir, 'flood-writer.js');
  writeFileSync(writer, FLOOD_WRITER_JS);
  return names
    .map((n, i) => `${n}: exec ${process.execPath} ${writer} ${n} ${lines} ${join(dir, `${n}.sum`)}${noFinalNewline(i) ? ' nofinalnewline' : ''}\n`)
    .join('');
}
