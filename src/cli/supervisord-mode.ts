/**
 * What a supervisord config changes in how procinit itself behaves (however procinit was started), kept out
 * of up.ts's checklist: giving up root for `[supervisord] user=`, supervisord's start-up lines, clearing old
 * AUTO child logs, the `waiting for x to die` reports while stopping, and the signal words.
 * The programs' side (raw output, log wording per process) is in the hub and the narrators.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAutoLogName } from '../config/auto-log-name.js';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import type { Logger } from '../output/log.js';
import { dropPrivileges } from '../pid1/privileges.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { SupervisordLogger } from '../output/supervisord-log.js';

export type SupervisordSettings = NonNullable<RunSpec['supervisordMode']>;

/** A line supervisord logs once its logger exists, about the user it runs as. */
export interface UserNote {
  level: 'critical' | 'info';
  msg: string;
}

/**
 * supervisord's set_uid_or_exit, before procinit opens anything: drop to `user=` or refuse to start (a
 * UsageError: one line, exit 2). Returns the line to log once the log is open.
 */
export function becomeConfiguredUser(sv: SupervisordSettings, getuid: () => number = () => process.getuid?.() ?? 0): UserNote | null {
  if (sv.user === null) {
    if (getuid() !== 0) return null;
    return {
      level: 'critical',
      msg: 'Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.',
    };
  }
  const r = dropPrivileges(sv.user);
  if ('error' in r) throw new UsageError(`[supervisord] user=${sv.user}: ${r.error}; not starting any program`);
  // supervisord says so even when it already was that user (user=root as root)
  return { level: 'info', msg: `Set uid to user ${r.uid} succeeded` };
}

/**
 * supervisord's start-up lines in its order (make_logger): criticals (running as root), warnings (the
 * config's), infos (Set uid, Included extra file …), then `supervisord started with pid N`.
 */
export function logStartup(log: SupervisordLogger, note: UserNote | null, run: Pick<RunSpec, 'warnings' | 'notes'> | null, beforeStarted?: () => void, started = true): void {
  if (note?.level === 'critical') log.critical(note.msg);
  for (const w of run?.warnings ?? []) log.warn(`${w.file}:${w.line}: ${w.message}`);
  if (note?.level === 'info') log.info(note.msg);
  for (const n of run?.notes ?? []) log.info(n.message);
  // openhttpservers() logs its lines here (RPC interface initialized, servers without authentication)
  beforeStarted?.();
  if (started) logStarted(log);
}

/** supervisord's last start-up line (write_pidfile), after its XML-RPC servers' lines. */
export function logStarted(log: SupervisordLogger): void {
  log.info(`supervisord started with pid ${process.pid}`);
}

/** supervisord's clear_autochildlogdir (unless nocleanup): old AUTO logs of this identifier go at start. */
export function clearAutoChildLogs(sv: SupervisordSettings, log: Logger): void {
  if (sv.nocleanup) return;
  let names: string[];
  try {
    names = readdirSync(sv.childlogdir);
  } catch {
    log.warn('Could not clear childlog dir');
    return;
  }
  for (const name of names) {
    if (!isAutoLogName(name, sv.identifier)) continue;
    const path = join(sv.childlogdir, name);
    try {
      rmSync(path);
    } catch {
      log.warn(`Failed to clean up '${path}'`);
    }
  }
}

const UNSTOPPED = new Set(['STARTING', 'RUNNING', 'STOPPING', 'BACKOFF']);

/**
 * supervisord's shutdown_report: `waiting for a, b to die` once the stop signals are out, then every 3 s
 * while any process is not stopped yet. Returns a function that ends the reports early.
 */
export function reportWaits(supervisor: Supervisor, log: Logger, everyMs = 3000): () => void {
  let timer: NodeJS.Timeout | null = null;
  const report = (): void => {
    const names = supervisor.instances.filter((i) => UNSTOPPED.has(i.state)).map((i) => i.name);
    if (names.length === 0) return stop();
    log.info(`waiting for ${names.join(', ')} to die`);
  };
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  setImmediate(() => {
    report();
    if (supervisor.instances.some((i) => UNSTOPPED.has(i.state))) {
      timer = setInterval(report, everyMs);
      timer.unref();
    }
  });
  return stop;
}

/** supervisord's start-up lines for its XML-RPC servers (openhttpservers), at start and at each restart. */
export function logRpcStartup(spec: RunSpec['rpc'], log: Logger): void {
  if (!spec || spec.servers.length === 0) return;
  log.info("RPC interface 'supervisor' initialized");
  const critical = (msg: string): void => ((log as { critical?: (m: string) => void }).critical ?? log.warn)(msg);
  for (const s of spec.servers) if (s.username === null) critical(`Server '${s.section}' running without any HTTP authentication checking`);
}
