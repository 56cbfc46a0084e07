/**
 * procinit run as `supervisord`: supervisord's command line (supervisor/options.py ServerOptions), onto the same
 * config loader and supervisor as `procinit -c FILE`. Command-line values override the config's, as in
 * supervisord, and so is its lifetime: the run ends on a signal or `supervisorctl shutdown`, not when programs
 * end or go FATAL (`procinit -c FILE` keeps procinit's container endings) (-q childlogdir is accepted but AUTO log paths keep the config's directory). procinit never daemonizes: without -n or nodaemon=true it says so and exits 2 (supervisord would
 * fork into the background, which in a container ends the container).
 */
import { pathExists } from '../config/fs-answers.js';
import { withFsWatchdog } from './fs-watchdog.js';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, oneLine } from '../config/errors.js';
import { loadRun } from '../config/load.js';
import type { RunSpec } from '../config/model.js';
import { byteSize, pyInt } from '../config/supervisord-types.js';
import { getopt, GetoptError, type OptionSpec } from './getopt.js';
import { toRunOptions } from './args.js';
import { SUPERVISOR_VERSION } from '../rpc/supervisor-api.js';

export const SUPERVISORD_USAGE = `supervisord -- run a set of applications as daemons.

Usage: supervisord [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- run supervisord under profiler and output
                             results based on OPTIONS, which  is a comma-sep'd
                             list of 'cumulative', 'calls', and/or 'callers',
                             e.g. 'cumulative,callers')

This supervisord is procinit (a container init) under supervisord's name: it runs in the foreground only.
`;

const OPTIONS: OptionSpec[] = [
  { short: 'c', long: 'configuration', arg: true },
  { short: 'n', long: 'nodaemon', arg: false },
  { short: 's', long: 'silent', arg: false },
  { short: 'h', long: 'help', arg: false },
  { short: '?', long: 'help', arg: false },
  { short: 'v', long: 'version', arg: false },
  { short: 'u', long: 'user', arg: true },
  { short: 'm', long: 'umask', arg: true },
  { short: 'd', long: 'directory', arg: true },
  { short: 'l', long: 'logfile', arg: true },
  { short: 'y', long: 'logfile_maxbytes', arg: true },
  { short: 'z', long: 'logfile_backups', arg: true },
  { short: 'e', long: 'loglevel', arg: true },
  { short: 'j', long: 'pidfile', arg: true },
  { short: 'i', long: 'identifier', arg: true },
  { short: 'q', long: 'childlogdir', arg: true },
  { short: 'k', long: 'nocleanup', arg: false },
  { short: 'a', long: 'minfds', arg: true },
  { short: 't', long: 'strip_ansi', arg: false },
  { short: '', long: 'minprocs', arg: true },
  { short: '', long: 'profile_options', arg: true },
];

const LOG_LEVELS = ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'blather'];

/** supervisord's usage(): the message, the hint, exit 2. */
function usage(msg: string): number {
  process.stderr.write(`Error: ${oneLine(msg)}\nFor help, use supervisord -h\n`);
  return 2;
}

/** supervisord's search path when -c is not given. */
export function findConfig(argv0: string, cwd: string): string | null {
  const here = dirname(dirname(resolve(cwd, argv0)));
  const paths = [
    join(here, 'etc', 'supervisord.conf'),
    join(here, 'supervisord.conf'),
    'supervisord.conf',
    'etc/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
  ];
  return paths.find((p) => pathExists(resolve(cwd, p))) ?? null;
}

export async function supervisordMain(argv: string[], argv0: string): Promise<number> {
  let parsed;
  try {
    parsed = getopt(argv, OPTIONS);
  } catch (err) {
    if (err instanceof GetoptError) return usage(err.message);
    throw err;
  }
  if (parsed.args.length > 0) return usage('positional arguments are not supported: ' + JSON.stringify(parsed.args));
  const o = new Map(parsed.opts);
  if (o.has('help')) {
    process.stdout.write(SUPERVISORD_USAGE);
    return 0;
  }
  if (o.has('version')) {
    process.stdout.write(`${SUPERVISOR_VERSION}\n`);
    return 0;
  }
  const cwd = process.cwd();
  // bounded: a config on a hung mount ends procinit with one line, exit 2 (fs-watchdog.ts)
  const ready = withFsWatchdog(() => configured(o, argv0, cwd));
  if (typeof ready === 'number') return ready;
  const { run, options, overrides } = ready;
  const { runSupervisor } = await import('./up.js');
  return runSupervisor(run, { ...options, rpc: { identifier: o.get('identifier') }, controlSocketOptional: true, adjustRun: overrides });
}

/** The config found, checked and read (synchronously: nothing runs yet), or the exit code of a usage error. */
function configured(o: Map<string, string>, argv0: string, cwd: string): number | { run: RunSpec; options: ReturnType<typeof toRunOptions>; overrides: (r: RunSpec) => void } {
  const config = o.get('configuration') ?? findConfig(argv0, cwd);
  if (config === null) {
    return usage(
      'No config file found at default paths (etc/supervisord.conf, supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to specify a config file at a different path',
    );
  }
  if (!pathExists(resolve(cwd, config))) return usage(`could not find config file ${config}`);
  const loglevel = o.get('loglevel');
  if (loglevel !== undefined && !LOG_LEVELS.includes(loglevel.toLowerCase())) return usage(`bad loglevel: ${loglevel}`);
  let umask: number | null = null;
  if (o.has('umask')) {
    try {
      umask = pyInt(o.get('umask')!, 8);
    } catch {
      return usage(`invalid umask ${o.get('umask')}`);
    }
  }

  const options = toRunOptions({ config }, []);
  const run = loadRun(options.load);
  if (run.format !== 'supervisord') throw new ConfigError(run.file, null, 'not a supervisord config');
  if (!o.has('nodaemon') && !run.nodaemon) {
    return usage(
      `${run.file}: supervisord would daemonize here (no -n, no nodaemon=true in [supervisord]); this supervisord is procinit, which runs in the foreground only: add -n`,
    );
  }
  // supervisord's restart (SIGHUP, supervisorctl reload) runs realize() again: the command line still wins
  const overrides = (r: RunSpec): void => commandLineOverrides(r, o, cwd, umask);
  try {
    overrides(run);
  } catch (err) {
    return usage((err as Error).message);
  }
  return { run, options, overrides };
}

/** What supervisord's command line sets over the config's [supervisord] (throws on a bad byte size or count). */
function commandLineOverrides(run: RunSpec, o: Map<string, string>, cwd: string, umask: number | null): void {
  const mode = run.supervisordMode;
  if (mode) {
    if (o.has('user')) mode.user = o.get('user')!;
    if (o.has('silent')) mode.silent = true;
    if (o.has('nocleanup')) mode.nocleanup = true;
    if (o.has('identifier')) mode.identifier = o.get('identifier')!;
    if (o.has('logfile_maxbytes')) mode.logfileMaxBytes = byteSize(o.get('logfile_maxbytes')!);
    if (o.has('logfile_backups')) mode.logfileBackups = pyInt(o.get('logfile_backups')!);
  }
  // supervisord's lifetime: it ends on a signal or `shutdown`, never because programs ended or gave up
  run.onFatal = 'keep';
  run.onIdle = 'keep';
  if (o.has('logfile')) run.logfile = resolve(cwd, o.get('logfile')!);
  const loglevel = o.get('loglevel');
  if (loglevel !== undefined) run.loglevel = loglevel.toLowerCase();
  if (o.has('pidfile')) run.pidfile = resolve(cwd, o.get('pidfile')!);
  if (umask !== null) run.umask = umask;
  if (o.has('identifier') && run.rpc) run.rpc.identifier = o.get('identifier')!;
}
