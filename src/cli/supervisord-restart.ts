/**
 * supervisord's restart (SIGHUP, XML-RPC supervisor.restart / `supervisorctl reload`) for a supervisord config:
 * stop every process, read the config again, and start as supervisord's main loop does after realize():
 *   set_uid_or_exit (the new `user=`: the same uid is fine, another one only while still root; otherwise it
 *   exits 2, and so does procinit, with everything already stopped), make_logger (loglevel, logfile,
 *   logfile_maxbytes/backups, silent), clear_autochildlogdir (childlogdir, identifier, nocleanup), the
 *   start-up lines, the XML-RPC servers closed and opened again from the new config (openhttpservers: a
 *   server that cannot be opened ends the run with exit 2, as supervisord's usage() does), the pidfile,
 *   events.clear() and the groups added again, then every autostart process.
 * minfds/minprocs are applied by supervisord at its first start only (set_rlimits_or_exit), so not here either.
 * A config that does not load is where procinit differs on purpose: supervisord exits 2, procinit logs the
 * error and starts the processes as they were.
 */
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import type { Logger } from '../output/log.js';
import type { SupervisordLogger } from '../output/supervisord-log.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { becomeConfiguredUser, clearAutoChildLogs, logStarted, logStartup, reportWaits, type UserNote } from './supervisord-mode.js';

export interface RestartDeps {
  supervisor: Supervisor;
  log: Logger;
  /** procinit's log in supervisord's format (null with --log-format json). */
  svLog: SupervisordLogger | null;
  /** The control service's restart: stops all, reads and applies the config, calls `after`, starts all. */
  restart(after: (next: RunSpec | null) => Promise<boolean | void>): Promise<void>;
  /** Make procinit's own log again from the run's (new) settings: level, file, rotation, silent, echo. */
  applyLogSettings(run: RunSpec): void;
  /** The run's pidfile moved (or not): write the new one, remove the old one. */
  movePidfile(from: string | null, to: string | null): void;
  /** SUPERVISOR_STATE_CHANGE_STOPPING: the restart's stop begins (listeners stop last and hear of it). */
  stopping(): void;
  /** events.clear() and the groups added again (PROCESS_GROUP_ADDED, SUPERVISOR_STATE_CHANGE_RUNNING). */
  restartEvents(): void;
  /** Close the XML-RPC servers and open the ones the run's (new) config names; they log their start-up lines. */
  reopenRpc?(): Promise<void>;
  /** A user that cannot be become: procinit ends with exit code 2, as supervisord's usage() exits. */
  refuse(msg: string): void;
  /** A restart is under way (XML-RPC answers SHUTDOWN_STATE and getState RESTARTING meanwhile, as supervisord's mood). */
  setRestarting?(on: boolean): void;
  /** Drop to the user (tests give a fake). */
  becomeUser?: typeof becomeConfiguredUser;
}

export type RestartOrigin = 'SIGHUP' | 'rpc';

export function supervisordRestarter(deps: RestartDeps): (origin: RestartOrigin) => Promise<void> {
  const { supervisor, log, svLog } = deps;
  const becomeUser = deps.becomeUser ?? becomeConfiguredUser;
  let busy = false;
  return async (origin) => {
    if (supervisor.stopping) {
      if (origin === 'SIGHUP') log.warn('ignored SIGHUP indicating restart request (shutdown in progress)');
      return;
    }
    if (origin === 'SIGHUP') log.warn('received SIGHUP indicating restart request');
    // supervisord: a second SIGHUP sets the mood it already has; the restart under way is the one
    if (busy) return;
    busy = true;
    deps.setRestarting?.(true);
    try {
      await restartOnce();
    } finally {
      busy = false;
      deps.setRestarting?.(false);
    }
  };

  async function restartOnce(): Promise<void> {
    deps.stopping();
    const stopReports = reportWaits(supervisor, log);
    const pidfileBefore = supervisor.run.pidfile;
    await deps.restart(async (next) => {
      stopReports();
      if (next === null) {
        // the config did not load (logged): the processes start again as they were
        if (svLog) logStartup(svLog, null, null);
        return true;
      }
      const run = supervisor.run;
      const sv = run.supervisordMode;
      let note: UserNote | null = null;
      if (sv) {
        try {
          note = becomeUser(sv);
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          deps.refuse(err.message);
          return false;
        }
      }
      deps.applyLogSettings(run);
      if (sv) clearAutoChildLogs(sv, log);
      if (svLog) logStartup(svLog, note, run, undefined, false);
      else for (const w of run.warnings) log.warn(`${w.file}:${w.line}: ${w.message}`);
      try {
        await deps.reopenRpc?.();
      } catch (err) {
        deps.refuse((err as Error).message);
        return false;
      }
      if (svLog) logStarted(svLog);
      deps.movePidfile(pidfileBefore, run.pidfile);
      deps.restartEvents();
      return true;
    });
  }
}
