/**
 * supervisorctl's actions, output and exit statuses as supervisor/supervisorctl.py has them (4.2): each
 * action calls the same XML-RPC methods and prints the same lines, so scripts that parse supervisorctl keep
 * working. Exit statuses: LSB init codes, and for `status` 3 (something not running) / 4 (unknown name, no server).
 */
import { HELP } from './help.js';
import { fgAction, type LineInput } from './fg.js';
import { call, Fault, HttpStatusError, stream, type ServerRef } from './transport.js';

const F = { BAD_NAME: 10, BAD_SIGNAL: 11, NO_FILE: 20, NOT_EXECUTABLE: 21, FAILED: 30, ABNORMAL_TERMINATION: 40, SPAWN_ERROR: 50, ALREADY_STARTED: 60, NOT_RUNNING: 70, SUCCESS: 80, ALREADY_ADDED: 90, STILL_RUNNING: 91, SHUTDOWN_STATE: 6, UNKNOWN_METHOD: 1 };
const DEAD_PROGRAM_FAULTS = new Set([F.SPAWN_ERROR, F.ABNORMAL_TERMINATION, F.NOT_RUNNING]);
export const LSB = { SUCCESS: 0, GENERIC: 1, INVALID_ARGS: 2, UNIMPLEMENTED_FEATURE: 3, INSUFFICIENT_PRIVILEGES: 4, NOT_INSTALLED: 5, NOT_RUNNING: 7 };
const STATUS_NOT_RUNNING = 3;
const STATUS_UNKNOWN = 4;
const STOPPED_STATES = new Set([0, 100, 200]);

interface ResultStruct {
  name: string;
  group: string;
  status: number;
  description: string;
}

interface Info {
  name: string;
  group: string;
  state: number;
  statename: string;
  description: string;
  pid: number;
}

export interface Ctl {
  server: ServerRef;
  interactive: boolean;
  exitstatus: number;
  out(line: string): void;
  /** Ask y/N in interactive mode. */
  confirm(question: string): Promise<boolean>;
  /** Typed lines for fg (the prompt's, or stdin's from the command line). */
  input(): LineInput;
}

export const namespec = (group: string, name: string): string => (group === name ? name : `${group}:${name}`);

function splitNamespec(spec: string): [string, string | null] {
  const c = spec.indexOf(':');
  if (c < 0) return [spec, spec];
  const name = spec.slice(c + 1);
  return [spec.slice(0, c), name === '' || name === '*' ? null : name];
}

function exitFromFault(ctl: Ctl, code: number, ignored?: number): void {
  if (code === ignored || code === F.SUCCESS) return;
  ctl.exitstatus = DEAD_PROGRAM_FAULTS.has(code) ? LSB.NOT_RUNNING : LSB.GENERIC;
}

const rpc = (ctl: Ctl, method: string, ...params: unknown[]): Promise<unknown> => call(ctl.server, `supervisor.${method}`, params);
/** rpc with its parameters as one array (no call spread of a list: test/unit/no-call-spread.test.ts). */
const rpcList = (ctl: Ctl, method: string, params: unknown[]): Promise<unknown> => call(ctl.server, `supervisor.${method}`, params);

/** Is supervisord there and speaking API 3.0? Prints what supervisorctl prints when not. */
export async function upcheck(ctl: Ctl): Promise<boolean> {
  try {
    const api = await rpc(ctl, 'getVersion');
    if (api !== '3.0') {
      ctl.out(`Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, but the remote version is ${String(api)}.`);
      ctl.exitstatus = LSB.NOT_INSTALLED;
      return false;
    }
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') {
      ctl.out(`${ctl.server.url} refused connection`);
      ctl.exitstatus = LSB.INSUFFICIENT_PRIVILEGES;
      return false;
    }
    if (code === 'ENOENT') {
      ctl.out(`${ctl.server.url} no such file`);
      ctl.exitstatus = LSB.NOT_RUNNING;
      return false;
    }
    throw err;
  }
}

function startResult(r: ResultStruct): string {
  const name = namespec(r.group, r.name);
  const m: Record<number, string> = {
    [F.BAD_NAME]: 'no such process',
    [F.NO_FILE]: 'no such file',
    [F.NOT_EXECUTABLE]: 'file is not executable',
    [F.ALREADY_STARTED]: 'already started',
    [F.SPAWN_ERROR]: 'spawn error',
    [F.ABNORMAL_TERMINATION]: 'abnormal termination',
  };
  if (r.status === F.SUCCESS) return `${name}: started`;
  return `${name}: ERROR (${m[r.status] ?? r.description})`;
}

function signalResult(r: ResultStruct, success = 'signalled'): string {
  const name = namespec(r.group, r.name);
  const m: Record<number, string> = { [F.BAD_NAME]: 'no such process', [F.BAD_SIGNAL]: 'bad signal name', [F.NOT_RUNNING]: 'not running' };
  if (r.status === F.SUCCESS) return `${name}: ${success}`;
  if (r.status === F.FAILED) return r.description;
  return `${name}: ERROR (${m[r.status] ?? r.description})`;
}

function clearResult(r: ResultStruct): string {
  const name = namespec(r.group, r.name);
  if (r.status === F.SUCCESS) return `${name}: cleared`;
  return `${name}: ERROR (${r.status === F.BAD_NAME ? 'no such process' : 'failed'})`;
}

/** What start, stop and signal differ in; they share the walk over names (overNames). */
interface NamesAction {
  /** the XML-RPC methods are `${verb}AllProcesses`, `${verb}ProcessGroup` and `${verb}Process` */
  verb: 'start' | 'stop' | 'signal';
  /** the line for a name done without a fault: "name: started" */
  done: string;
  format: (r: ResultStruct) => string;
  /** the fault that leaves the exit status alone (already started, not running) */
  ignored?: number;
  /** the exit status for "no such group" */
  noGroupStatus: number;
}

const NAMES_ACTIONS: Record<NamesAction['verb'], NamesAction> = {
  start: { verb: 'start', done: 'started', format: startResult, ignored: F.ALREADY_STARTED, noGroupStatus: LSB.INVALID_ARGS },
  stop: { verb: 'stop', done: 'stopped', format: (r) => signalResult(r, 'stopped'), ignored: F.NOT_RUNNING, noGroupStatus: LSB.GENERIC },
  signal: { verb: 'signal', done: 'signalled', format: (r) => signalResult(r), noGroupStatus: LSB.GENERIC },
};

/** start/stop/signal over names: all, group:*, name, each with its own result line. extra: the signal name. */
async function overNames(ctl: Ctl, names: string[], a: NamesAction, ...extra: unknown[]): Promise<void> {
  const report = (r: ResultStruct): void => {
    ctl.out(a.format(r));
    exitFromFault(ctl, r.status, a.ignored);
  };
  if (names.includes('all')) {
    for (const r of (await rpcList(ctl, `${a.verb}AllProcesses`, extra)) as ResultStruct[]) report(r);
    return;
  }
  for (const name of names) {
    const [group, proc] = splitNamespec(name);
    if (proc === null) {
      try {
        for (const r of (await rpcList(ctl, `${a.verb}ProcessGroup`, ([group] as unknown[]).concat(extra))) as ResultStruct[]) report(r);
      } catch (err) {
        if (err instanceof Fault && err.code === F.BAD_NAME) {
          ctl.out(`${group}: ERROR (no such group)`);
          ctl.exitstatus = a.noGroupStatus;
        } else {
          ctl.exitstatus = LSB.GENERIC;
          throw err;
        }
      }
      continue;
    }
    try {
      await rpcList(ctl, `${a.verb}Process`, ([name] as unknown[]).concat(extra));
      ctl.out(`${namespec(group, proc)}: ${a.done}`);
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      report({ status: err.code, name: proc, group, description: err.text });
    }
  }
}

/** A usage error as supervisorctl prints it: the error, the action's help, the exit status. */
function usage(ctl: Ctl, action: string, error: string, status: number = LSB.GENERIC): void {
  ctl.out(error);
  ctl.out(HELP[action]);
  ctl.exitstatus = status;
}

/** For the actions that take no arguments: false (after the usage error) when some were given. */
function noArguments(ctl: Ctl, action: string, arg: string): boolean {
  if (!arg.trim()) return true;
  usage(ctl, action, `Error: ${action} accepts no arguments`);
  return false;
}

/**
 * add/remove: method on each group name. A fault in faults prints its line and exits 1 (but ignored, as
 * supervisorctl's do_add leaves the status alone for "already active"); any other fault is raised.
 */
async function eachGroup(ctl: Ctl, arg: string, method: string, done: string, faults: (name: string) => Record<number, string>, ignored?: number): Promise<void> {
  for (const name of words(arg)) {
    try {
      await rpc(ctl, method, name);
      ctl.out(`${name}: ${done}`);
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      const line = faults(name)[err.code];
      if (err.code !== ignored) ctl.exitstatus = LSB.GENERIC;
      if (line === undefined) throw err;
      ctl.out(line);
    }
  }
}

type Action = (ctl: Ctl, arg: string) => Promise<void>;

const words = (arg: string): string[] => arg.split(/\s+/).filter(Boolean);

export const ACTIONS: Record<string, Action> = {
  async status(ctl, arg) {
    if (!(await upcheck(ctl))) {
      ctl.exitstatus = STATUS_UNKNOWN;
      return;
    }
    const all = (await rpc(ctl, 'getAllProcessInfo')) as Info[];
    const names = words(arg);
    let matching: Info[] = [];
    if (names.length === 0 || names.includes('all')) matching = all;
    else {
      for (const name of names) {
        const [group, proc] = splitNamespec(name);
        const hits = all.filter((i) => i.group === group && (proc === null || i.name === proc));
        if (hits.length === 0) {
          ctl.out(proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
          ctl.exitstatus = STATUS_UNKNOWN;
        }
        for (const h of hits) matching.push(h);
      }
    }
    const specs = matching.map((i) => namespec(i.group, i.name));
    const width = specs.reduce((w, s) => Math.max(w, s.length), 30) + 3;
    matching.forEach((info, k) => ctl.out(`${specs[k].padEnd(width)}${info.statename.padEnd(10)}${info.description}`));
    if (matching.some((i) => STOPPED_STATES.has(i.state))) ctl.exitstatus = STATUS_NOT_RUNNING;
  },

  async start(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const names = words(arg);
    if (names.length === 0) return usage(ctl, 'start', 'Error: start requires a process name', LSB.INVALID_ARGS);
    await overNames(ctl, names, NAMES_ACTIONS.start);
  },

  async stop(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const names = words(arg);
    if (names.length === 0) return usage(ctl, 'stop', 'Error: stop requires a process name');
    await overNames(ctl, names, NAMES_ACTIONS.stop);
  },

  async restart(ctl, arg) {
    if (words(arg).length === 0) return usage(ctl, 'restart', 'Error: restart requires a process name');
    await ACTIONS.stop(ctl, arg);
    await ACTIONS.start(ctl, arg);
  },

  async signal(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const args = words(arg);
    if (args.length < 2) return usage(ctl, 'signal', 'Error: signal requires a signal name and a process name');
    const [sig, ...names] = args;
    await overNames(ctl, names, NAMES_ACTIONS.signal, sig);
  },

  async clear(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const names = words(arg);
    if (names.length === 0) return usage(ctl, 'clear', 'Error: clear requires a process name');
    if (names.includes('all')) {
      for (const r of (await rpc(ctl, 'clearAllProcessLogs')) as ResultStruct[]) {
        ctl.out(clearResult(r));
        exitFromFault(ctl, r.status);
      }
      return;
    }
    for (const name of names) {
      try {
        await rpc(ctl, 'clearProcessLogs', name);
        ctl.out(`${name}: cleared`);
      } catch (err) {
        if (!(err instanceof Fault)) throw err;
        const [group, proc] = splitNamespec(name);
        ctl.out(clearResult({ status: err.code, name: proc ?? group, group, description: err.text }));
        exitFromFault(ctl, err.code);
      }
    }
  },

  async pid(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const names = words(arg);
    if (names.length === 0) return ctl.out(String(await rpc(ctl, 'getPID')));
    if (names.includes('all')) {
      for (const i of (await rpc(ctl, 'getAllProcessInfo')) as Info[]) ctl.out(String(i.pid));
      return;
    }
    for (const name of names) {
      try {
        const info = (await rpc(ctl, 'getProcessInfo', name)) as Info;
        ctl.out(String(info.pid));
        if (info.pid === 0) ctl.exitstatus = LSB.NOT_RUNNING;
      } catch (err) {
        if (!(err instanceof Fault) || err.code !== F.BAD_NAME) throw err;
        ctl.exitstatus = LSB.GENERIC;
        ctl.out(`No such process ${name}`);
      }
    }
  },

  async tail(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const args = words(arg);
    if (args.length < 1 || args.length > 3) return usage(ctl, 'tail', args.length < 1 ? 'Error: too few arguments' : 'Error: too many arguments');
    const modifier = args[0].startsWith('-') ? args.shift()! : null;
    let name: string;
    let channel = 'stdout';
    if (args.length === 1) name = args[0];
    else if (args.length === 0) {
      ctl.out('Error: tail requires process name');
      ctl.exitstatus = LSB.GENERIC;
      return;
    } else {
      name = args[0];
      channel = args[args.length - 1].toLowerCase();
      if (channel !== 'stdout' && channel !== 'stderr') {
        ctl.out(`Error: bad channel '${channel}'`);
        ctl.exitstatus = LSB.GENERIC;
        return;
      }
    }
    let bytes: number | null = 1600;
    if (modifier !== null) {
      const what = modifier.slice(1);
      if (what === 'f') bytes = null;
      else if (/^\d+$/.test(what)) bytes = Number(what);
      else {
        ctl.out(`Error: bad argument ${modifier}`);
        ctl.exitstatus = LSB.GENERIC;
        return;
      }
    }
    if (bytes === null) return follow(ctl, `/logtail/${encodeURI(name)}/${channel}`);
    try {
      const out = await rpc(ctl, channel === 'stdout' ? 'readProcessStdoutLog' : 'readProcessStderrLog', name, -bytes, 0);
      ctl.out(String(out));
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitstatus = LSB.GENERIC;
      const why = err.code === F.NO_FILE ? 'no log file' : err.code === F.FAILED ? 'unknown error reading log' : err.code === F.BAD_NAME ? 'no such process name' : null;
      if (why === null) throw err;
      ctl.out(`${name}: ERROR (${why})`);
    }
  },

  async maintail(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    const args = words(arg);
    if (args[0] === '-f') return follow(ctl, '/mainlogtail');
    const bytes = args[0] ? Number(args[0].replace(/^-/, '')) : 1600;
    if (!Number.isInteger(bytes)) {
      ctl.out(`Error: bad argument ${args[0]}`);
      ctl.exitstatus = LSB.GENERIC;
      return;
    }
    try {
      ctl.out(String(await rpc(ctl, 'readLog', -bytes, 0)));
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitstatus = LSB.GENERIC;
      ctl.out(`supervisord: ERROR (${err.code === F.NO_FILE ? 'no log file' : 'unknown error reading log'})`);
    }
  },

  async avail(ctl, arg) {
    if (!noArguments(ctl, 'avail', arg)) return;
    if (!(await upcheck(ctl))) return;
    const infos = (await rpc(ctl, 'getAllConfigInfo')) as Array<Record<string, unknown>>;
    for (const c of infos) {
      const name = namespec(String(c.group), String(c.name));
      ctl.out(`${name.padEnd(32)} ${(c.inuse ? 'in use' : 'avail').padEnd(9)} ${(c.autostart ? 'auto' : 'manual').padEnd(9)} ${c.group_prio}:${c.process_prio}`);
    }
  },

  async reread(ctl, arg) {
    if (!noArguments(ctl, 'reread', arg)) return;
    if (!(await upcheck(ctl))) return;
    try {
      const [[added, changed, removed]] = (await rpc(ctl, 'reloadConfig')) as string[][][];
      const all = new Map<string, string>();
      for (const [list, what] of [[added, 'available'], [changed, 'changed'], [removed, 'disappeared']] as const) for (const n of list) all.set(n, what);
      if (all.size === 0) ctl.out('No config updates to processes');
      for (const n of [...all.keys()].sort()) ctl.out(`${n}: ${all.get(n)}`);
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitstatus = LSB.GENERIC;
      ctl.out(err.code === F.SHUTDOWN_STATE ? 'ERROR: supervisor shutting down' : `ERROR: ${err.text}`);
    }
  },

  async update(ctl, arg) {
    if (!(await upcheck(ctl))) return;
    let result: string[][][];
    try {
      result = (await rpc(ctl, 'reloadConfig')) as string[][][];
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitstatus = LSB.GENERIC;
      if (err.code === F.SHUTDOWN_STATE) return ctl.out('ERROR: already shutting down');
      throw err;
    }
    const [added, changed, removed] = result[0];
    let valid = new Set(words(arg));
    if (valid.has('all')) valid = new Set();
    if (valid.size > 0) {
      const groups = new Set(((await rpc(ctl, 'getAllProcessInfo')) as Info[]).map((i) => i.group));
      added.forEach((g) => groups.add(g));
      for (const g of valid) {
        if (!groups.has(g)) {
          ctl.out(`ERROR: no such group: ${g}`);
          ctl.exitstatus = LSB.GENERIC;
        }
      }
    }
    const wanted = (g: string): boolean => valid.size === 0 || valid.has(g);
    for (const g of removed.filter(wanted)) {
      const results = (await rpc(ctl, 'stopProcessGroup', g)) as ResultStruct[];
      ctl.out(`${g}: stopped`);
      if (results.some((r) => r.status === F.FAILED)) {
        ctl.out(`${g}: has problems; not removing`);
        ctl.exitstatus = LSB.GENERIC;
        continue;
      }
      await rpc(ctl, 'removeProcessGroup', g);
      ctl.out(`${g}: removed process group`);
    }
    for (const g of changed.filter(wanted)) {
      await rpc(ctl, 'stopProcessGroup', g);
      ctl.out(`${g}: stopped`);
      await rpc(ctl, 'removeProcessGroup', g);
      await rpc(ctl, 'addProcessGroup', g);
      ctl.out(`${g}: updated process group`);
    }
    for (const g of added.filter(wanted)) {
      await rpc(ctl, 'addProcessGroup', g);
      ctl.out(`${g}: added process group`);
    }
  },

  async add(ctl, arg) {
    await eachGroup(ctl, arg, 'addProcessGroup', 'added process group', (name) => ({
      [F.SHUTDOWN_STATE]: 'ERROR: shutting down',
      [F.ALREADY_ADDED]: 'ERROR: process group already active',
      [F.BAD_NAME]: `ERROR: no such process/group: ${name}`,
    }), F.ALREADY_ADDED);
  },

  async remove(ctl, arg) {
    await eachGroup(ctl, arg, 'removeProcessGroup', 'removed process group', (name) => ({
      [F.STILL_RUNNING]: `ERROR: process/group still running: ${name}`,
      [F.BAD_NAME]: `ERROR: no such process/group: ${name}`,
    }));
  },

  async shutdown(ctl, arg) {
    if (!noArguments(ctl, 'shutdown', arg)) return;
    if (ctl.interactive && !(await ctl.confirm('Really shut the remote supervisord process down y/N? '))) return;
    try {
      await rpc(ctl, 'shutdown');
      ctl.out('Shut down');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof Fault && err.code === F.SHUTDOWN_STATE) return ctl.out('ERROR: already shutting down');
      ctl.exitstatus = LSB.GENERIC;
      if (code === 'ECONNREFUSED') return ctl.out(`ERROR: ${ctl.server.url} refused connection (already shut down?)`);
      if (code === 'ENOENT') return ctl.out(`ERROR: ${ctl.server.url} no such file (already shut down?)`);
      throw err;
    }
  },

  async reload(ctl, arg) {
    if (!noArguments(ctl, 'reload', arg)) return;
    if (ctl.interactive && !(await ctl.confirm('Really restart the remote supervisord process y/N? '))) return;
    try {
      await rpc(ctl, 'restart');
      ctl.out('Restarted supervisord');
    } catch (err) {
      ctl.exitstatus = LSB.GENERIC;
      if (err instanceof Fault && err.code === F.SHUTDOWN_STATE) return ctl.out('ERROR: already shutting down');
      throw err;
    }
  },

  async version(ctl, arg) {
    if (!noArguments(ctl, 'version', arg)) return;
    if (!(await upcheck(ctl))) return;
    ctl.out(String(await rpc(ctl, 'getSupervisorVersion')));
  },

  fg: (ctl, arg) => fgAction(ctl, arg, upcheck, () => ctl.input()),
};

/** tail -f / maintail -f: stream /logtail until Ctrl-C or the server goes. */
async function follow(ctl: Ctl, path: string): Promise<void> {
  ctl.out('==> Press Ctrl-C to exit <==');
  const res = await stream(ctl.server, path);
  if (res.statusCode === 401) {
    res.resume();
    throw new HttpStatusError(401);
  }
  if (res.statusCode !== 200) {
    res.resume();
    ctl.out(`Error: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
    ctl.exitstatus = LSB.GENERIC;
    return;
  }
  await new Promise<void>((resolve) => {
    res.on('data', (d: Buffer) => process.stdout.write(d));
    res.on('close', resolve);
    process.once('SIGINT', () => {
      ctl.out('');
      res.destroy();
      resolve();
    });
  });
}
