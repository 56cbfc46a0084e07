/**
 * One probe (liveness, readiness, startup) from the fields a reader found, validated into a ProbeSpec
 * with Kubernetes' defaults and rules. Also reads the one-line form Drycc (`drycc pts:describe`) and
 * kubectl print, so that it can be pasted into procinit.toml:
 *   http-get path=/geo/ port=8000 delay=120s timeout=10s period=20s #success=1 #failure=3
 *   http-get http://:8000/geo/ delay=0s timeout=1s period=10s #success=1 #failure=3
 *   tcp-socket :5432 period=5s        exec [pg_isready -q] timeout=2s
 */
import { ConfigError, oneLine } from './errors.js';
import type { ProbeKind, ProbeSpec, SourceRef } from './model.js';
import { describeValue, parseCount, parseDuration, parsePort, parsePositiveDuration } from './health-values.js';
import { shlexSplit } from './shlex.js';

export type ProbeRole = 'liveness' | 'readiness' | 'startup';

/** A value and where it was written. */
export interface Located {
  value: unknown;
  where: SourceRef;
}

export type ProbeField =
  | 'kind' | 'path' | 'port' | 'host' | 'scheme' | 'headers' | 'command'
  | 'initial_delay' | 'period' | 'timeout' | 'success_threshold' | 'failure_threshold';

export const PROBE_FIELDS: readonly ProbeField[] = [
  'kind', 'path', 'port', 'host', 'scheme', 'headers', 'command',
  'initial_delay', 'period', 'timeout', 'success_threshold', 'failure_threshold',
];

export type ProbeFields = Partial<Record<ProbeField, Located>>;

/** Kubernetes' defaults. */
export const PROBE_DEFAULTS = { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 } as const;

const KINDS: Record<string, ProbeKind> = { http: 'http', 'http-get': 'http', httpget: 'http', tcp: 'tcp', 'tcp-socket': 'tcp', tcpsocket: 'tcp', port: 'tcp', exec: 'exec' };

/** Validate the fields of one probe (`what` names it in messages, e.g. "web liveness"). */
export function buildProbe(role: ProbeRole, what: string, fields: ProbeFields, source: SourceRef): ProbeSpec {
  const err = (f: Located, detail: string) => new ConfigError(f.where.file, f.where.line, `${what}: ${detail}`);
  const kindField = fields.kind;
  if (!kindField) throw new ConfigError(source.file, source.line, `${what}: no probe type (http, tcp or exec)`);
  const kind = typeof kindField.value === 'string' ? KINDS[kindField.value.trim().toLowerCase()] : undefined;
  if (!kind) throw err(kindField, `probe type ${describeValue(kindField.value)} is not http, tcp or exec`);

  const probe: ProbeSpec = {
    kind,
    scheme: 'http',
    host: '127.0.0.1',
    path: '/',
    port: null,
    headers: {},
    command: null,
    ...PROBE_DEFAULTS,
    source: { ...source },
  };
  const allowed: Record<ProbeKind, ProbeField[]> = {
    http: ['path', 'port', 'host', 'scheme', 'headers'],
    tcp: ['port', 'host'],
    exec: ['command'],
  };
  for (const name of ['path', 'port', 'host', 'scheme', 'headers', 'command'] as const) {
    if (fields[name] && !allowed[kind].includes(name)) throw err(fields[name], `${name} does not apply to a ${kind} probe`);
  }
  const f = fields;
  if (f.path) {
    if (typeof f.path.value !== 'string' || !f.path.value.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(f.path.value)) {
      throw err(f.path, `path ${describeValue(f.path.value)} must start with / and hold no spaces or control characters`);
    }
    probe.path = f.path.value;
  }
  if (f.port) probe.port = parsePort(f.port.value, `${what} port`, f.port.where);
  if (f.host) {
    if (typeof f.host.value !== 'string' || !/^[A-Za-z0-9.:_-]+$/.test(f.host.value.replace(/^\[|\]$/g, ''))) {
      throw err(f.host, `host ${describeValue(f.host.value)} is not a host name or address`);
    }
    probe.host = f.host.value.replace(/^\[|\]$/g, '');
  }
  if (f.scheme) {
    const s = typeof f.scheme.value === 'string' ? f.scheme.value.toLowerCase() : '';
    if (s !== 'http' && s !== 'https') throw err(f.scheme, `scheme ${describeValue(f.scheme.value)} is not http or https`);
    probe.scheme = s;
  }
  if (f.headers) probe.headers = readHeaders(f.headers, err);
  if (kind === 'exec') {
    if (!f.command) throw new ConfigError(source.file, source.line, `${what}: an exec probe needs a command`);
    probe.command = readCommand(f.command, err);
  }
  if (f.initial_delay) probe.initialDelayMs = parseDuration(f.initial_delay.value, `${what} initial_delay`, f.initial_delay.where);
  if (f.period) probe.periodMs = parsePositiveDuration(f.period.value, `${what} period`, f.period.where);
  if (f.timeout) probe.timeoutMs = parsePositiveDuration(f.timeout.value, `${what} timeout`, f.timeout.where);
  if (f.success_threshold) {
    probe.successThreshold = parseCount(f.success_threshold.value, `${what} success_threshold`, f.success_threshold.where, 1);
    if (role !== 'readiness' && probe.successThreshold !== 1) {
      throw err(f.success_threshold, `success_threshold must be 1 for a ${role} probe (as in Kubernetes)`);
    }
  }
  if (f.failure_threshold) probe.failureThreshold = parseCount(f.failure_threshold.value, `${what} failure_threshold`, f.failure_threshold.where, 1);
  return probe;
}

function readHeaders(field: Located, err: (f: Located, d: string) => ConfigError): Record<string, string> {
  const v = field.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw err(field, 'headers must be a table of Name = "value"');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
    const text = Array.isArray(value) && value.length > 0 ? value[0] : value; // fly: headers = { Name = ["v"] }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw err(field, `header name ${describeValue(name)} is not a valid HTTP header name`);
    if (typeof text !== 'string' && typeof text !== 'number') throw err(field, `header ${name} must be a string`);
    if (/[\r\n\x00]/.test(String(text))) throw err(field, `header ${name} holds a line break`);
    out[name] = String(text);
  }
  return out;
}

function readCommand(field: Located, err: (f: Located, d: string) => ConfigError): string[] {
  const v = field.value;
  if (typeof v === 'string') {
    if (v.trim() === '') throw err(field, 'command is empty');
    return ['/bin/sh', '-c', v];
  }
  if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string') && (v[0] as string) !== '') return [...(v as string[])];
  throw err(field, 'command must be a string (run by /bin/sh -c) or a non-empty list of strings');
}

/** The Drycc/kubectl one-line form, as probe fields all located at `where`. */
export function parseProbeLine(text: string, what: string, where: SourceRef): ProbeFields {
  const at = (value: unknown): Located => ({ value, where });
  const bad = (detail: string) => new ConfigError(where.file, where.line, `${what}: ${detail}`);
  let rest = text.trim();
  const head = /^(\S+)\s*/.exec(rest);
  if (!head) throw bad('empty probe');
  const fields: ProbeFields = { kind: at(head[1]) };
  rest = rest.slice(head[0].length);
  const kind = KINDS[head[1].toLowerCase()];
  if (!kind) throw bad(`probe '${oneLine(head[1])}' is not http-get, tcp-socket or exec`);
  if (kind === 'exec') {
    const m = /^\[([^\]]*)\]\s*/.exec(rest);
    if (!m) throw bad('exec needs its command in brackets: exec [cmd arg ...]');
    let argv: string[];
    try {
      argv = shlexSplit(m[1]);
    } catch {
      throw bad(`cannot split the command '${oneLine(m[1])}'`);
    }
    fields.command = at(argv);
    rest = rest.slice(m[0].length);
  }
  for (const token of rest.split(/\s+/).filter(Boolean)) {
    const url = /^(https?):\/\/(\[[^\]]*\]|[^/:]*)?(?::([^/]*))?(\/.*)?$/.exec(token);
    if (kind === 'http' && url) {
      fields.scheme = at(url[1]);
      if (url[2]) fields.host = at(url[2]);
      if (url[3] !== undefined && url[3] !== '') fields.port = at(url[3]);
      if (url[4]) fields.path = at(url[4]);
      continue;
    }
    const hostPort = /^(\[[^\]]*\]|[^=:]*):(\S+)$/.exec(token);
    if (kind === 'tcp' && hostPort) {
      if (hostPort[1]) fields.host = at(hostPort[1]);
      fields.port = at(hostPort[2]);
      continue;
    }
    const kv = /^(#?[a-z_-]+)=(.*)$/i.exec(token);
    const key = kv ? LINE_KEYS[kv[1].toLowerCase()] : undefined;
    if (!kv || !key) throw bad(`cannot read '${oneLine(token)}' (expected path=, port=, delay=, timeout=, period=, #success=, #failure=)`);
    fields[key] = at(kv[2]);
  }
  return fields;
}

const LINE_KEYS: Record<string, ProbeField> = {
  path: 'path', port: 'port', host: 'host', scheme: 'scheme',
  delay: 'initial_delay', initial_delay: 'initial_delay', 'initial-delay': 'initial_delay',
  timeout: 'timeout', period: 'period',
  '#success': 'success_threshold', success_threshold: 'success_threshold',
  '#failure': 'failure_threshold', failure_threshold: 'failure_threshold',
};
