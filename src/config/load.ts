/**
 * Find the config, read it with the right parser, then apply what every format shares:
 * env files, the process selection (`up TYPE...`) and the formation (`-m web=2`).
 * Pure apart from reading files.
 */
import { fetchAnswers, guessesHeld, pathExists } from './fs-answers.js';
import { dirname, resolve } from 'node:path';
import { ConfigError, oneLine, UsageError } from './errors.js';
import type { ConfigFormat, ProcessSpec, ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { readDotenvFile } from './dotenv.js';
import { parseFormation } from './formation.js';
import { readProcfileRun } from './procfile.js';
import { readSupervisordRunSteps } from './supervisord.js';
import { drain, drainSliced, SLICE_MS, type Steps } from './steps.js';
import { readFlyRun } from './fly.js';
import { readManifestRun } from './manifest.js';
import { applyProcinitToml } from './procinit-toml.js';
import { checkDependencies } from './dependencies.js';
import { describeReadError, MAX_CONFIG_BYTES, NeedFiles, newReadAhead, READ_TIMEOUT_MS, readRegularFile, readRegularFileAsync, withReadAhead } from './text-file.js';

/** supervisord's own search list, after ./Procfile. */
const SUPERVISORD_SEARCH = [
  'supervisord.conf',
  'etc/supervisord.conf',
  '/etc/supervisord.conf',
  '/etc/supervisor/supervisord.conf',
];

export interface FoundConfig {
  file: string;
  format: ConfigFormat;
}

/** Which file, in which format: -f, -c, $PROCINIT_PROCFILE, $PROCINIT_CONFIG, ./Procfile, supervisord's list. */
export function findConfig(opts: LoadOptions): FoundConfig {
  if (opts.pinned) return opts.pinned;
  const explicit = opts.procfile ?? opts.config ?? opts.env.PROCINIT_PROCFILE ?? opts.env.PROCINIT_CONFIG ?? null;
  if (explicit) {
    const file = resolve(opts.cwd, explicit);
    if (!pathExists(file)) throw new ConfigError(file, null, 'no such file');
    const forced = opts.procfile !== null || (opts.config === null && opts.env.PROCINIT_PROCFILE);
    return { file, format: forced ? 'procfile' : detectFormat(file) };
  }
  const procfile = resolve(opts.cwd, 'Procfile');
  if (pathExists(procfile)) return { file: procfile, format: detectFormat(procfile) };
  for (const candidate of SUPERVISORD_SEARCH) {
    const file = resolve(opts.cwd, candidate);
    if (pathExists(file)) return { file, format: 'supervisord' };
  }
  throw new ConfigError(
    procfile,
    null,
    'no Procfile here, and no supervisord.conf in the usual places (use -f PROCFILE or -c CONFIG)',
  );
}

/** Format by name, then by content: `[program:`/`[supervisord]` sections mean INI. */
export function detectFormat(file: string): ConfigFormat {
  if (/\.toml$/i.test(file)) return 'fly';
  if (/\.ya?ml$/i.test(file)) return 'manifest';
  let text: string;
  try {
    text = readRegularFile(file).toString('utf8');
  } catch (err) {
    throw new ConfigError(file, null, describeReadError(err));
  }
  if (/^\s*\[(program:|supervisord\]|group:|include\]|eventlistener:|fcgi-program:|unix_http_server\]|procinit\])/im.test(text)) {
    return 'supervisord';
  }
  return 'procfile';
}

/** The whole pipeline: find, parse, select, scale. */
export function loadRun(opts: LoadOptions): RunSpec {
  return drain(loadRunSteps(opts));
}

/**
 * loadRun in slices of about sliceMs, letting the event loop run between them: reload reads a config while
 * procinit keeps reaping, forwarding signals and answering `status` (a reload that added 5,000 included
 * files used to hold the loop for seconds). The result, and every error, are those of loadRun.
 */
export async function loadRunSliced(opts: LoadOptions, sliceMs = SLICE_MS, readTimeoutMs = READ_TIMEOUT_MS): Promise<RunSpec> {
  // Config files are read ahead on libuv's thread pool, never on the event loop (a file on a hung NFS mount
  // blocks its read: that would stop reaping, signals and status), and so are the stat/readdir questions
  // the readers ask (fs-answers.ts: .env, procinit.toml, an [include]'s glob, directories). The steps answer
  // from what was fetched, and start again when they needed something not fetched yet (an [include]'s
  // matches are all read at once; every question a pass noted is fetched at once).
  const ahead = newReadAhead();
  for (let attempt = 0; ; attempt++) {
    let run: RunSpec | null = null;
    let failed: unknown = null;
    try {
      run = await drainSliced(loadRunSteps(opts), sliceMs, (step) => withReadAhead(ahead, step));
    } catch (err) {
      failed = err;
    }
    // a pass that met questions without their answers went on with guesses: its outcome stands only if
    // every guess was right
    const guesses = new Map(ahead.missing);
    ahead.missing.clear();
    const files = failed instanceof NeedFiles ? failed.files : [];
    const outcome = (): RunSpec => {
      if (failed !== null) throw failed;
      return run!;
    };
    if ((guesses.size === 0 && files.length === 0) || attempt > 10_000) return outcome();
    await Promise.all([readAhead(files, ahead.files, readTimeoutMs), fetchAnswers([...guesses.keys()], ahead.answers, readTimeoutMs)]);
    if (files.length === 0 && guessesHeld(guesses, ahead.answers)) return outcome();
  }
}

/** Read files into `into` on the thread pool, a few at once; a failure is kept as the file's answer. */
export async function readAhead(list: readonly string[], into: Map<string, Buffer | Error>, timeoutMs: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const file = list[next++];
      into.set(file, await readRegularFileAsync(file, MAX_CONFIG_BYTES, timeoutMs).catch((err: Error) => err));
    }
  };
  await Promise.all([worker(), worker(), worker()]); // libuv has 4 threads for every fs call: leave one
}

/** loadRun's work as steps (the supervisord reader yields between files and programs). */
export function* loadRunSteps(opts: LoadOptions): Steps<RunSpec> {
  const found = findConfig(opts);
  // A Procfile's processes run in its folder (foreman); supervisord's children inherit its working directory.
  const root = resolve(opts.cwd, opts.root ?? (found.format === 'supervisord' ? opts.cwd : dirname(found.file)));
  const fileEnv = readEnvFiles(root, opts);
  const read = { procfile: readProcfileRun, fly: readFlyRun, manifest: readManifestRun }[found.format as 'procfile' | 'fly' | 'manifest'];
  const run =
    found.format === 'supervisord'
      ? yield* readSupervisordRunSteps(found.file, { ...opts, root }, fileEnv)
      : read(found.file, { ...opts, root }, fileEnv);
  // an empty Procfile is refused; so is any other config that would run nothing for ever (a supervisord
  // config that serves XML-RPC can be given programs later: reread/update, addProcessGroup)
  const controllable = run.format === 'supervisord' && (run.rpc?.servers.length ?? 0) > 0;
  if (run.programs.length === 0 && !controllable) throw new ConfigError(found.file, null, 'defines no program: nothing to run');
  applyProcinitToml(found.file, run.programs);
  yield;
  checkDependencies(run.programs);
  yield;
  yield* refuseNulSteps(run);
  checkNames(run.programs, opts);
  applyFormation(run, opts.formation);
  run.programs = selectPrograms(run.programs, opts.only);
  return run;
}

/** `.env` in the root (when present), then each -e file in order; later files win. */
export function readEnvFiles(root: string, opts: LoadOptions): Record<string, string> {
  const env: Record<string, string> = {};
  const dotenv = resolve(root, '.env');
  if (pathExists(dotenv)) Object.assign(env, readDotenvFile(dotenv));
  for (const f of opts.envFiles) {
    const file = resolve(opts.cwd, f);
    if (!pathExists(file)) throw new ConfigError(file, null, 'env file not found (-e/--env)');
    Object.assign(env, readDotenvFile(file));
  }
  return env;
}

/** -r, --can-die and --tty must name known types: a typo would silently change the policy. */
export function checkNames(programs: ProgramSpec[], opts: LoadOptions): void {
  const known = new Set(programs.flatMap((p) => [p.name, p.group]));
  const lists: Array<[string, string[] | 'all']> = [['--auto-restart', opts.autoRestart], ['--can-die', opts.canDie], ['--tty', opts.tty]];
  for (const [flag, list] of lists) {
    if (list === 'all') continue;
    const unknown = list.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new UsageError(`${flag}: unknown process type ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${[...new Set(programs.map((p) => p.name))].join(', ')})`);
    }
  }
}

/** `procinit up web worker`: keep only those (by program or group name). */
export function selectPrograms(programs: ProgramSpec[], only: string[]): ProgramSpec[] {
  if (only.length === 0) return programs;
  const known = new Set(programs.flatMap((p) => [p.name, p.group]));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown process type ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${[...new Set(programs.map((p) => p.name))].join(', ')})`,
    );
  }
  return programs.filter((p) => only.includes(p.name) || only.includes(p.group));
}

/** `-m web=2,worker=0` / `all=N`: re-instantiate each named program with N instances. */
export function applyFormation(run: RunSpec, formation: string | null): void {
  if (!formation) return;
  const counts = parseFormation(formation);
  const names = new Set(run.programs.map((p) => p.name));
  for (const name of Object.keys(counts)) {
    if (name !== 'all' && !names.has(name)) {
      throw new UsageError(`formation: unknown process type '${name}' (known: ${[...names].join(', ')})`);
    }
  }
  for (const program of run.programs) {
    const n = counts[program.name] ?? counts.all;
    if (n === undefined) continue;
    program.instances = Array.from({ length: n }, (_, i) => program.instantiate(program.firstInstance + i));
  }
}

/** The first text of a process that holds a NUL, as [key, value]; null when none does. */
function nulIn(spec: ProcessSpec): [string, string] | null {
  const has = (v: string | null | undefined): v is string => v != null && v.includes('\0');
  if (has(spec.name)) return ['name', spec.name];
  if (has(spec.command)) return ['command', spec.command];
  if (has(spec.directory)) return ['directory', spec.directory];
  if (has(spec.user)) return ['user', spec.user];
  for (const a of spec.argv ?? []) if (has(a)) return ['command', a];
  for (const k in spec.environment) {
    if (has(k)) return ['environment', k];
    if (has(spec.environment[k])) return ['environment', spec.environment[k]];
  }
  if (spec.stdoutLog.kind === 'file' && has(spec.stdoutLog.path)) return ['stdout_logfile', spec.stdoutLog.path];
  if (spec.stderrLog.kind === 'file' && has(spec.stderrLog.path)) return ['stderr_logfile', spec.stderrLog.path];
  return null;
}

/**
 * A NUL in any value is refused: the C world (execve, open) would cut the text short there, so what runs
 * would differ from what `check` shows. readTextFile refuses NUL bytes; this catches the escapes of TOML
 * and YAML (`"\u0000"`, `"\0"`) and whatever else produced one.
 */
export function refuseNul(run: RunSpec): void {
  drain(refuseNulSteps(run));
}

function* refuseNulSteps(run: RunSpec): Steps<void> {
  const where = run.file;
  for (const [key, value] of [['logfile', run.logfile], ['pidfile', run.pidfile], ['socket', run.socketPath], ['root', run.root]] as const) {
    if (value?.includes('\0')) throw new ConfigError(where, null, `NUL (\\0) in ${key}`);
  }
  for (const [k, v] of Object.entries(run.environment)) {
    if (k.includes('\0') || v.includes('\0')) throw new ConfigError(where, null, `NUL (\\0) in the environment (${oneLine(k)})`);
  }
  for (const program of run.programs) {
    for (const spec of program.instances) {
      const bad = nulIn(spec);
      if (bad) throw new ConfigError(spec.source.file, spec.source.line, `NUL (\\0) in ${bad[0]} of ${oneLine(spec.name)}: ${oneLine(bad[1])}`);
    }
    yield;
  }
}
