/**
 * `procinit [up] [TYPE...]`: the main job. Reads like its checklist:
 * load config -> open output -> start reaper -> handle signals -> start programs -> wait -> exit code.
 */
import { MemoryWatch } from '../memory/watch.js';
import { loadRun } from '../config/load.js';
import { withFsWatchdog } from './fs-watchdog.js';
import { allProcesses, type RunSpec } from '../config/model.js';
import { FdWriter } from '../output/writer.js';
import { RecordFormatter, shouldColor } from '../output/format.js';
import { OutputHub } from '../output/hub.js';
import { createLogger, pinoLevel, type Logger } from '../output/log.js';
import { describeFault, RotatingLogFile, type LogFileEvents } from '../output/logfile.js';
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { killLeftoverChildren } from '../pid1/leftovers.js';
import { startReaper } from '../pid1/reaper.js';
import { DirectSpawner } from '../supervisor/direct-spawn.js';
import { isTerminal, outputAddon } from '../output/native.js';
import { releaseOutputBuffers } from '../output/pump.js';
import { handleSupervisorSignals } from '../pid1/signals.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { EventSystem } from '../events/system.js';
import { supervisorStateEvent } from '../events/event.js';
import { FcgiSockets } from '../fcgi/sockets.js';
import { ProcessLauncher } from '../supervisor/spawn.js';
import { stopTimeoutWarning } from '../supervisor/stop-budget.js';
import { startLimits } from '../health/limits/wire.js';
import type { LimitMonitor } from '../health/limits/monitor.js';
import { HealthMonitor } from '../health/monitor.js';
import { parse, RUN_OPTIONS, toRunOptions, type RunOptions } from './args.js';
import { startControl, type ControlHandle } from './control-hooks.js';
import type { RpcServers } from '../rpc/serve.js';
import { UP_HELP } from './help.js';
import { createSupervisordLogger, outputEchoLine, type SupervisordLogger } from '../output/supervisord-log.js';
import { becomeConfiguredUser, clearAutoChildLogs, logStartup, logStarted, reportWaits, type UserNote } from './supervisord-mode.js';
import { supervisordRestarter, type RestartOrigin } from './supervisord-restart.js';

export interface Runtime {
  run: RunSpec;
  supervisor: Supervisor;
  hub: OutputHub;
  log: Logger;
  stdout: FdWriter;
  options: RunOptions;
  /** supervisord's events: `events.publish(event)` raises one (XML-RPC's sendRemoteCommEvent). */
  events: EventSystem;
  limits: LimitMonitor;
  /** supervisord's restart (supervisord configs): SIGHUP, XML-RPC supervisor.restart. */
  restart?: (origin: RestartOrigin) => Promise<void>;
  /** A supervisord restart is under way. */
  restarting?: boolean;
}

export async function upCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, RUN_OPTIONS);
  if (values.help) {
    process.stdout.write(UP_HELP);
    return 0;
  }
  const options = toRunOptions(values, positionals);
  // bounded: a config on a hung mount ends procinit with one line, exit 2 (fs-watchdog.ts)
  const run = withFsWatchdog(() => loadRun(options.load));
  return runSupervisor(run, options);
}

export async function runSupervisor(run: RunSpec, options: RunOptions): Promise<number> {
  const sv = run.supervisordMode ?? null;
  const stdout = new FdWriter(1);
  const stderr = new FdWriter(2);
  // not process.stdout.isTTY: Node's stdout stream is made after the programs start (superviseRun)
  const color = options.color ?? shouldColor(isTerminal(1), process.env);
  // [supervisord] user=: root is given up before any log, socket or program is opened (or procinit refuses)
  const userNote = sv ? becomeConfiguredUser(sv) : null;
  const formatter = new RecordFormatter({ format: options.output, color, timestamps: options.timestamps });
  // a supervisord config's /dev/stdout output passes through raw unless some shaping of lines is asked for
  const shaped = options.prefix || options.output === 'json' || options.timestamps;
  const raw = sv !== null && !sv.prefix && !shaped;
  // [supervisord] logfile: made once the logger exists, which reports its faults (a file that fails is
  // skipped: every line of procinit's log goes to stdout as well)
  // (a holder: supervisord's restart opens the file again, maybe another one)
  const ownLog: OwnLog = { current: null };
  const ownLogSink = { write: (buf: Buffer): void => void ownLog.current?.write(buf) };
  const svStdout = { raw: (buf: Buffer) => hub.raw(buf) };
  // supervisord's own log format and wording for a supervisord config (unless --log-format json)
  const svLog = sv && options.logFormat === 'text'
    ? createSupervisordLogger({ level: run.loglevel, stdout: sv.silent ? null : svStdout, file: ownLogSink })
    : null;
  // an event listener's stdout is its protocol: src/events echoes it as supervisord's PEventListenerDispatcher
  // does (`'x' stdout output:` and a bytes repr), so it is left out here
  const isListener = (name: string): boolean => run.programs.some((p) => p.instances.some((i) => i.name === name && i.eventListener));
  const makeEcho = () =>
    svLog?.enabled('debug')
      ? (name: string, stream: string, chunk: Buffer) => {
          if (!(stream === 'stdout' && isListener(name))) svLog.debug(outputEchoLine(name, stream, chunk));
        }
      : null;
  const hub = new OutputHub(stdout, formatter, stderr, { raw, echo: makeEcho(), stripAnsi: sv?.stripAnsi === true });
  const log = svLog ?? createLogger({ format: options.logFormat, hub, level: pinoLevel(run.loglevel), file: run.logfile ? ownLogSink : null });
  const openOwnLog = (r: RunSpec): void => {
    const m = r.supervisordMode;
    if (r.logfile) ownLog.current = new RotatingLogFile(r.logfile, m?.logfileMaxBytes ?? 50 * 1024 * 1024, m?.logfileBackups ?? 10, ownLogEvents(log));
  };
  openOwnLog(run);
  // supervisord's restart: close_logger(), then make_logger() from the config read again
  ownLog.remake = (r: RunSpec): void => {
    svLog?.reconfigure({ level: r.loglevel, stdout: r.supervisordMode?.silent ? null : svStdout });
    ownLog.current?.close();
    ownLog.current = null;
    openOwnLog(r);
    hub.reconfigure({ echo: makeEcho(), stripAnsi: r.supervisordMode?.stripAnsi === true });
  };
  hub.onFault((level, msg) => log[level](msg));
  // procinit's stdout itself on a full disk: its log cannot say so there, stderr (and the logfile) can
  stdout.on('fault', (err: Error) => {
    const msg = `cannot write to stdout: ${describeFault(err)}; output is dropped (and counted) until it can be written again`;
    stderr.write(Buffer.from(`procinit: warning: ${msg}\n`));
    ownLog.current?.write(Buffer.from(`${new Date().toISOString()} WARN ${msg}\n`));
  });
  stdout.on('recover', (dropped: number) => log.info(`stdout is written again (${dropped} byte(s) dropped so far)`));
  // procinit's start-up lines go out in one write once the programs are started: the first write would
  // start the thread pool while the programs are being spawned
  stdout.cork();
  try {
    return await superviseRun(run, options, { stdout, stderr, hub, log, ownLog, svLog, userNote });
  } catch (err) {
    // no program started (the control socket failed): what was logged must not be lost to the exit
    stdout.uncork();
    await stdout.flush();
    throw err;
  }
}

/** procinit's own log file ([supervisord] logfile), made again by supervisord's restart. */
interface OwnLog {
  current: RotatingLogFile | null;
  /** Close the file and make the log again from the run's settings (level, file, rotation, silent, echo). */
  remake?: (run: RunSpec) => void;
}

interface Outputs {
  stdout: FdWriter;
  stderr: FdWriter;
  hub: OutputHub;
  log: Logger;
  ownLog: OwnLog;
  /** procinit's log in supervisord's format, for a supervisord config. */
  svLog: SupervisordLogger | null;
  userNote: UserNote | null;
}

/** How long the end of a run waits for programs' output pipes to reach end-of-file. */
const PIPE_DRAIN_MS = 2000;

async function superviseRun(run: RunSpec, options: RunOptions, { stdout, stderr, hub, log, ownLog, svLog, userNote }: Outputs): Promise<number> {
  const sv = run.supervisordMode ?? null;
  const logAt = (level: 'debug' | 'info', msg: string): void => log[level]?.(msg);
  // `supervisord started` waits for the XML-RPC servers' lines (supervisord's openhttpservers comes first)
  if (svLog) logStartup(svLog, userNote, run, undefined, false);
  else {
    if (userNote) log[userNote.level === 'critical' ? 'warn' : 'info'](userNote.msg);
    for (const w of run.warnings) log.warn(`${w.file}:${w.line}: ${w.message}`);
  }
  const tooSlow = stopTimeoutWarning(allProcesses(run), options.stopTimeout);
  if (tooSlow) log.warn(tooSlow);
  if (sv) clearAutoChildLogs(sv, log);

  const termSize = (): { cols: number; rows: number } => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  const launcher = new ProcessLauncher(run, process.env, termSize, (msg) => log.warn(msg));
  // event listeners: the supervisor's state events drive them; a wrapping launcher connects their pipes
  const events = new EventSystem(run, log);
  // [fcgi-program:x]: each group's listening socket is its processes' fd 0
  const fcgi = run.programs.some((p) => p.instances.some((i) => i.fcgiSocket)) ? new FcgiSockets(log) : null;
  if (fcgi) launcher.stdinFrom(fcgi);
  const supervisor = new Supervisor(run, { hub, log, launcher: events.wrap(launcher), beforeStop: (insts) => events.settle(insts) });
  events.watch(supervisor);
  const limits = startLimits(supervisor, launcher, (level, msg) => log[level](msg), { forceRss: options.limits === 'rss' });
  // probes, readiness notification and depends_on: it watches the supervisor's events and acts through it
  const health = new HealthMonitor(supervisor, run, log);
  launcher.setExtras((spec) => health.launchExtras(spec));

  // Signals first: from here on a SIGTERM is a graceful stop, even before any program runs.
  let control: ControlHandle | null = null;
  let rpc: RpcServers | null = null;
  const unlisten = handleSupervisorSignals({
    shutdown: (sig) => {
      if (sv) log.warn(`received SIG${sig} indicating exit request`);
      else log.info(`SIG${sig} received: stopping everything (grace ${describeGrace(run)})`);
      void supervisor.shutdown(`SIG${sig}`);
    },
    killNow: () => {
      log.warn('second SIGINT: killing everything now');
      supervisor.killAll();
    },
    forward: (sig) => {
      if (!sv) {
        log.info(`SIG${sig} received: forwarding to every process`);
        supervisor.forward(sig);
      } else if (sig === 'USR2') {
        // supervisord: SIGUSR2 reopens the logs (after logrotate moved them); programs never see it
        log.info('received SIGUSR2 indicating log reopen request');
        reopenLogs(ownLog.current, hub, log);
      } else {
        svLog?.blather(`received SIG${sig} indicating nothing`);
      }
    },
    reload: () => {
      // supervisord: SIGHUP stops everything, reads the config again (its [supervisord] settings too) and starts everything
      if (sv) return void runtime.restart?.('SIGHUP');
      if (control?.reload) void control.reload();
      else log.info('SIGHUP received: reload is not available');
    },
  });
  if (sv) supervisor.on('shutdown', () => reportWaits(supervisor, log));

  const direct = new DirectSpawner();
  const reaper = startReaper({
    ownPids: () => supervisor.ownPids(),
    onReaped: (reaped) => reaped.forEach((r) => direct.claim(r.pid, r.status)),
    onUnavailable: (err) => log.error(`zombie reaping is OFF: ${err.message}`),
    sweepMs: 5000,
  });
  // programs started with posix_spawn are reaped by the reaper: only while it runs
  if (reaper.active) launcher.spawnDirectly(direct);
  // procinit's addon is loaded by now (the reaper, or isTerminal); this makes sure of it even when the
  // reaper could not start: a SEA extracts it to a temporary directory, which programs should never see
  outputAddon();

  const runtime: Runtime = { run, supervisor, hub, log, stdout, options, events, limits };
  // removed at the end only when written: what was there (a FIFO, another daemon's file) is not ours
  let wrotePidfile = false;
  try {
    control = await startControl(runtime);
    const restart = control?.restart;
    if (sv && restart) {
      runtime.restart = supervisordRestarter({
        supervisor,
        log,
        svLog,
        restart,
        applyLogSettings: (r) => ownLog.remake?.(r),
        movePidfile: (from, to) => {
          if (wrotePidfile && from !== null && from !== to) removePidfile(from, log);
          if (to !== null && (from !== to || !wrotePidfile)) wrotePidfile = writePidfile(to, log);
        },
        stopping: () => events.publish(supervisorStateEvent('STOPPING')),
        restartEvents: () => events.restart(),
        setRestarting: (on) => (runtime.restarting = on),
        reopenRpc: async () => {
          await rpc?.close();
          rpc = null;
          if (run.rpc && run.rpc.servers.length > 0) rpc = await (await import('./rpc-hooks.js')).startRpc(runtime, control?.service ?? null, options.rpc);
        },
        refuse: (msg) => {
          stderr.write(Buffer.from(`Error: ${msg}\n`));
          log.error(msg);
          void supervisor.shutdown(`restart: ${msg}`, 2);
        },
      });
    }
    // the XML-RPC server (node:http, node:crypto, the codec) is loaded only for a config that names one
    if (run.rpc && run.rpc.servers.length > 0) rpc = await (await import('./rpc-hooks.js')).startRpc(runtime, control?.service ?? null, options.rpc);
  } catch (err) {
    await control?.close();
  await rpc?.close();
    unlisten();
    reaper.stop();
    throw err;
  }
  wrotePidfile = run.pidfile !== null && writePidfile(run.pidfile, log);
  if (svLog) logStarted(svLog);

  const running = `procinit ${process.pid === 1 ? 'as PID 1 ' : ''}running ${run.programs.length} process type(s) from ${run.file}${reaper.active && process.pid !== 1 ? ' (child subreaper)' : ''}`;
  // a supervisord config said `supervisord started` already; this is procinit's detail
  logAt(sv ? 'debug' : 'info', running);
  events.start();
  supervisor.start();
  control?.serve();
  const memory = new MemoryWatch({ release: releaseOutputBuffers });
  memory.start();
  // Node's process.stdout costs 0.5 ms (a file) to 2 ms (a pipe) to make, so it is made only now. Made it
  // is, as before this was moved: for a pipe on fd 1 it sets O_NONBLOCK, the mode the writer has always run with.
  void process.stdout.fd;
  stdout.uncork();
  const result = await supervisor.done;
  memory.stop();
  health.dispose();
  // daemons that left their process group (setsid) were adopted by us: they do not outlive the run
  const leftovers = await killLeftoverChildren({ own: () => supervisor.ownPids(), reap: () => reaper.sweep() });
  if (leftovers > 0) log.warn(`killed ${leftovers} leftover process(es) that had left their process group`);
  await limits.close();
  // the programs are gone; what they wrote last may still wait in their pipes
  if (!(await hub.pipesDrained(PIPE_DRAIN_MS))) log.warn(`output pipes still open ${PIPE_DRAIN_MS} ms after the last program ended: not waiting for them`);
  unlisten();
  reaper.stop();
  events.close();
  fcgi?.close();
  await control?.close();
  await rpc?.close();
  logAt(sv ? 'debug' : 'info', `exiting with code ${result.code} (${result.reason})`);
  hub.close();
  ownLog.current?.close();
  if (run.pidfile && wrotePidfile) removePidfile(run.pidfile, log);
  await stdout.flush();
  await stderr.flush();
  return result.code;
}

/** SIGUSR2 in supervisord mode: procinit's own log file and every program log file, opened again. */
function reopenLogs(ownLog: RotatingLogFile | null, hub: OutputHub, log: Logger): void {
  try {
    ownLog?.reopen();
  } catch (err) {
    log.error(`cannot reopen ${ownLog?.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  for (const f of hub.reopenLogs()) log.error(`cannot reopen ${f.path}: ${f.error}`);
}

function ownLogEvents(log: Logger): LogFileEvents {
  return {
    onFault: (path, fault) => log.warn(`cannot write [supervisord] logfile ${path}: ${fault}; procinit's log goes to stdout only until it can be written again`),
    onRecover: (path) => log.info(`[supervisord] logfile ${path} is written again`),
  };
}

/** O_NONBLOCK: a FIFO at the pidfile's path must not block PID 1 in open(). */
const PIDFILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK | constants.O_NOCTTY;

function writePidfile(path: string, log: Logger): boolean {
  let fd = -1;
  try {
    fd = openSync(path, PIDFILE_FLAGS, 0o644);
    writeSync(fd, `${process.pid}\n`);
    return true;
  } catch (err) {
    log.warn(`cannot write pidfile ${path}: ${describeFault(err)}`);
    return false;
  } finally {
    if (fd >= 0) closeQuietly(fd);
  }
}

function removePidfile(path: string, log: Logger): void {
  try {
    rmSync(path, { force: true });
  } catch (err) {
    log.warn(`cannot remove pidfile ${path}: ${describeFault(err)}`);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* the descriptor is gone either way */
  }
}

function describeGrace(run: RunSpec): string {
  const secs = new Set(run.programs.flatMap((p) => p.instances.map((i) => i.stopwaitsecs)));
  return [...secs].map((s) => `${s}s`).join('/') || '0s';
}
