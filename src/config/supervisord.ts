/**
 * supervisord configuration files, read as supervisord 4.2 reads them (`ServerOptions.read_config`,
 * `process_groups_from_parser`, `processes_from_section`), into procinit's model.
 *
 * Sections: [supervisord], [program:x], [group:x], [include] (one level: an included file's own [include] is
 * ignored), [procinit] (procinit's own: on_fatal, on_idle, socket, tty, prefix), [unix_http_server] and [inet_http_server]
 * (supervisord-http.ts: where XML-RPC is served). [supervisorctl] and [rpcinterface:x] are accepted and
 * ignored; [eventlistener:x] is read by supervisord-listeners.ts into a program whose processes carry their
 * pool; [fcgi-program:x] is a program whose processes carry their group's socket (supervisord-fcgi.ts); any
 * other section is ignored with a warning.
 *
 * Values, defaults, expansions and refusals are supervisord's, with these deliberate differences:
 * - a file without [supervisord] but with [program:x] sections (a conf.d fragment) is accepted, with a warning;
 * - missing log directories, childlogdir, [supervisord] directory and unknown users are warnings, not errors
 *   (see host-view.ts);
 * - refused although supervisord takes them: negative startsecs, startretries, stopwaitsecs, numprocs,
 *   *_logfile_maxbytes and *_logfile_backups; stop signals 0, RTMIN, RTMAX; `%s` without a (name); a command
 *   that is missing, empty or not splittable (supervisord fails only when spawning it); an empty program name
 *   or a process name with a space, colon or slash after expansion; two processes with the same name in one
 *   group; two groups with the same name;
 * - [rpcinterface:x] is not validated (procinit does not use it), so its errors (or unset %(ENV_X)s in it)
 *   do not stop procinit.
 *
 * Mapping: one ProgramSpec per [program:x] and group it belongs to (a program listed in two groups runs
 * twice, as under supervisord); programs in supervisord's start order (groups by priority then name, a group's
 * programs in listed order, instances by process name). ProcessSpec.environment holds only the program's
 * `environment=`; [supervisord] environment goes to RunSpec.environment (over the env files).
 * Logs: /dev/stdout, /dev/fd/1, /proc/self/fd/1, /proc/1/fd/1 → mux; /dev/stderr, /dev/fd/2, /proc/self/fd/2,
 * /proc/1/fd/2 → stderr; NONE, OFF and /dev/null → none; AUTO (the default) → a file
 * `<childlogdir>/<process>-<stdout|stderr>---<identifier>-<8 random characters>.log` with the configured
 * rotation, as supervisord names it (auto-log-name.ts); with redirect_stderr, stderr gets stdout's target.
 */
import { dirname, isAbsolute, posix, resolve } from 'node:path';
import { askDirectories, isDirectoryPath } from './fs-answers.js';
import { autoLogName } from './auto-log-name.js';
import { drain, type Steps } from './steps.js';
import { ConfigError } from './errors.js';
import { expandTemplate, type Expansions } from './expand.js';
import { realHost, type HostView } from './host-view.js';
import { IniDocument, readIniFile, type IniValue } from './ini.js';
import { HungFileError, prefetch } from './text-file.js';
import { noHealth, type AutoRestart, type ConfigWarning, type LogTarget, type ProcessSpec, type ProgramSpec, type RunSpec, type SourceRef } from './model.js';
import { selects, type LoadOptions } from './options.js';
import { pyGlob } from './py-glob.js';
import { LISTENER_ONLY_KEYS, readListenerPool } from './supervisord-listeners.js';
import { FCGI_ONLY_KEYS, readFcgiSocket, withFcgiSocket } from './supervisord-fcgi.js';
import { readHttpServers, type HttpSectionSource } from './supervisord-http.js';
import { ShlexError, shlexSplit } from './shlex.js';
import {
  ValueError,
  autoRestart,
  boolean,
  byteSize,
  exitCodes,
  integer,
  keyValuePairs,
  listOfStrings,
  logfileName,
  loggingLevel,
  nonNegativeInteger,
  octal,
  processOrGroupName,
  pySplitWhitespace,
  setOwn,
  signalName,
} from './supervisord-types.js';

const PROGRAM_KEYS = new Set([
  'command', 'process_name', 'numprocs', 'numprocs_start', 'priority', 'autostart', 'autorestart', 'startsecs',
  'startretries', 'exitcodes', 'stopsignal', 'stopwaitsecs', 'stopasgroup', 'killasgroup', 'user',
  'redirect_stderr', 'environment', 'directory', 'umask', 'serverurl', 'tty',
  ...['stdout', 'stderr'].flatMap((s) =>
    ['logfile', 'logfile_maxbytes', 'logfile_backups', 'capture_maxbytes', 'events_enabled', 'syslog'].map((k) => `${s}_${k}`),
  ),
]);
const LISTENER_KEYS = new Set([...PROGRAM_KEYS, ...LISTENER_ONLY_KEYS]);
const FCGI_KEYS = new Set([...PROGRAM_KEYS, ...FCGI_ONLY_KEYS]);
const SUPERVISORD_KEYS = new Set([
  'logfile', 'logfile_maxbytes', 'logfile_backups', 'loglevel', 'pidfile', 'umask', 'nodaemon', 'silent', 'minfds',
  'minprocs', 'nocleanup', 'childlogdir', 'user', 'directory', 'strip_ansi', 'environment', 'identifier',
]);
const GROUP_KEYS = new Set(['programs', 'priority']);
const PROCINIT_KEYS = new Set(['on_fatal', 'on_idle', 'socket', 'tty', 'prefix']);
const IGNORED_SECTIONS = new Set(['unix_http_server', 'inet_http_server', 'supervisorctl', 'include', 'supervisord', 'procinit']);

/** `{{ name }}` (Jinja, Go templates) or `%%NAME%%` (a literal %NAME% after expansion): placeholders never filled. */
const UNFILLED_TEMPLATE = /\{\{[^}]*\}\}|%%[A-Za-z_][A-Za-z0-9_]*%%/;

const STDOUT_DEVICES = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1', '/proc/1/fd/1']);
const STDERR_DEVICES = new Set(['/dev/stderr', '/dev/fd/2', '/proc/self/fd/2', '/proc/1/fd/2']);

/** Read a supervisord config (and its includes) into a RunSpec. */
export function readSupervisordRun(file: string, opts: LoadOptions, fileEnv: Record<string, string>): RunSpec {
  return readSupervisordRunWith(file, opts, fileEnv, realHost());
}

/** readSupervisordRun with an explicit view of the host (tests). */
export function readSupervisordRunWith(
  file: string,
  opts: LoadOptions,
  fileEnv: Record<string, string>,
  host: HostView,
): RunSpec {
  return drain(readSupervisordRunSteps(file, opts, fileEnv, host));
}

/**
 * readSupervisordRun as steps: the generator yields between included files and between programs, so that
 * a caller on the event loop (reload) can read a config of thousands of files in slices (load.ts).
 */
export function readSupervisordRunSteps(
  file: string,
  opts: LoadOptions,
  fileEnv: Record<string, string>,
  host: HostView = realHost(),
): Steps<RunSpec> {
  return new SupervisordReader(resolve(opts.cwd, file), opts, fileEnv, host).steps();
}


/** A value as supervisord's `get` returns it: from the file (with its place) or a default (at the section). */
interface Got {
  value: string;
  file: string;
  line: number;
  /** True when the value came from the default, not the file. */
  isDefault: boolean;
}

interface Group {
  name: string;
  priority: number;
  programs: ProgramSpec[];
}

interface SupervisordSettings {
  here: string;
  identifier: string;
  childlogdir: string;
}

class SupervisordReader {
  private readonly doc = new IniDocument();
  /** Sections whose values still hold %(here)s after an expansion (a folder named with that text). */
  private readonly hereLeft = new Set<string>();
  private readonly here: string;
  private readonly warnings: ConfigWarning[] = [];
  /** What supervisord logs at INFO while reading (`Included extra file "…" during parsing`). */
  private readonly notes: ConfigWarning[] = [];
  /** ENV_X expansions: the inherited environment, the env files, then [supervisord] environment. */
  private readonly envExpansions: Record<string, string> = {};
  private readonly hostName: string;

  constructor(
    private readonly file: string,
    private readonly opts: LoadOptions,
    private readonly fileEnv: Record<string, string>,
    private readonly host: HostView,
  ) {
    this.here = dirname(file);
    this.hostName = host.hostname();
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) this.envExpansions[`ENV_${k}`] = v;
    for (const [k, v] of Object.entries(fileEnv)) this.envExpansions[`ENV_${k}`] = v;
  }

  *steps(): Generator<void, RunSpec, void> {
    readIniFile(this.file, this.doc);
    if (this.doc.hasSection('include')) yield* this.readIncludes();
    this.checkIsSupervisordConfig();
    this.warnAboutSections();

    const sup = this.readSupervisordSection();
    const procinit = this.readProcinitSection();
    const groups = yield* this.readGroups(sup, procinit.tty);
    const programs = groups.flatMap((g) => g.programs);
    if (programs.length === 0) this.warn(this.file, 1, 'no [program:x] sections: nothing to run');

    return {
      format: 'supervisord',
      file: this.file,
      root: sup.directory ?? this.opts.root ?? this.opts.cwd,
      programs,
      onFatal: procinit.onFatal,
      ...(procinit.onIdle === 'keep' ? { onIdle: 'keep' as const } : {}),
      socketPath: procinit.socketPath,
      logfile: sup.logfile,
      loglevel: sup.loglevel,
      pidfile: sup.pidfile,
      identifier: sup.identifier,
      environment: { ...this.fileEnv, ...sup.environment },
      umask: sup.umask,
      supervisordMode: {
        prefix: procinit.prefix,
        user: sup.user,
        silent: sup.silent,
        logfileMaxBytes: sup.logfileMaxBytes,
        logfileBackups: sup.logfileBackups,
        nocleanup: sup.nocleanup,
        childlogdir: sup.childlogdir,
        identifier: sup.identifier,
        stripAnsi: sup.stripAnsi,
      },
      warnings: this.warnings,
      notes: this.notes,
      rpc: this.readRpc(sup.identifier),
      nodaemon: sup.nodaemon,
    };
  }

  /** A conf.d fragment's http sections only add to the main config's: they are not read on their own. */
  private readRpc(identifier: string): RunSpec['rpc'] {
    if (!this.doc.hasSection('supervisord')) {
      for (const name of this.doc.sectionNames().filter((n) => /^(unix|inet)_http_server(:|$)/.test(n))) {
        const s = this.doc.sections.get(name)!;
        this.warn(s.file, s.line, `[${name}] in a file without [supervisord]: not served (the main config's sections are)`);
      }
      return { servers: [], identifier, serverurl: null };
    }
    return readHttpServers(this.httpSource(), identifier);
  }

  private httpSource(): HttpSectionSource {
    return {
      sectionNames: () => this.doc.sectionNames(),
      get: (section, key, here) => this.get(section, key, null, here ? { here: this.here } : {}),
      at: (section) => {
        const s = this.doc.sections.get(section);
        return { file: s?.file ?? this.file, line: s?.line ?? 1 };
      },
      cwd: this.opts.cwd,
      expandUser: (p) => this.expandUser(p),
    };
  }

  // --- files -------------------------------------------------------------------------------------------

  /** [include] files=: globs relative to this file, each sorted, read once (their own [include] is not followed). */
  private *readIncludes(): Generator<void, void, void> {
    this.expandHere(this.here);
    const files = this.doc.get('include', 'files');
    if (!files) {
      const s = this.doc.sections.get('include');
      throw new ConfigError(s?.file ?? this.file, s?.line ?? null, '[include] section has no files= setting');
    }
    const text = expandTemplate(
      files.value,
      { ...this.envExpansions, here: this.here, host_node_name: this.hostName },
      { file: files.file, line: files.line, what: 'include files' },
    );
    for (const pattern of pySplitWhitespace(text)) {
      const full = isAbsolute(pattern) ? pattern : `${this.here}/${pattern}`;
      const matches = pyGlob(full);
      if (matches.length === 0) {
        this.warn(files.file, files.line, `no file matches include ${JSON.stringify(full)}`);
        continue;
      }
      // under a reload's read-ahead: every match read (and asked whether it is a directory) at once, off the loop
      askDirectories(matches);
      prefetch(matches);
      for (const match of matches.sort()) {
        if (isDirectory(match)) {
          this.warn(files.file, files.line, `include: ${match} is a directory, skipped`);
          continue;
        }
        try {
          readIniFile(match, this.doc);
        } catch (err) {
          // Python's ConfigParser.read() skips files it cannot open; a file it cannot parse is an error.
          // ...but one that does not answer (a hung mount) is not skipped: the reload is refused
          if (!(err instanceof ConfigError) || err.line !== null || err instanceof HungFileError) throw err;
          this.warn(files.file, files.line, `include: ${match}: ${err.detail}, skipped`);
          continue;
        }
        this.notes.push({ file: files.file, line: files.line, message: `Included extra file "${match}" during parsing` });
        this.expandHere(dirname(resolve(match)));
        yield;
      }
    }
  }

  /** supervisord's expand_here: replace the text `%(here)s` in every value read so far (only with [include]). */
  private expandHere(here: string): void {
    // values expanded before hold no %(here)s any more, unless a folder's name holds that text: only the
    // sections read since the last call, and those left with one, can change
    const names = new Set([...this.doc.takeTouched(), ...this.hereLeft]);
    this.hereLeft.clear();
    for (const name of names) {
      for (const key of this.doc.keys(name)) {
        const v = this.doc.get(name, key) as IniValue;
        if (!v.value.includes('%(here)s')) continue;
        const value = v.value.split('%(here)s').join(here);
        this.doc.set(name, key, { ...v, value });
        if (value.includes('%(here)s')) this.hereLeft.add(name);
      }
    }
  }

  private checkIsSupervisordConfig(): void {
    if (this.doc.hasSection('supervisord')) return;
    const programs = this.doc.sectionNames().filter((s) => s.startsWith('program:') || s.startsWith('group:'));
    if (programs.length === 0) {
      throw new ConfigError(this.file, null, 'no [supervisord] section and no [program:x] sections: not a supervisord config');
    }
    this.warn(
      this.file,
      1,
      'no [supervisord] section: read as a conf.d fragment with supervisord defaults (supervisord itself refuses such a file)',
    );
  }

  private warnAboutSections(): void {
    for (const s of this.doc.sections.values()) {
      const name = s.name;
      if (name.startsWith('eventlistener:')) {
        continue;
      } else if (name.startsWith('fcgi-program:')) {
        continue;
      } else if (
        !IGNORED_SECTIONS.has(name) &&
        !name.startsWith('unix_http_server:') &&
        !name.startsWith('inet_http_server:') &&
        !name.startsWith('program:') &&
        !name.startsWith('group:') &&
        !name.startsWith('rpcinterface:')
      ) {
        this.warn(s.file, s.line, `unknown section [${name}] ignored (supervisord ignores it too)`);
      }
    }
  }

  // --- getting values ----------------------------------------------------------------------------------

  private warn(file: string, line: number, message: string): void {
    if (!this.warnings.some((w) => w.file === file && w.line === line && w.message === message)) {
      this.warnings.push({ file, line, message });
    }
  }

  /** supervisord's saneget: the raw value or the default, expanded when `expansions` is given. */
  private get(section: string, key: string, dflt: string, expansions: Expansions | null): Got;
  private get(section: string, key: string, dflt: null, expansions: Expansions | null): Got | null;
  private get(section: string, key: string, dflt: string | null, expansions: Expansions | null): Got | null {
    const found = this.doc.get(section, key);
    const s = this.doc.sections.get(section);
    const got: Got | null = found
      ? { value: found.value, file: found.file, line: found.line, isDefault: false }
      : dflt === null
        ? null
        : { value: dflt, file: s?.file ?? this.file, line: s?.line ?? 1, isDefault: true };
    // no % at all: nothing to expand (and no copy of every ENV_ name: 5,000 programs made millions)
    if (got === null || expansions === null || !got.value.includes('%')) return got;
    const value = expandTemplate(got.value, { ...this.envExpansions, ...expansions }, {
      file: got.file,
      line: got.line,
      what: `[${section}] ${key}`,
    });
    return { ...got, value };
  }

  /** Convert a value; a ValueError becomes ConfigError(file, line, "[section] key: why"). */
  private conv<T>(section: string, key: string, got: Got, fn: (v: string) => T): T {
    try {
      return fn(got.value);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      throw new ConfigError(got.file, got.line, `[${section}] ${key}: ${err.message}`);
    }
  }

  private warnUnknownKeys(section: string, known: Set<string>, why: string): void {
    const s = this.doc.sections.get(section);
    if (!s) return;
    for (const [key, v] of s.options) {
      if (!known.has(key)) this.warn(v.file, v.line, `[${section}]: unknown option '${key}' ignored (${why})`);
    }
  }

  // --- [supervisord] and [procinit] ---------------------------------------------------------------------

  private readSupervisordSection(): SupervisordSettings & {
    nodaemon: boolean;
    directory: string | null;
    umask: number | null;
    logfile: string | null;
    loglevel: string | null;
    pidfile: string | null;
    environment: Record<string, string>;
    user: string | null;
    silent: boolean;
    logfileMaxBytes: number;
    logfileBackups: number;
    nocleanup: boolean;
    stripAnsi: boolean;
  } {
    const S = 'supervisord';
    const ex: Expansions = { here: this.here };
    const get = (key: string, dflt: string): Got => this.get(S, key, dflt, ex);
    const present = (key: string): boolean => this.doc.get(S, key) !== undefined;
    this.warnUnknownKeys(S, SUPERVISORD_KEYS, 'supervisord ignores it too');

    this.conv(S, 'minfds', get('minfds', '1024'), integer);
    this.conv(S, 'minprocs', get('minprocs', '200'), integer);
    let directory: string | null = null;
    if (present('directory')) {
      const d = get('directory', '');
      directory = resolve(this.opts.cwd, this.expandUser(d.value));
      if (!this.host.isDirectory(directory)) {
        this.warn(d.file, d.line, `[supervisord] directory: ${d.value} does not exist here (supervisord refuses such a config)`);
      }
    }
    const user = this.doc.get(S, 'user') ? get('user', '') : null;
    // procinit drops to this user at start; a user that does not exist is refused, as supervisord does
    if (user && this.host.userExists(user.value) === false) {
      throw new ConfigError(user.file, user.line, `[supervisord] user: invalid user name ${user.value} (no such user here)`);
    }
    const umaskGot = get('umask', '022');
    const umask = this.conv(S, 'umask', umaskGot, octal);
    const logfileGot = get('logfile', 'supervisord.log');
    this.checkDirOf(S, 'logfile', logfileGot);
    const logfileMaxBytes = this.conv(S, 'logfile_maxbytes', get('logfile_maxbytes', '50MB'), byteSize);
    const logfileBackups = this.conv(S, 'logfile_backups', get('logfile_backups', '10'), integer);
    const loglevel = this.conv(S, 'loglevel', get('loglevel', 'info'), loggingLevel);
    const pidfileGot = get('pidfile', 'supervisord.pid');
    this.checkDirOf(S, 'pidfile', pidfileGot);
    const identifier = get('identifier', 'supervisor').value;
    const nodaemon = this.conv(S, 'nodaemon', get('nodaemon', 'false'), boolean);
    const silent = this.conv(S, 'silent', get('silent', 'false'), boolean);
    const childlogdirGot = get('childlogdir', this.defaultTempDir());
    const childlogdir = resolve(this.opts.cwd, this.expandUser(childlogdirGot.value));
    if (!this.host.isDirectory(childlogdir)) {
      this.warn(childlogdirGot.file, childlogdirGot.line, `[supervisord] childlogdir: ${childlogdirGot.value} does not exist here (supervisord refuses such a config)`);
    }
    const nocleanup = this.conv(S, 'nocleanup', get('nocleanup', 'false'), boolean);
    const stripAnsi = this.conv(S, 'strip_ansi', get('strip_ansi', 'false'), boolean);

    // supervisord expands [supervisord] environment twice: once in get(), once more here.
    const envGot = get('environment', '');
    const envText = expandTemplate(envGot.value, { ...this.envExpansions, here: this.here, host_node_name: this.hostName }, {
      file: envGot.file,
      line: envGot.line,
      what: '[supervisord] environment',
    });
    const environment = this.parseEnvironment(S, { ...envGot, value: envText });
    for (const [k, v] of Object.entries(environment)) this.envExpansions[`ENV_${k}`] = v;

    return {
      here: this.here,
      nodaemon,
      identifier,
      childlogdir,
      directory,
      umask: present('umask') ? umask : null,
      logfile: present('logfile') ? this.ownLogPath(logfileGot) : null,
      loglevel: present('loglevel') ? loglevel : null,
      pidfile: present('pidfile') ? resolve(this.opts.cwd, this.expandUser(pidfileGot.value)) : null,
      environment,
      user: user ? user.value : null,
      silent,
      logfileMaxBytes: Math.max(0, logfileMaxBytes),
      logfileBackups: Math.max(0, logfileBackups),
      nocleanup,
      stripAnsi,
    };
  }

  /** [supervisord] logfile as procinit's log destination: null (stdout) for stdout devices, /dev/null and syslog. */
  private ownLogPath(got: Got): string | null {
    const v = got.value;
    if (v === 'syslog') {
      this.warn(got.file, got.line, '[supervisord] logfile=syslog is not supported by procinit; logging to stdout');
      return null;
    }
    const path = posix.normalize(resolve(this.opts.cwd, this.expandUser(v)));
    if (STDOUT_DEVICES.has(path) || path === '/dev/null') return null;
    return path;
  }

  private readProcinitSection(): { onFatal: 'shutdown' | 'keep'; onIdle: 'shutdown' | 'keep'; socketPath: string | null; tty: boolean; prefix: boolean } {
    const P = 'procinit';
    const section = this.doc.sections.get(P);
    if (!section) return { onFatal: 'shutdown', onIdle: 'shutdown', socketPath: null, tty: false, prefix: false };
    for (const [key, v] of section.options) {
      if (!PROCINIT_KEYS.has(key)) {
        throw new ConfigError(v.file, v.line, `[procinit]: unknown option '${key}' (known: ${[...PROCINIT_KEYS].join(', ')})`);
      }
    }
    const ex: Expansions = { here: this.here, host_node_name: this.hostName };
    const onFatalGot = this.get(P, 'on_fatal', 'shutdown', ex);
    const onFatal = onFatalGot.value.trim().toLowerCase();
    if (onFatal !== 'shutdown' && onFatal !== 'keep') {
      throw new ConfigError(onFatalGot.file, onFatalGot.line, `[procinit] on_fatal: ${JSON.stringify(onFatalGot.value)} is not shutdown or keep`);
    }
    const onIdleGot = this.get(P, 'on_idle', 'shutdown', ex);
    const onIdle = onIdleGot.value.trim().toLowerCase();
    if (onIdle !== 'shutdown' && onIdle !== 'keep') {
      throw new ConfigError(onIdleGot.file, onIdleGot.line, `[procinit] on_idle: ${JSON.stringify(onIdleGot.value)} is not shutdown or keep`);
    }
    const socketGot = this.get(P, 'socket', null, ex);
    let socketPath: string | null = null;
    if (socketGot) {
      if (socketGot.value === '') throw new ConfigError(socketGot.file, socketGot.line, '[procinit] socket: empty path');
      socketPath = resolve(dirname(socketGot.file), this.expandUser(socketGot.value));
    }
    const tty = this.conv(P, 'tty', this.get(P, 'tty', 'false', ex), boolean);
    const prefix = this.conv(P, 'prefix', this.get(P, 'prefix', 'false', ex), boolean);
    return { onFatal, onIdle, socketPath, tty, prefix };
  }

  // --- groups and programs -----------------------------------------------------------------------------

  private *readGroups(sup: SupervisordSettings, ttyAll: boolean): Generator<void, Group[], void> {
    const groups: Group[] = [];
    const inGroup = new Set<string>();
    const sections = this.doc.sectionNames();
    const known = new Set(sections);
    const ex: Expansions = { here: this.here };

    for (const section of sections) {
      if (!section.startsWith('group:')) continue;
      this.warnUnknownKeys(section, GROUP_KEYS, 'supervisord ignores it too');
      const header = this.doc.sections.get(section) as { file: string; line: number };
      const name = this.name(section, section.slice('group:'.length), header);
      const programsGot = this.get(section, 'programs', null, ex);
      const names = listOfStrings(programsGot?.value ?? null);
      const priority = this.conv(section, 'priority', this.get(section, 'priority', '999', ex), integer);
      const group: Group = { name, priority, programs: [] };
      for (const program of names) {
        const where = programsGot as Got;
        const isProgram = known.has(`program:${program}`);
        const isFcgi = known.has(`fcgi-program:${program}`);
        if (!isProgram && !isFcgi) {
          throw new ConfigError(where.file, where.line, `[${section}] names unknown program ${JSON.stringify(program)}`);
        }
        if (isProgram && isFcgi) {
          throw new ConfigError(where.file, where.line, `[${section}] name ${program} is ambiguous (exists as program and fcgi-program)`);
        }
        if (isFcgi) {
          inGroup.add(`fcgi-program:${program}`);
          group.programs.push(this.readFcgi(`fcgi-program:${program}`, name, sup, ttyAll));
          continue;
        }
        if (group.programs.some((p) => p.name === program)) {
          throw new ConfigError(where.file, where.line, `[${section}] lists program ${program} twice`);
        }
        inGroup.add(`program:${program}`);
        group.programs.push(this.readProgram(`program:${program}`, name, sup, ttyAll));
        yield;
      }
      this.checkUniqueProcessNames(group, section);
      groups.push(group);
    }

    // a [program:x] or [fcgi-program:x] in no [group:]: a group of its own, named after it (programs first)
    const ownGroups = [
      ['program:', (section: string, name: string) => this.readProgram(section, name, sup, ttyAll)],
      ['fcgi-program:', (section: string, name: string) => this.readFcgi(section, name, sup, ttyAll)],
    ] as const;
    for (const [kind, read] of ownGroups) {
      for (const section of sections) {
        if (!section.startsWith(kind) || inGroup.has(section)) continue;
        const header = this.doc.sections.get(section) as { file: string; line: number };
        const name = this.name(section, section.slice(kind.length), header);
        const priority = this.conv(section, 'priority', this.get(section, 'priority', '999', ex), integer);
        const group: Group = { name, priority, programs: [read(section, name)] };
        this.checkUniqueProcessNames(group, section);
        groups.push(group);
        yield;
      }
    }

    for (const section of sections) {
      if (!section.startsWith('eventlistener:')) continue;
      const pool = readListenerPool(section, {
        get: (key, dflt) => this.get(section, key, dflt, ex),
        readProgram: (group) => this.readProgram(section, group, sup, ttyAll),
      });
      groups.push({ name: pool.name, priority: pool.priority, programs: [pool.program] });
    }

    const seen = new Map<string, string>();
    for (const g of groups) {
      const first = seen.get(g.name);
      if (first !== undefined) {
        const s = this.doc.sections.get(`group:${g.name}`) ?? this.doc.sections.get(`program:${g.name}`);
        throw new ConfigError(s?.file ?? this.file, s?.line ?? null, `two groups are named ${g.name} (a [group:${g.name}] and a [program:${g.name}] outside any group?)`);
      }
      seen.set(g.name, g.name);
    }
    // Python's stable sort by (priority, name).
    return groups.sort((a, b) => a.priority - b.priority || compareStrings(a.name, b.name));
  }

  /** One [fcgi-program:x] in one group: its socket (one per group), then its processes as a [program:x]'s. */
  private readFcgi(section: string, groupName: string, sup: SupervisordSettings, ttyAll: boolean): ProgramSpec {
    const header = this.doc.sections.get(section) as { file: string; line: number };
    const programName = this.name(section, section.slice(section.indexOf(':') + 1), header);
    const socket = readFcgiSocket(section, programName, groupName, {
      get: (key, extra) => this.get(section, key, null, { here: this.here, ...(extra ?? {}) }),
      header,
      userExists: (name) => this.host.userExists(name),
      warn: (file, line, message) => this.warn(file, line, message),
    });
    return withFcgiSocket(this.readProgram(section, groupName, sup, ttyAll), socket);
  }

  private checkUniqueProcessNames(group: Group, section: string): void {
    const names = new Map<string, string>();
    for (const p of group.programs) {
      for (const inst of p.instances) {
        const other = names.get(inst.name);
        if (other !== undefined) {
          const who = other === p.name ? `program ${p.name} makes two processes` : `programs ${other} and ${p.name} both make a process`;
          throw new ConfigError(p.source.file, p.source.line, `[${section}]: ${who} named ${inst.name} (process_name must differ)`);
        }
        names.set(inst.name, p.name);
      }
    }
  }

  /** A program or group name from a section header (process_or_group_name), refused when empty. */
  private name(section: string, raw: string, at: { file: string; line: number }): string {
    let name: string;
    try {
      name = processOrGroupName(raw);
    } catch (err) {
      throw new ConfigError(at.file, at.line, `[${section}]: ${(err as Error).message}`);
    }
    if (name === '') throw new ConfigError(at.file, at.line, `[${section}]: empty name`);
    return name;
  }

  /** One [program:x] in one group: supervisord's processes_from_section. */
  private readProgram(section: string, groupName: string, sup: SupervisordSettings, ttyAll: boolean): ProgramSpec {
    const header = this.doc.sections.get(section) as { file: string; line: number };
    const source: SourceRef = { file: header.file, line: header.line };
    const programName = this.name(section, section.slice(section.indexOf(':') + 1), header);
    const known = section.startsWith('eventlistener:') ? LISTENER_KEYS : section.startsWith('fcgi-program:') ? FCGI_KEYS : PROGRAM_KEYS;
    this.warnUnknownKeys(section, known, 'supervisord ignores it');
    const common: Record<string, string | number> = {
      here: this.here,
      program_name: programName,
      host_node_name: this.hostName,
      group_name: groupName,
    };
    const get = (key: string, dflt: string): Got => this.get(section, key, dflt, common);
    const conv = <T>(key: string, dflt: string, fn: (v: string) => T): T => this.conv(section, key, get(key, dflt), fn);

    const priority = conv('priority', '999', integer);
    const autostart = conv('autostart', 'true', boolean);
    const autorestart: AutoRestart = conv('autorestart', 'unexpected', autoRestart);
    const startsecs = conv('startsecs', '1', nonNegativeInteger);
    const startretries = conv('startretries', '3', nonNegativeInteger);
    const stopsignal = conv('stopsignal', 'TERM', signalName);
    const stopwaitsecs = conv('stopwaitsecs', '10', nonNegativeInteger);
    const stopasgroup = conv('stopasgroup', 'false', boolean);
    const killasgroup = conv('killasgroup', stopasgroup ? 'true' : 'false', boolean);
    const exitcodes = conv('exitcodes', '0', exitCodes);
    const redirectStderr = conv('redirect_stderr', 'false', boolean);
    const numprocs = conv('numprocs', '1', nonNegativeInteger);
    const numprocsStart = conv('numprocs_start', '0', integer);
    const environmentRaw = this.get(section, 'environment', '', null);
    const channelEvents = (s: 'stdout' | 'stderr'): { eventsEnabled: boolean; captureMaxBytes: number } => ({
      captureMaxBytes: conv(`${s}_capture_maxbytes`, '0', byteSize),
      eventsEnabled: conv(`${s}_events_enabled`, 'false', boolean),
    });
    const outputEvents = { stdout: channelEvents('stdout'), stderr: channelEvents('stderr') };
    const hasOutputEvents = [outputEvents.stdout, outputEvents.stderr].some((c) => c.eventsEnabled || c.captureMaxBytes > 0);
    this.get(section, 'serverurl', null, common);
    const userGot = this.get(section, 'user', null, common);
    if (userGot) this.checkUser(section, userGot);
    const umaskGot = this.get(section, 'umask', null, common);
    const umask = umaskGot ? this.conv(section, 'umask', umaskGot, octal) : null;
    const processNameGot = this.get(section, 'process_name', '%(program_name)s', null);
    const processName = this.conv(section, 'process_name', processNameGot, processOrGroupName);
    if (numprocs > 1 && !processName.includes('%(process_num)')) {
      const at = processNameGot.isDefault ? get('numprocs', '1') : processNameGot;
      throw new ConfigError(
        at.file,
        at.line,
        `[${section}] numprocs=${numprocs} needs %(process_num) in process_name (e.g. process_name=%(program_name)s_%(process_num)02d), as supervisord requires`,
      );
    }
    if (stopasgroup && !killasgroup) {
      const g = get('killasgroup', 'false');
      throw new ConfigError(g.file, g.line, `[${section}] cannot set stopasgroup=true and killasgroup=false`);
    }
    const commandRaw = this.doc.get(section, 'command');
    if (!commandRaw) throw new ConfigError(header.file, header.line, `[${section}] does not specify a command`);
    if (UNFILLED_TEMPLATE.test(commandRaw.value)) {
      this.warn(commandRaw.file, commandRaw.line, `[${section}] command looks like an unfilled template (${UNFILLED_TEMPLATE.exec(commandRaw.value)?.[0]}); it runs as written`);
    }
    const ttyOwn = conv('tty', 'false', boolean);
    const tty = ttyAll || selects(this.opts.tty, programName) || ttyOwn;

    const instantiate = (processNum: number): ProcessSpec => {
      const ex: Record<string, string | number> = {
        ...common,
        process_num: processNum,
        numprocs,
        ...this.envExpansions,
      };
      const envText = expandTemplate(environmentRaw.value, ex, {
        file: environmentRaw.file,
        line: environmentRaw.line,
        what: `[${section}] environment`,
      });
      const environment = this.parseEnvironment(section, { ...environmentRaw, value: envText });
      for (const [k, v] of Object.entries(environment)) ex[`ENV_${k}`] = v;
      const directoryGot = this.get(section, 'directory', null, ex);
      const logs = {
        stdout: this.logTarget(section, 'stdout', ex),
        stderr: this.logTarget(section, 'stderr', ex),
      };
      const command = this.get(section, 'command', '', ex);
      const name = expandTemplate(processName, ex, { file: processNameGot.file, line: processNameGot.line, what: `[${section}] process_name` });
      if (/[ :/]/.test(name) || name === '') {
        throw new ConfigError(processNameGot.file, processNameGot.line, `[${section}] process_name expands to ${JSON.stringify(name)}, which is empty or holds a space, colon or slash`);
      }
      const argv = this.splitCommand(section, command);
      const resolveAuto = (channel: 'stdout' | 'stderr', t: LogTarget | 'auto'): LogTarget =>
        t === 'auto'
          ? {
              kind: 'file',
              path: autoLogName(sup.childlogdir, name, channel, sup.identifier),
              maxBytes: logs[channel].maxBytes,
              backups: logs[channel].backups,
            }
          : t;
      const stdoutLog = resolveAuto('stdout', logs.stdout.target);
      let stderrLog = resolveAuto('stderr', logs.stderr.target);
      if (redirectStderr) {
        if (logs.stderr.explicitPath) {
          this.warn(logs.stderr.got.file, logs.stderr.got.line, `[${section}] redirect_stderr=true, so stderr_logfile is ignored (as supervisord does)`);
        }
        stderrLog = { ...stdoutLog };
      }
      return {
        group: groupName,
        name,
        command: command.value,
        directory: directoryGot ? directoryGot.value : null,
        user: userGot ? userGot.value : null,
        umask,
        environment,
        autostart,
        autorestart,
        exitcodes: [...exitcodes],
        startsecs,
        startretries,
        stopwaitsecs,
        priority,
        stopsignal,
        stopasgroup,
        killasgroup,
        redirect_stderr: redirectStderr,
        program: programName,
        instance: processNum,
        argv,
        tty,
        stdoutLog,
        stderrLog,
        exitEndsRun: false,
        restartBackoff: null,
        source: { ...source },
        ...(hasOutputEvents ? { outputEvents } : {}),
      };
    };

    const instances = Array.from({ length: numprocs }, (_, i) => instantiate(numprocsStart + i)).sort((a, b) =>
      compareStrings(a.name, b.name),
    );
    return { name: programName, group: groupName, instances, instantiate, firstInstance: numprocsStart, source, health: noHealth() };
  }

  private splitCommand(section: string, command: Got): string[] {
    let argv: string[];
    try {
      argv = shlexSplit(command.value);
    } catch (err) {
      if (!(err instanceof ShlexError)) throw err;
      throw new ConfigError(command.file, command.line, `[${section}] command: cannot split ${JSON.stringify(command.value)}: ${err.message}`);
    }
    if (argv.length === 0) throw new ConfigError(command.file, command.line, `[${section}] command is empty`);
    return argv;
  }

  /** One stream's *_logfile, *_logfile_backups, *_logfile_maxbytes and *_syslog, in supervisord's order. */
  private logTarget(
    section: string,
    channel: 'stdout' | 'stderr',
    ex: Expansions,
  ): { target: LogTarget | 'auto'; maxBytes: number; backups: number; got: Got; explicitPath: boolean } {
    const key = `${channel}_logfile`;
    const once = this.get(section, key, null, ex);
    // supervisord expands *_logfile twice (saneget, then expand() again): `%%%%` gives one `%`.
    const found = once && {
      ...once,
      value: expandTemplate(once.value, { ...this.envExpansions, ...ex }, { file: once.file, line: once.line, what: `[${section}] ${key}` }),
    };
    const name = found ? logfileName(found.value) : ({ kind: 'auto' } as const);
    const got = found ?? this.get(section, key, 'AUTO', null);
    const backups = this.conv(section, `${key}_backups`, this.get(section, `${key}_backups`, '10', ex), nonNegativeInteger);
    const maxBytesGot = this.get(section, `${key}_maxbytes`, '50MB', ex);
    const maxBytes = this.conv(section, `${key}_maxbytes`, maxBytesGot, byteSize);
    if (maxBytes < 0) throw new ConfigError(maxBytesGot.file, maxBytesGot.line, `[${section}] ${key}_maxbytes: ${JSON.stringify(maxBytesGot.value)} is negative`);
    const syslogGot = this.get(section, `${channel}_syslog`, 'false', ex);
    const syslog = this.conv(section, `${channel}_syslog`, syslogGot, boolean);
    if (syslog || name.kind === 'syslog') {
      const at = name.kind === 'syslog' ? got : syslogGot;
      this.warn(at.file, at.line, `[${section}] logging to syslog is not supported by procinit; ${channel} is kept in memory only`);
    }
    if (name.kind === 'auto' && maxBytes === 0) {
      this.warn(got.file, got.line, `[${section}] AUTO logging used for ${key} without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally`);
    }
    let target: LogTarget | 'auto';
    if (name.kind === 'none' || name.kind === 'syslog') target = { kind: 'none' };
    else if (name.kind === 'auto') target = 'auto';
    else target = this.pathTarget(section, key, { ...got, value: name.path }, maxBytes, backups);
    return { target, maxBytes, backups, got, explicitPath: name.kind === 'path' };
  }

  private pathTarget(section: string, key: string, got: Got, maxBytes: number, backups: number): LogTarget {
    const path = posix.normalize(resolve(this.opts.cwd, this.expandUser(got.value)));
    if (STDOUT_DEVICES.has(path)) return { kind: 'mux' };
    if (STDERR_DEVICES.has(path)) return { kind: 'stderr' };
    if (path === '/dev/null') return { kind: 'none' };
    this.checkDirOf(section, key, got);
    return { kind: 'file', path, maxBytes, backups };
  }

  // --- helpers -----------------------------------------------------------------------------------------

  /** `environment=` through dict_of_key_value_pairs; its silent drops become warnings. */
  private parseEnvironment(section: string, got: Got): Record<string, string> {
    const { pairs, oddities } = this.conv(section, 'environment', got, keyValuePairs);
    for (const o of oddities) this.warn(got.file, got.line, `[${section}] environment: ${o}`);
    return pairs;
  }

  /** supervisord's existing_dirpath: the file's directory must exist (a warning here). */
  private checkDirOf(section: string, key: string, got: Got): void {
    const path = this.expandUser(got.value);
    const dir = posix.dirname(path);
    if (!path.includes('/') || dir === '') return;
    if (!this.host.isDirectory(resolve(this.opts.cwd, dir))) {
      this.warn(got.file, got.line, `[${section}] ${key}: directory ${dir} does not exist here (supervisord refuses such a config)`);
    }
  }

  /** supervisord's name_to_uid: the user must exist (a warning here). */
  private checkUser(section: string, got: Got): void {
    if (this.host.userExists(got.value) === false) {
      this.warn(got.file, got.line, `[${section}] user: no user ${JSON.stringify(got.value)} here (supervisord refuses such a config)`);
    }
  }

  /** Python's os.path.expanduser. */
  private expandUser(path: string): string {
    if (!path.startsWith('~')) return path;
    const slash = path.indexOf('/', 1);
    const end = slash === -1 ? path.length : slash;
    const user = path.slice(1, end);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const home = user === '' ? (this.opts.env.HOME ?? (require('node:os') as typeof import('node:os')).homedir()) : this.host.homeOf(user);
    if (home === null) return path;
    return (home.replace(/\/+$/, '') + path.slice(end)) || '/';
  }

  /** Python's tempfile.gettempdir() (TMPDIR, TEMP, TMP, then /tmp). */
  private defaultTempDir(): string {
    const env = this.opts.env;
    return env.TMPDIR || env.TEMP || env.TMP || '/tmp';
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Under a reload, answered off the event loop (fs-answers.ts). */
function isDirectory(p: string): boolean {
  return isDirectoryPath(p);
}
