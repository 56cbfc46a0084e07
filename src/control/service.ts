/**
 * The control service: the verb -> handler map the socket server dispatches to, over the running
 * supervisor. Formation changes (scale, reload) run one at a time, in the order they were asked for.
 */
import { ConfigError, UsageError } from '../config/errors.js';
import { loadRunOffThread, prepareInstantiate } from '../config/load-worker.js';
import type { LoadOptions } from '../config/options.js';
import type { RunSpec } from '../config/model.js';
import type { OutputHub } from '../output/hub.js';
import type { Logger } from '../output/log.js';
import { applyReload, FormationMemory, type ReloadSummary } from '../supervisor/reload.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { CommandEntry } from './connection.js';
import { attachHandler } from './handlers/attach.js';
import { helloHandler, reloadHandler, shutdownHandler } from './handlers/lifecycle.js';
import { logsHandler } from './handlers/logs.js';
import { scaleHandler } from './handlers/scale.js';
import { signalHandler } from './handlers/signal.js';
import { restartHandler, startHandler, stopHandler } from './handlers/start-stop.js';
import { statusHandler, type ResourceSource } from './handlers/status.js';
import { describeHandler } from './handlers/describe.js';
import { RequestError, type Hello } from './protocol.js';

/** What the control side needs of the running procinit. */
export interface ControlRuntime {
  supervisor: Supervisor;
  hub: OutputHub;
  log: Logger;
  /** The options the run was loaded with: reload reads the config again with exactly these. */
  load: LoadOptions;
  /** CPU, memory and limits per process (src/health/limits), when measured. */
  resources?: ResourceSource;
  /** Applied to every config read again (the supervisord personality's command-line overrides). */
  adjust?: (run: RunSpec) => void;
  /** PROCESS_GROUP_ADDED / REMOVED for event listeners, when a reload adds or removes a group. */
  groupChanged?: (kind: 'ADDED' | 'REMOVED', group: string) => void;
}

export interface ControlService {
  commands: Map<string, CommandEntry>;
  /** Re-read the config and apply the difference; RequestError('config') when it does not load. */
  reload(): Promise<ReloadSummary>;
  /**
   * supervisord's restart (SIGHUP, XML-RPC supervisor.restart): stop every process (reverse priority),
   * re-read the config, start every autostart process of it. A config that does not load is logged and the
   * processes start again as they were (RequestError('config')). `after` runs once all are stopped and the
   * config read is in place (null: it did not load), before anything starts: supervisord makes its logger
   * again there from the new [supervisord] settings and logs its start-up lines; the config's warnings are
   * then the caller's to log. `after` returning false ends there: nothing starts (the run is ending).
   */
  restart(after?: (next: RunSpec | null) => boolean | void | Promise<boolean | void>): Promise<ReloadSummary>;
}

/** One at a time: each task starts when the previous one has settled. */
function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

function summarize(s: ReloadSummary): string {
  const parts = [
    s.added.length > 0 ? `added ${s.added.join(', ')}` : '',
    s.removed.length > 0 ? `removed ${s.removed.join(', ')}` : '',
    s.changed.length > 0 ? `restarted ${s.changed.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')} (${s.unchanged.length} unchanged)` : `nothing changed (${s.unchanged.length} processes)`;
}

export function createControlService(rt: ControlRuntime, hello: Hello): ControlService {
  const { supervisor, hub, log } = rt;
  supervisor.setMaxListeners(0); // every waiting start/restart listens for state changes
  const formation = new FormationMemory(supervisor.run);
  const oneAtATime = serial();

  /**
   * The config read again (parsed in a worker thread, taken back in slices: status and reaping go on
   * meanwhile), or RequestError('config') (logged).
   */
  const readAgain = async (refused: string): Promise<RunSpec> => {
    try {
      const run = await loadRunOffThread(rt.load, { fallback: (why) => log.warn(`reload: the config is read on the main thread, no worker thread (${why})`) });
      rt.adjust?.(run);
      return run;
    } catch (err) {
      if (err instanceof ConfigError || err instanceof UsageError) {
        log.error(`${refused}: ${err.message}`);
        throw new RequestError('config', err.message);
      }
      throw err;
    }
  };

  const restart = (after?: (next: RunSpec | null) => boolean | void | Promise<boolean | void>): Promise<ReloadSummary> =>
    oneAtATime(async () => {
      if (supervisor.stopping) throw new RequestError('shutting_down', 'procinit is shutting down');
      await supervisor.stopAll();
      let next: RunSpec | null = null;
      let failure: unknown = null;
      try {
        next = await readAgain('restart: the config does not load, starting the processes as they were');
        if (!after) for (const w of next.warnings) log.warn(`${w.file}:${w.line}: ${w.message}`);
        await prepareInstantiate(formation.scaledIn(next));
        formation.carryOver(next);
      } catch (err) {
        failure = err;
      }
      const summary = next ? await applyReload(supervisor, next, { setNames: (names) => hub.formatter.setNames(names), start: false }) : null;
      const go = (await after?.(next)) !== false;
      if (go && !supervisor.stopping) supervisor.startAll();
      if (failure) throw failure;
      return summary as ReloadSummary;
    });

  const reload = (): Promise<ReloadSummary> =>
    oneAtATime(async () => {
      if (supervisor.stopping) throw new RequestError('shutting_down', 'procinit is shutting down');
      const next = await readAgain('reload refused, nothing changed');
      for (const w of next.warnings) log.warn(`${w.file}:${w.line}: ${w.message}`);
      await prepareInstantiate(formation.scaledIn(next));
      formation.carryOver(next);
      const summary = await applyReload(supervisor, next, {
        setNames: (names) => hub.formatter.setNames(names),
        groupsChanged: (removed, added) => {
          for (const g of removed) rt.groupChanged?.('REMOVED', g);
          for (const g of added) rt.groupChanged?.('ADDED', g);
        },
      });
      log.info(`reload: ${summarize(summary)}`);
      return summary;
    });

  const scaleOne = (program: string, count: number): Promise<{ started: string[]; stopped: string[] }> =>
    oneAtATime(async () => {
      await prepareInstantiate([supervisor.program(program)]);
      const r = await supervisor.scale(program, count);
      formation.noteScale(program, count);
      if (r.started.length + r.stopped.length > 0) log.info(`scale ${program}=${count}${r.started.length ? `: started ${r.started.join(', ')}` : ''}${r.stopped.length ? `: stopped ${r.stopped.join(', ')}` : ''}`);
      return r;
    });

  const commands = new Map<string, CommandEntry>([
    ['hello', { handler: helloHandler(supervisor, hello) }],
    ['status', { handler: statusHandler(supervisor, rt.resources ?? null) }],
    ['describe', { handler: describeHandler(supervisor, rt.resources ?? null) }],
    ['start', { handler: startHandler(supervisor) }],
    ['stop', { handler: stopHandler(supervisor) }],
    ['restart', { handler: restartHandler(supervisor) }],
    ['signal', { handler: signalHandler(supervisor) }],
    ['logs', { handler: logsHandler(supervisor, hub) }],
    ['scale', { handler: scaleHandler(supervisor, scaleOne) }],
    ['reload', { handler: reloadHandler(reload) }],
    ['shutdown', { handler: shutdownHandler(supervisor, log) }],
    ['attach', { handler: attachHandler(supervisor, hub), exclusive: true }],
  ]);
  return { commands, reload, restart };
}
