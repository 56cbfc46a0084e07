/**
 * Where every process's output goes: bytes -> line chunker per stream -> batches of whole lines -> sinks:
 * the multiplexed stdout (or stderr), the per-process ring buffer, log files, and followers (`logs -f`).
 * Back-pressure: when the stdout writer is congested, every attached source is paused until it drains.
 */
import type { LogTarget } from '../config/model.js';
import { DEFAULT_MAX_LINE, LineChunker, splitBatch, type LineBatch } from './lines.js';
import { holdSmallPipes, outputPump, PumpMode, type PumpedPipe } from './pump.js';
import { RecordFormatter } from './format.js';
import { ByteRing, RecordRing } from './ring.js';
import { RotatingLogFile } from './logfile.js';
import type { FdWriter } from './writer.js';
import { readPipe, type OutputPipe, type PipeSource, type Source } from './pipe.js';
import { RawSink } from './raw-sink.js';
import { stripEscapes } from './strip-ansi.js';
import type { OutputRecord, StreamName } from './record.js';

const NL = Buffer.from('\n');

export type Follower = (records: readonly OutputRecord[]) => void;

/** A program's bytes as read, for the main log (supervisord's `loglevel=debug` echo). */
export type OutputEcho = (name: string, stream: StreamName, chunk: Buffer) => void;

export interface HubOptions {
  /**
   * Output for /dev/stdout and /dev/stderr passes through raw, byte for byte (supervisord configs, unless
   * prefixing is asked for); otherwise every line is prefixed with its process's name (Procfile mode).
   */
  raw?: boolean;
  /** Called with every chunk every program writes (supervisord's loglevel=debug echo into the main log). */
  echo?: OutputEcho | null;
  /** `[supervisord] strip_ansi`: ANSI escapes are removed from programs' output before every sink. */
  stripAnsi?: boolean;
}

/** Where the hub reports faults of its sinks (a log file that cannot be written): procinit's log. */
export type FaultReporter = (level: 'warn' | 'info', message: string) => void;

/** Counters of log file faults, for status and tests. */
export interface LogFileFaults {
  /** Outages of a log file (each reported once). */
  faults: number;
  /** Lines sent to procinit's stdout because their log file could not take them. */
  linesToStdout: number;
}

interface ProcessOutput {
  ring: RecordRing;
  screen: ByteRing;
  files: Map<string, RotatingLogFile>;
}

export class OutputHub {
  private readonly processes = new Map<string, ProcessOutput>();
  private readonly followers = new Set<{ names: Set<string> | null; fn: Follower }>();
  private readonly sources = new Set<Source>();
  /** Pipes not at end-of-file yet, and who waits for them all to get there. */
  private openPipes = 0;
  private pipeWaiters: Array<() => void> = [];
  private readonly rawListeners = new Map<string, Set<(chunk: Buffer) => void>>();
  /** The raw sinks for /dev/stdout and /dev/stderr, or null when lines are prefixed. */
  private readonly rawSinks: { stdout: RawSink; stderr: RawSink } | null;
  private echo: OutputEcho | null;
  private report: FaultReporter = () => {};
  private readonly fileFaults: LogFileFaults = { faults: 0, linesToStdout: 0 };
  private stripAnsi: boolean;
  /** Pipes whose lines the pump prefixes: told when the formatter's prefixes change. */
  private readonly prefixed = new Set<{ name: string; stream: StreamName; pipe: PumpedPipe }>();

  constructor(
    private readonly stdout: FdWriter,
    private readonly stdoutFormat: RecordFormatter,
    private readonly stderr: FdWriter | null = null,
    options: HubOptions = {},
  ) {
    this.rawSinks = options.raw ? { stdout: new RawSink(stdout), stderr: new RawSink(stderr ?? stdout) } : null;
    this.echo = options.echo ?? null;
    this.stripAnsi = options.stripAnsi ?? false;
    stdoutFormat.onChange(() => {
      for (const p of this.prefixed) {
        const prefix = this.stdoutFormat.plainPrefix(p.name, p.stream);
        if (prefix) p.pipe.setPrefix(prefix);
      }
    });
    // the programs wait while either writer is behind (raw /dev/stderr output goes through the second one)
    const writers = stderr && stderr !== stdout ? [stdout, stderr] : [stdout];
    for (const w of writers) {
      w.on('congested', () => this.sources.forEach((s) => s.pause()));
      w.on('drain', () => !this.congested && this.sources.forEach((s) => s.resume()));
    }
  }

  /**
   * supervisord's restart re-reads loglevel and strip_ansi: the debug echo and the stripping follow. (The
   * pump writes a pipe's stdout bytes unstripped when strip_ansi was off as the pipe was attached: a restart
   * starts every program again, so every pipe is attached anew.)
   */
  reconfigure(opts: Pick<HubOptions, 'echo' | 'stripAnsi'>): void {
    this.echo = opts.echo ?? null;
    this.stripAnsi = opts.stripAnsi ?? false;
  }

  /** Either writer is behind: sources stay paused. */
  private get congested(): boolean {
    return this.stdout.congested || (this.stderr?.congested ?? false);
  }

  /** The raw sink for this target, when output passes through raw. */
  private rawSink(target: LogTarget): RawSink | null {
    if (!this.rawSinks) return null;
    if (target.kind === 'mux') return this.rawSinks.stdout;
    if (target.kind === 'stderr') return this.rawSinks.stderr;
    return null;
  }

  /** Bytes as read: the raw sink and the debug echo, before the chunk is cut into lines for the other sinks. */
  private passThrough(name: string, stream: StreamName, target: LogTarget, chunk: Buffer): void {
    this.rawSink(target)?.write(chunk);
    this.echo?.(name, stream, chunk);
  }

  /** Who hears about a log file that fails and recovers (set once procinit's log exists). */
  onFault(report: FaultReporter): void {
    this.report = report;
  }

  get logFileFaults(): Readonly<LogFileFaults> {
    return this.fileFaults;
  }

  get formatter(): RecordFormatter {
    return this.stdoutFormat;
  }

  private output(name: string): ProcessOutput {
    let p = this.processes.get(name);
    if (!p) {
      p = { ring: new RecordRing(name), screen: new ByteRing(), files: new Map() };
      this.processes.set(name, p);
    }
    return p;
  }

  /** Read a child's pipe into the hub until it ends. */
  attachPipe(name: string, stream: StreamName, pipe: OutputPipe, target: LogTarget, onClosed?: () => void): PipeSource {
    // a log file exists from the program's start, written to or not (supervisord opens it then too, and
    // `supervisorctl tail` of a quiet program reads an empty file rather than none)
    if (target.kind === 'file') {
      const out = this.output(name);
      if (!out.files.has(target.path)) this.openLogFile(out, target, name, stream);
    }
    const chunker = new LineChunker();
    const onChunk = (read: Buffer): void => {
      const chunk = this.stripAnsi ? stripEscapes(read) : read;
      this.passThrough(name, stream, target, chunk);
      this.deliver(name, stream, target, chunker.push(chunk));
    };
    const onEnd = (): void => {
      this.deliver(name, stream, target, chunker.flush());
      this.sources.delete(source);
      if (--this.openPipes === 0) this.pipeWaiters.splice(0).forEach((w) => w());
      onClosed?.();
    };
    const source = ('fd' in pipe ? this.pumpPipe(name, stream, pipe.fd, target, onChunk, onEnd) : null) ?? readPipe(pipe, onChunk, onEnd);
    this.openPipes++;
    this.addSource(source);
    return source;
  }

  /**
   * The pipe read by native/pump.c (see pump.ts), or null without the pump. What goes to procinit's stdout
   * (raw bytes, or plain prefixed lines) the pump writes itself; JavaScript gets the rest of the work.
   */
  private pumpPipe(name: string, stream: StreamName, fd: number, target: LogTarget, onChunk: (read: Buffer) => void, onEnd: () => void): PipeSource | null {
    const pump = outputPump();
    if (!pump) return null;
    const toStdout = target.kind === 'mux' && !this.stripAnsi;
    const prefix = toStdout && !this.rawSinks ? this.stdoutFormat.plainPrefix(name, stream) : null;
    const mode = !toStdout ? PumpMode.Js : this.rawSinks ? PumpMode.Raw : prefix ? PumpMode.Prefix : PumpMode.Js;
    let live: { name: string; stream: StreamName; pipe: PumpedPipe } | null = null;
    const data =
      mode === PumpMode.Js
        ? (chunk: Buffer): void => onChunk(chunk)
        : mode === PumpMode.Raw
          ? (lines: Buffer, _wentOut: boolean, count: number, asRead: Buffer | null, ringFrom: number): void => {
              // the pump wrote the bytes as read; the ring gets whole lines (an unterminated one waits in C)
              if (asRead) {
                this.rawSinks!.stdout.bytes += asRead.length;
                this.echo?.(name, stream, asRead);
              }
              if (lines.length > 0) this.deliverPumped(name, stream, target, lines, count, ringFrom, true);
            }
          : (lines: Buffer, wentOut: boolean, count: number, _asRead: Buffer | null, ringFrom: number): void => {
              // whole lines (the pump keeps an unterminated one until its line ends or the pipe does)
              this.echo?.(name, stream, lines);
              this.deliverPumped(name, stream, target, lines, count, ringFrom, wentOut);
            };
    let pumped: PumpedPipe;
    try {
      const ring = this.output(name).ring;
      pumped = pump.add(
        fd,
        mode,
        prefix,
        DEFAULT_MAX_LINE,
        {
          writer: this.stdout,
          data,
          end: () => {
            if (live) this.prefixed.delete(live);
            onEnd();
          },
        },
        mode === PumpMode.Js ? 0 : ring.maxLines,
      );
    } catch {
      return null; // the fd cannot be watched this way: read it as a socket
    }
    if (mode === PumpMode.Prefix) {
      live = { name, stream, pipe: pumped };
      this.prefixed.add(live);
    }
    return pumped;
  }

  /**
   * Resolves when every pipe has reached end-of-file (all its output delivered), or after timeoutMs: a
   * program's last lines may still sit in its pipe, unread because output was paused, when its exit is seen.
   */
  pipesDrained(timeoutMs: number): Promise<boolean> {
    if (this.openPipes === 0) return Promise.resolve(true);
    this.sources.forEach((s) => !this.congested && s.resume());
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.pipeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  addSource(source: Source): void {
    this.sources.add(source);
    if (this.congested) source.pause();
  }

  removeSource(source: Source): void {
    this.sources.delete(source);
  }

  /** Bytes from a terminal the caller reads itself (a pty): kept raw for connect's replay, then delivered. */
  feed(name: string, stream: StreamName, target: LogTarget, chunker: LineChunker, chunk: Buffer): void {
    this.output(name).screen.push(chunk);
    const raw = this.rawListeners.get(name);
    if (raw) for (const fn of raw) fn(chunk);
    this.passThrough(name, stream, target, chunk);
    this.deliver(name, stream, target, chunker.push(chunk));
  }

  /**
   * Deliver batches of complete lines to every sink; lines become records only for sinks that want them.
   * A batch may be a view of a read buffer that is reused once this returns: sinks copy what they keep.
   */
  deliver(name: string, stream: StreamName, target: LogTarget, batches: readonly LineBatch[], written = false, toRing = true): void {
    if (batches.length === 0) return;
    const time = Date.now();
    const out = this.output(name);
    for (const batch of batches) {
      if (toRing) out.ring.push(stream, time, batch);
      // raw output went out as it was read (passThrough); written: the pump wrote it
      if (!written && !this.rawSink(target)) this.toTarget(out, target, name, stream, time, batch);
      if (this.followers.size === 0) continue;
      let records: OutputRecord[] | null = null;
      for (const f of this.followers) {
        if (f.names !== null && !f.names.has(name)) continue;
        records ??= splitBatch({ ...batch, data: Buffer.from(batch.data) }).map((line) => ({ name, stream, time, line }));
        f.fn(records);
      }
    }
  }

  /**
   * A pumped stretch of whole lines (count: its line parts): the ring gets only data.subarray(ringFrom), the
   * lines it keeps (ringFrom > 0: its last maxLines lines), every other sink all of it. Without the cut the
   * ring would copy every byte of a big pipe's read and drop most of them at once.
   */
  private deliverPumped(name: string, stream: StreamName, target: LogTarget, data: Buffer, count: number, ringFrom: number, written: boolean): void {
    const batch: LineBatch = { data, maxLine: DEFAULT_MAX_LINE, stripCR: false, lines: count };
    if (ringFrom === 0) return this.deliver(name, stream, target, [batch], written);
    const out = this.output(name);
    out.ring.push(stream, Date.now(), { data: data.subarray(ringFrom), maxLine: DEFAULT_MAX_LINE, stripCR: false, lines: out.ring.maxLines });
    this.deliver(name, stream, target, [batch], written, false);
  }

  /** procinit's own messages, as records of the pseudo-process "procinit". */
  system(line: string, stream: StreamName = 'stdout'): void {
    const r: OutputRecord = { name: 'procinit', stream, time: Date.now(), line: Buffer.from(line) };
    const parts: Buffer[] = [];
    this.stdoutFormat.format([r], parts);
    this.stdout.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }

  /** Whether /dev/stdout and /dev/stderr output passes through raw (procinit's own lines then go unprefixed). */
  get rawOutput(): boolean {
    return this.rawSinks !== null;
  }

  /** procinit's own already-formatted bytes (pino JSON lines, supervisord's log lines). */
  raw(buf: Buffer, stream: StreamName = 'stdout'): void {
    (stream === 'stderr' && this.stderr ? this.stderr : this.stdout).write(buf);
  }

  private toTarget(out: ProcessOutput, target: LogTarget, name: string, stream: StreamName, time: number, batch: LineBatch): void {
    if (target.kind === 'none') return;
    if (target.kind === 'file') {
      const file = out.files.get(target.path) ?? this.openLogFile(out, target, name, stream);
      const missed = file.writeLines(splitBatch(batch).map((line) => Buffer.concat([line, NL])));
      if (missed.length === 0) return;
      // the file cannot take them: the lines go to procinit's stdout rather than nowhere
      this.fileFaults.linesToStdout += missed.length;
      this.stdoutFormat.writeBatch(this.stdout, name, stream, time, { data: Buffer.concat(missed), maxLine: batch.maxLine, stripCR: false });
      return;
    }
    const writer = target.kind === 'stderr' && this.stderr ? this.stderr : this.stdout;
    this.stdoutFormat.writeBatch(writer, name, stream, time, batch);
  }

  private openLogFile(out: ProcessOutput, target: { path: string; maxBytes: number; backups: number }, name: string, stream: StreamName): RotatingLogFile {
    const what = `${stream}_logfile ${target.path} of ${name}`;
    const file = new RotatingLogFile(target.path, target.maxBytes, target.backups, {
      onFault: (_path, fault) => {
        this.fileFaults.faults++;
        this.report('warn', `cannot write ${what}: ${fault}; its lines go to procinit's stdout until it can be written again`);
      },
      onRecover: (_path, missed) => this.report('info', `${what} is written again (${missed.lines} line(s) went to procinit's stdout meanwhile)`),
    });
    out.files.set(target.path, file);
    return file;
  }

  /** The last n records of these processes (all when names is empty), merged by time. */
  recent(names: string[], n: number): OutputRecord[] {
    const chosen = names.length > 0 ? names : [...this.processes.keys()];
    const all = chosen.flatMap((name) => this.processes.get(name)?.ring.tail(n) ?? []);
    all.sort((a, b) => a.time - b.time);
    return all.slice(Math.max(0, all.length - n));
  }

  /** The last raw bytes of a process (for connect's replay). */
  screen(name: string): Buffer {
    return this.processes.get(name)?.screen.contents() ?? Buffer.alloc(0);
  }

  /** fn gets the records of every batch from now on (until the returned function is called); pipes stay small meanwhile. */
  follow(names: string[] | null, fn: Follower): () => void {
    const entry = { names: names && names.length > 0 ? new Set(names) : null, fn };
    this.followers.add(entry);
    const release = holdSmallPipes();
    return () => {
      this.followers.delete(entry);
      release();
    };
  }

  /** Raw bytes of one process as they arrive (connect). */
  onRaw(name: string, fn: (chunk: Buffer) => void): () => void {
    let set = this.rawListeners.get(name);
    if (!set) this.rawListeners.set(name, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Reopen every program log file (supervisord's SIGUSR2). Returns the paths that could not be reopened. */
  reopenLogs(): Array<{ path: string; error: string }> {
    const failed: Array<{ path: string; error: string }> = [];
    for (const p of this.processes.values()) {
      for (const f of p.files.values()) {
        try {
          f.reopen();
        } catch (err) {
          failed.push({ path: f.path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
        }
      }
    }
    return failed;
  }

  close(): void {
    for (const p of this.processes.values()) for (const f of p.files.values()) f.close();
  }
}
