/**
 * [fcgi-program:x] sections' socket options, read as supervisord 4.2's process_groups_from_parser and
 * parse_fcgi_socket read them: socket= (required; `unix:///absolute/path` or `tcp://host:port`, expanded
 * with %(program_name)s), socket_owner (`user[:group]`, unix only), socket_mode (octal, unix only, default
 * 0700), socket_backlog (1..65535). The processes are read as [program:x] ones.
 */
import { posix } from 'node:path';
import { ConfigError } from './errors.js';
import type { FcgiSocketSpec, ProgramSpec } from './model.js';
import { integer, octal, ValueError } from './supervisord-types.js';

export const FCGI_ONLY_KEYS = ['socket', 'socket_owner', 'socket_mode', 'socket_backlog'];

export interface FcgiGot {
  value: string;
  file: string;
  line: number;
}

export interface FcgiSectionReader {
  /** The option's value (expanded; `extra` adds expansions such as program_name) or null when absent. */
  get(key: string, extra?: Record<string, string>): FcgiGot | null;
  /** Where the section starts (for a missing socket=). */
  header: { file: string; line: number };
  /** Does this user exist here (null: cannot tell). */
  userExists(name: string): boolean | null;
  /** A warning (an unknown user is one here, as everywhere in procinit: the image may lack it). */
  warn(file: string, line: number, message: string): void;
}

export function readFcgiSocket(section: string, programName: string, group: string, r: FcgiSectionReader): FcgiSocketSpec {
  const fail = (got: FcgiGot, msg: string): never => {
    throw new ConfigError(got.file, got.line, `[${section}] ${msg}`);
  };
  const backlogGot = r.get('socket_backlog');
  let backlog: number | null = null;
  if (backlogGot) {
    try {
      backlog = integer(backlogGot.value);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      fail(backlogGot, `socket_backlog: ${err.message}`);
    }
    if (backlog! < 1 || backlog! > 65535) fail(backlogGot, `Invalid socket_backlog value ${backlogGot.value}`);
  }
  const ownerGot = r.get('socket_owner');
  let owner: { user: string; group: string | null } | null = null;
  if (ownerGot) {
    const parts = ownerGot.value.split(':');
    if (parts.length > 2 || parts[0] === '' || (parts.length === 2 && parts[1] === '')) fail(ownerGot, `Invalid socket_owner value ${ownerGot.value}`);
    if (r.userExists(parts[0]) === false) {
      r.warn(ownerGot.file, ownerGot.line, `[${section}] socket_owner: no user ${JSON.stringify(parts[0])} here (supervisord refuses such a config)`);
    }
    owner = { user: parts[0], group: parts[1] ?? null };
  }
  const modeGot = r.get('socket_mode');
  let mode: number | null = null;
  if (modeGot) {
    try {
      mode = octal(modeGot.value);
    } catch {
      fail(modeGot, `Invalid socket_mode value ${modeGot.value}`);
    }
  }
  const socketGot = r.get('socket', { program_name: programName });
  if (!socketGot || socketGot.value === '') {
    throw new ConfigError(r.header.file, r.header.line, `[${section}] section requires a "socket" line`);
  }
  const sock = socketGot.value;
  if (sock.startsWith('unix://')) {
    const path = sock.slice(7);
    if (!posix.isAbsolute(path)) fail(socketGot, `Unix socket path ${path} is not an absolute path in [${section}] socket`);
    return { kind: 'unix', path: posix.normalize(path), owner, mode: mode ?? 0o700, backlog, group };
  }
  if (owner !== null || mode !== null) {
    fail(ownerGot ?? modeGot!, `socket_owner and socket_mode params should only be used with a Unix domain socket in [${section}] socket`);
  }
  const m = /^tcp:\/\/([^\s:]+):(\d+)$/.exec(sock);
  if (m) {
    const port = Number(m[2]);
    if (port > 65535) fail(socketGot, `port ${port} is out of range in [${section}] socket`);
    return { kind: 'tcp', host: m[1], port, backlog, group };
  }
  return fail(socketGot, `Bad socket format ${sock} in [${section}] socket`);
}

/** The program's processes, each with the group's socket. */
export function withFcgiSocket(program: ProgramSpec, socket: FcgiSocketSpec): ProgramSpec {
  const instantiate = program.instantiate;
  program.instantiate = (n) => ({ ...instantiate(n), fcgiSocket: socket, tty: false });
  program.instances = program.instances.map((i) => ({ ...i, fcgiSocket: socket, tty: false }));
  return program;
}
