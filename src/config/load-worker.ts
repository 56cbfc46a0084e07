/**
 * reload's load off the main thread: the config is parsed in a worker thread (worker-entry.ts), started for
 * one load and ended after it (never at procinit's start), while the main thread reads the files on libuv's
 * thread pool with their timeout (as loadRunSliced does) and then takes the parsed run back in slices of
 * about sliceMs. A reload of 5,000 included files held the loop for up to 25-35 ms at a time when the
 * parsing ran in slices on the main thread, and its garbage was the main thread's to collect.
 *
 * Same result and same errors as loadRun. A ProgramSpec's `instantiate` (a closure over its parser) cannot
 * cross threads: the programs get one that parses the same bytes again on this thread the first time it is
 * needed (procinit scale, a reload keeping a scaled count); prepareInstantiate does that in slices ahead.
 * Where no worker can be had (no worker code beside the bundle, a worker that fails to start), the load
 * runs on this thread in slices (loadRunSliced).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { drawnAutoLogNames, keepAutoLogNames } from './auto-log-name.js';
import { loadRunSliced, loadRunSteps, readAhead } from './load.js';
import type { ProcessSpec, ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { drain, drainSliced, SLICE_MS, slicer } from './steps.js';
import { newReadAhead, READ_TIMEOUT_MS, withReadAhead } from './text-file.js';
import { fetchAnswers, guessesHeld } from './fs-answers.js';
import { decodeError, packFiles, type FromWorker, type ToWorker } from './worker-protocol.js';

/**
 * node:worker_threads and node:v8, required by the first reload: src/control/service.ts imports this file for
 * every run, and at start-up these two loaded 36 of Node's modules and bindings (the streams among them)
 * before the first program was spawned (about 2-3 ms).
 */
function workerThreads(): typeof import('node:worker_threads') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:worker_threads') as typeof import('node:worker_threads');
}

function deserialize(buf: Buffer): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:v8') as typeof import('node:v8')).deserialize(buf);
}

/** How the worker's code is found: the single executable's asset, beside the bundle, or dist/ from src/. */
function workerCode(): { source: string } | { file: string } | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as { isSea(): boolean; getAsset(key: string, encoding: string): string };
    if (sea.isSea()) return { source: sea.getAsset('config-worker.cjs', 'utf8') };
  } catch {
    /* not a single executable (or a node without node:sea) */
  }
  const dir = typeof __dirname !== 'undefined' ? __dirname : dirname(process.argv[1] ?? process.cwd());
  for (const file of [join(dir, 'config-worker.js'), join(dir, '../../dist/config-worker.js')]) if (existsSync(file)) return { file };
  return null;
}

/** Tests: force the main-thread path (false) or the worker (true, failing when it cannot start). */
let forced: boolean | null = null;
export function useConfigWorker(on: boolean | null): void {
  forced = on;
}

/** The worker did not answer: it could not start or it died (then the load runs on the main thread). */
class WorkerGone extends Error {}

/** A worker running worker-entry.ts, or why there is none. */
function startWorker(): Worker | string {
  if (forced === false) return 'turned off';
  const code = workerCode();
  if (code === null) {
    if (forced) throw new Error('no config worker code found (npm run build:js makes dist/config-worker.js)');
    return 'its code (config-worker.js) is not beside procinit';
  }
  const options = { name: 'procinit config reader', stdout: false, stderr: false };
  try {
    const { Worker } = workerThreads();
    const worker = 'source' in code ? new Worker(code.source, { ...options, eval: true }) : new Worker(code.file, options);
    // an exit or error before anything listens (between two loads) is remembered for ask()
    worker.on('error', (err) => gone.set(worker, `config worker failed: ${err.message}`));
    worker.on('exit', (c) => gone.set(worker, gone.get(worker) ?? `config worker exited (${c})`));
    return worker;
  } catch (err) {
    if (forced) throw err;
    return (err as Error).message;
  }
}

export interface OffThreadOptions {
  /** Work on the event loop per slice, ms. */
  sliceMs?: number;
  /** How long one config file's read may take (a hung mount), ms. */
  readTimeoutMs?: number;
  /** Told why, when the load runs on the main thread because no worker could be had. */
  fallback?: (why: string) => void;
}

/** Workers that failed or exited, and why. */
const gone = new WeakMap<Worker, string>();

/** Ask for a load, wait for the answer. */
function ask(worker: Worker, msg: Extract<ToWorker, { kind: 'load' }>): Promise<FromWorker> {
  return new Promise<FromWorker>((resolve, reject) => {
    const why = gone.get(worker);
    if (why !== undefined) {
      reject(new WorkerGone(why));
      return;
    }
    const done = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: FromWorker): void => {
      done();
      resolve(m);
    };
    const onError = (err: Error): void => {
      done();
      reject(new WorkerGone(`config worker failed: ${err.message}`));
    };
    const onExit = (code: number): void => {
      done();
      reject(new WorkerGone(`config worker exited (${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(msg);
  });
}

/** Files read, sent a few hundred at a time (copying and cloning 5,000 at once held the loop for 5-10 ms). */
async function sendFiles(worker: Worker, names: readonly string[], files: Map<string, Buffer | Error>, sliceMs: number): Promise<void> {
  const slice = slicer(sliceMs);
  const PIECE = 500;
  for (let i = 0; i < names.length; i += PIECE) {
    const packed = packFiles(names.slice(i, i + PIECE).map((f) => [f, files.get(f) as Buffer | Error]));
    worker.postMessage({ kind: 'files', files: packed } satisfies ToWorker, [packed.bytes]);
    await slice();
  }
}

/**
 * loadRun in a worker thread: the same run and the same errors, the event loop held for about sliceMs at
 * most at a time (files are read here, on the thread pool, each given up after readTimeoutMs).
 */
export async function loadRunOffThread(opts: LoadOptions, o: OffThreadOptions = {}): Promise<RunSpec> {
  const sliceMs = o.sliceMs ?? SLICE_MS;
  const readTimeoutMs = o.readTimeoutMs ?? READ_TIMEOUT_MS;
  const worker = startWorker();
  if (typeof worker === 'string') {
    if (forced !== false) o.fallback?.(worker);
    return loadRunSliced(opts, sliceMs, readTimeoutMs);
  }
  const files = new Map<string, Buffer | Error>();
  const answers = new Map<string, unknown>();
  // the options as data: process.env is an exotic object
  const plainOpts: LoadOptions = { ...opts, env: { ...opts.env } };
  try {
    let fresh: string[] = [];
    let freshAnswers: string[] = [];
    for (let attempt = 0; ; attempt++) {
      await sendFiles(worker, fresh, files, sliceMs);
      const answer = await ask(worker, {
        kind: 'load',
        opts: plainOpts,
        answers: freshAnswers.map((k) => [k, answers.get(k)]),
        // the worker keeps them from its first load on
        autoLogNames: attempt === 0 ? JSON.stringify(drawnAutoLogNames()) : '[]',
      });
      await keepPieces(answer.autoLogNames, sliceMs);
      // the worker went on with guesses where it met fs questions without answers (fs-answers.ts): its
      // outcome stands only if every guess was right
      const guesses = new Map(answer.guesses);
      fresh = answer.kind === 'need' ? answer.files.filter((f) => !files.has(f)) : [];
      freshAnswers = [...guesses.keys()].filter((k) => !answers.has(k));
      if (fresh.length > 0 || freshAnswers.length > 0) {
        if (attempt > 10_000) throw new Error('config worker: the files to read never settle');
        await Promise.all([readAhead(fresh, files, readTimeoutMs), fetchAnswers(freshAnswers, answers, readTimeoutMs)]);
        if (answer.kind === 'need' || !guessesHeld(guesses, answers)) continue;
      }
      if (answer.kind === 'error') throw decodeError(answer.error);
      if (answer.kind === 'run') return await receive(answer, new Instantiator(plainOpts, newReadAhead(files, answers)), sliceMs);
      if (attempt > 10_000) throw new Error('config worker: the files to read never settle');
    }
  } catch (err) {
    if (!(err instanceof WorkerGone) || forced) throw err;
    o.fallback?.(err.message);
    return loadRunSliced(opts, sliceMs, readTimeoutMs);
  } finally {
    void worker.terminate();
  }
}

/** The AUTO log names the worker drew, kept here, a piece at a time. */
async function keepPieces(pieces: ArrayBuffer[], sliceMs: number): Promise<void> {
  const slice = slicer(sliceMs);
  for (const piece of pieces) {
    keepAutoLogNames(deserialize(Buffer.from(piece)) as Array<[string, string]>);
    await slice();
  }
}

/** The run from its pieces, a few pieces per slice (each about 100 KB of V8 serialization). */
async function receive(msg: Extract<FromWorker, { kind: 'run' }>, instantiator: Instantiator, sliceMs: number): Promise<RunSpec> {
  const slice = slicer(sliceMs);
  const run = deserialize(Buffer.from(msg.skeleton)) as RunSpec;
  const into = async <T>(list: T[], pieces: ArrayBuffer[], each: (item: T) => void = () => {}): Promise<void> => {
    for (const piece of pieces) {
      for (const item of deserialize(Buffer.from(piece)) as T[]) {
        each(item);
        list.push(item);
      }
      await slice();
    }
  };
  await into(run.programs, msg.programs, (program) => {
    program.instantiate = (n) => instantiator.instantiate(program.name, n);
    instantiators.set(program, instantiator);
  });
  if (run.notes && msg.notes) await into(run.notes, msg.notes);
  await into(run.warnings, msg.warnings);
  return run;
}

const instantiators = new WeakMap<ProgramSpec, Instantiator>();

/**
 * `instantiate` for the programs of a load made in the worker: the same load run again on this thread from
 * the same bytes (the files read then, the same options), once, the first time an instance is asked for.
 */
class Instantiator {
  private made: Map<string, ProgramSpec> | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly opts: LoadOptions,
    private readonly files: ReturnType<typeof newReadAhead>,
  ) {}

  instantiate(program: string, n: number): ProcessSpec {
    if (this.made === null && this.failure === null) {
      try {
        this.keep(withReadAhead(this.files, () => drain(loadRunSteps(this.opts))));
      } catch (err) {
        this.failure = err as Error;
      }
    }
    return this.of(program)(n);
  }

  /** The same, in slices of the event loop. */
  async prepare(sliceMs: number): Promise<void> {
    if (this.made !== null || this.failure !== null) return;
    try {
      this.keep(await drainSliced(loadRunSteps(this.opts), sliceMs, (step) => withReadAhead(this.files, step)));
    } catch (err) {
      this.failure = err as Error;
    }
  }

  private keep(run: RunSpec): void {
    this.made = new Map();
    for (const p of run.programs) if (!this.made.has(p.name)) this.made.set(p.name, p); // the first, as Supervisor.program
  }

  private of(program: string): (n: number) => ProcessSpec {
    const made = this.made?.get(program);
    if (made) return (n) => made.instantiate(n);
    const why = this.failure ? this.failure.message : `${program} is not in it`;
    throw new Error(`cannot make another instance of ${program}: the config as it was read could not be read again (${why})`);
  }
}

/** Make instantiate ready for these programs, in slices (before procinit scale, before a reload keeps scaled counts). */
export async function prepareInstantiate(programs: Iterable<ProgramSpec | undefined>, sliceMs = SLICE_MS): Promise<void> {
  const todo = new Set<Instantiator>();
  for (const p of programs) {
    const i = p && instantiators.get(p);
    if (i) todo.add(i);
  }
  for (const i of todo) await i.prepare(sliceMs);
}
