/** `hello`, `reload`, `shutdown`: the run as a whole. */
import type { Logger } from '../../output/log.js';
import type { ReloadSummary } from '../../supervisor/reload.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { Hello } from '../protocol.js';

export interface HelloResult extends Hello {
  stopping: boolean;
  processes: number;
}

export function helloHandler(supervisor: Supervisor, hello: Hello) {
  return async (): Promise<HelloResult> => ({ ...hello, stopping: supervisor.stopping, processes: supervisor.instances.length });
}

export function reloadHandler(reload: () => Promise<ReloadSummary>) {
  return async (): Promise<ReloadSummary> => reload();
}

export interface ShutdownResult {
  /** True: the graceful stop has begun (or was already under way). The connection closes when it is over. */
  stopping: true;
}

export function shutdownHandler(supervisor: Supervisor, log: Logger) {
  return async (): Promise<ShutdownResult> => {
    if (!supervisor.stopping) {
      log.info('shutdown requested over the control socket: stopping everything');
      void supervisor.shutdown('procinit shutdown');
    }
    return { stopping: true };
  };
}
