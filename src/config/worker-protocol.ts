/**
 * What the config worker (worker-entry.ts) and the main thread (load-worker.ts) send each other.
 *
 * main -> worker: the load options and the files read so far (the main thread reads every config file,
 * on libuv's thread pool with its timeout: a hung file system never holds the worker or the loop).
 * worker -> main: files still to read and fs questions to answer (fs-answers.ts: the worker never calls fs
itself either), the load's error, or the run: V8-serialized in pieces (a skeleton
 * without programs, then programs a few hundred KB at a time, their buffers transferred, not copied), so
 * that the main thread can take them in short slices. A ProgramSpec's `instantiate` (a closure) does not
 * cross: load-worker.ts gives the programs one back.
 */
import { ConfigError, UsageError } from './errors.js';
import type { ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { decodeReadError, encodeReadError, HungFileError, type EncodedReadError } from './text-file.js';

/** node:v8's serialize, required on first use: the main thread imports this file at start-up (through
 * load-worker.ts) and serializes nothing there. */
function serialize(value: unknown): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:v8') as typeof import('node:v8')).serialize(value);
}

/** Files read (kept by the worker, no answer), or a load to run with every file sent so far (answered). */
export type ToWorker =
  | { kind: 'files'; files: PackedFiles }
  | {
      kind: 'load';
      opts: LoadOptions;
      /** Answers to fs questions (fs-answers.ts) fetched since the last load, [key, answer]: plain data. */
      answers: Array<[string, unknown]>;
      /** The AUTO log names this procinit has drawn (auto-log-name.ts), as JSON: a reload names the same files. */
      autoLogNames: string;
    };

/** Files as one transferable buffer: each file's bytes at [at, at + length), or its read error. */
export interface PackedFiles {
  names: string[];
  got: Array<{ at: number; length: number } | EncodedReadError>;
  bytes: ArrayBuffer;
}

/** Pack files read (one copy of their bytes into one buffer, handed over without another). */
export function packFiles(files: ReadonlyArray<[string, Buffer | Error]>): PackedFiles {
  let total = 0;
  for (const [, got] of files) if (!(got instanceof Error)) total += got.length;
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  const got: PackedFiles['got'] = [];
  let at = 0;
  for (const [, g] of files) {
    if (g instanceof Error) {
      got.push(encodeReadError(g));
      continue;
    }
    view.set(g, at);
    got.push({ at, length: g.length });
    at += g.length;
  }
  return { names: files.map(([name]) => name), got, bytes };
}

export function unpackFiles(p: PackedFiles): Array<[string, Buffer | Error]> {
  return p.names.map((name, i) => {
    const g = p.got[i];
    return [name, 'at' in g ? Buffer.from(p.bytes, g.at, g.length) : decodeReadError(g)];
  });
}

export type EncodedError =
  | { kind: 'config'; file: string; line: number | null; detail: string; hung: boolean }
  | { kind: 'usage'; message: string }
  | { kind: 'internal'; message: string; stack: string | null };

/** The load's outcome: files still to read, its error, or the run. */
export type Outcome =
  | { kind: 'need'; files: string[] }
  | { kind: 'error'; error: EncodedError }
  | { kind: 'run' } & PackedRun;

/** A run: a skeleton without its long lists, then each list in pieces (the buffers are transferred). */
export interface PackedRun {
  skeleton: ArrayBuffer;
  programs: ArrayBuffer[];
  /** run.notes (one per included file) and run.warnings; null when the run has no notes. */
  notes: ArrayBuffer[] | null;
  warnings: ArrayBuffer[];
}

export type FromWorker = Outcome & {
  /** The fs questions this pass met without an answer, with the guesses it went on with (fs-answers.ts). */
  guesses: Array<[string, unknown]>;
  /** The AUTO log names the worker drew for this message: [key, path] pairs, V8-serialized in pieces. */
  autoLogNames: ArrayBuffer[];
};

export function encodeError(err: unknown): EncodedError {
  if (err instanceof ConfigError) return { kind: 'config', file: err.file, line: err.line, detail: err.detail, hung: err instanceof HungFileError };
  if (err instanceof UsageError) return { kind: 'usage', message: err.message };
  const e = err as Error;
  return { kind: 'internal', message: e?.message ?? String(err), stack: e?.stack ?? null };
}

/** The error as the load on the main thread would have thrown it (same class, same message). */
export function decodeError(e: EncodedError): Error {
  if (e.kind === 'config') return e.hung ? new HungFileError(e.file, e.line, e.detail) : new ConfigError(e.file, e.line, e.detail);
  if (e.kind === 'usage') return new UsageError(e.message);
  const err = new Error(e.message);
  if (e.stack) err.stack = `${e.stack}\n    (in the config worker thread)`;
  return err;
}

/** About this many bytes of serialized programs per piece: the main thread deserializes one per slice. */
const PIECE_BYTES = 96 * 1024;

/** The programs without their closures. */
export type PlainProgram = Omit<ProgramSpec, 'instantiate'>;

function plain(p: ProgramSpec): PlainProgram {
  const { instantiate: _instantiate, ...rest } = p;
  return rest;
}

/** An ArrayBuffer holding exactly these bytes (transferable). */
function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** A list V8-serialized in pieces of about PIECE_BYTES (each piece an array). */
export function inPieces<T, U>(list: readonly T[], map: (item: T) => U): ArrayBuffer[] {
  const pieces: ArrayBuffer[] = [];
  let per = 16;
  for (let i = 0; i < list.length; ) {
    const part = list.slice(i, i + per).map(map);
    const bytes = serialize(part);
    pieces.push(ownBuffer(bytes));
    i += part.length;
    // aim the next piece at PIECE_BYTES from what this one weighed per item
    per = Math.max(1, Math.min(4096, Math.round((PIECE_BYTES * part.length) / Math.max(1, bytes.byteLength))));
  }
  return pieces;
}

/** The run packed (PackedRun). */
export function packRun(run: RunSpec): PackedRun {
  const { programs: _programs, notes, warnings: _warnings, ...rest } = run;
  return {
    skeleton: ownBuffer(serialize({ ...rest, programs: [], warnings: [], ...(notes ? { notes: [] } : {}) })),
    programs: inPieces(run.programs, plain),
    notes: run.notes ? inPieces(run.notes, (n) => n) : null,
    warnings: inPieces(run.warnings, (w) => w),
  };
}

/** Every buffer of a packed run, to transfer. */
export function buffersOf(p: PackedRun): ArrayBuffer[] {
  return [p.skeleton, ...p.programs, ...(p.notes ?? []), ...p.warnings];
}
