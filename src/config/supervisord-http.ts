/**
 * [unix_http_server] and [inet_http_server] (and their `:name` variants), read as supervisord 4.2's
 * `server_configs_from_parser` reads them: where supervisord serves XML-RPC, and the SUPERVISOR_SERVER_URL its
 * programs get. Pure: no socket is made here (src/rpc/ binds them).
 */
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { HttpServerSpec, RpcSpec } from './model.js';
import { octal, pyInt, ValueError } from './supervisord-types.js';

/** A value with its place, as the supervisord reader's `get` returns it (expanded). */
export interface HttpGot {
  value: string;
  file: string;
  line: number;
}

export interface HttpSectionSource {
  sectionNames(): string[];
  /** The expanded value, or null when the key is absent; `here`: expand %(here)s too. */
  get(section: string, key: string, here: boolean): HttpGot | null;
  /** Where a section starts (for errors about a missing key). */
  at(section: string): { file: string; line: number };
  cwd: string;
  expandUser(path: string): string;
}

function credentials(src: HttpSectionSource, section: string): { username: string | null; password: string | null } {
  const u = src.get(section, 'username', false);
  const p = src.get(section, 'password', false);
  if ((u === null) !== (p === null)) {
    const at = u ?? p ?? src.at(section);
    throw new ConfigError(at.file, at.line, `[${section}] contains incomplete authentication: if a username or a password is specified, both must be`);
  }
  return { username: u?.value ?? null, password: p?.value ?? null };
}

/** supervisord's inet_address: "port", "host:port", "*:port" (host '' = every interface). */
export function inetAddress(text: string): { host: string; port: number } {
  let host = '';
  let portText = text;
  const colon = text.lastIndexOf(':');
  if (colon >= 0) {
    host = text.slice(0, colon).toLowerCase();
    portText = text.slice(colon + 1);
    if (!portText) throw new ValueError(`no port number specified in ${JSON.stringify(text)}`);
  }
  const port = pyInt(portText.trim());
  if (!(port > 0 && port <= 65535)) throw new ValueError(`${JSON.stringify(portText)} is not a valid port number (1-65535)`);
  if (host === '*') host = '';
  return { host, port };
}

function serversOf(src: HttpSectionSource, kind: 'inet_http_server' | 'unix_http_server'): string[] {
  return src.sectionNames().filter((s) => s.startsWith(kind));
}

export function readHttpServers(src: HttpSectionSource, identifier: string): RpcSpec {
  const servers: HttpServerSpec[] = [];
  for (const section of serversOf(src, 'inet_http_server')) {
    const creds = credentials(src, section);
    const portGot = src.get(section, 'port', false);
    if (!portGot) {
      const at = src.at(section);
      throw new ConfigError(at.file, at.line, `section [${section}] has no port value`);
    }
    let addr;
    try {
      addr = inetAddress(portGot.value.trim());
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      throw new ConfigError(portGot.file, portGot.line, `[${section}] port: ${err.message}`);
    }
    servers.push({ kind: 'inet', section, ...addr, ...creds, source: src.at(section) });
  }
  for (const section of serversOf(src, 'unix_http_server')) {
    const fileGot = src.get(section, 'file', true);
    if (!fileGot || fileGot.value.trim() === '') {
      const at = fileGot ?? src.at(section);
      throw new ConfigError(at.file, at.line, `section [${section}] has no file value`);
    }
    const creds = credentials(src, section);
    const chownGot = src.get(section, 'chown', false);
    const chmodGot = src.get(section, 'chmod', false);
    let chmod = 0o700;
    if (chmodGot) {
      try {
        chmod = octal(chmodGot.value.trim());
      } catch {
        throw new ConfigError(chmodGot.file, chmodGot.line, `Invalid chmod value ${chmodGot.value}`);
      }
    }
    const chown = chownGot ? chownGot.value.trim() : null;
    if (chown !== null && (chown === '' || chown.split(':').length > 2)) {
      throw new ConfigError(chownGot!.file, chownGot!.line, `Invalid sockchown value ${chownGot!.value}`);
    }
    const file = resolve(src.cwd, src.expandUser(fileGot.value.trim()));
    servers.push({ kind: 'unix', section, file, chmod, chown, ...creds, source: src.at(section) });
  }
  const unix = servers.find((s) => s.kind === 'unix');
  const inet = servers.find((s) => s.kind === 'inet');
  const serverurl =
    unix?.kind === 'unix' ? `unix://${unix.file}` : inet?.kind === 'inet' ? `http://${inet.host || 'localhost'}:${inet.port}` : null;
  return { servers, identifier, serverurl };
}
