/**
 * The seam between the running supervisor and the control socket (src/control/): called by
 * runSupervisor before any program starts. Creates the socket (0600), serves the commands, and gives
 * up.ts close() (end of run) and reload() (SIGHUP).
 *
 * A live socket at the path is always fatal (one line, exit 1). A socket that cannot be created is fatal
 * when the path was asked for (--socket, $PROCINIT_SOCKET, [procinit] socket); at the default path procinit
 * tries the abstract socket @procinit-<pid namespace> instead (a read-only root), and warns and runs without
 * one only when that fails too. As PID 1 at the default, procinit listens on the abstract socket as well,
 * so `docker exec -u ANY` finds it whatever uid either side runs as (socket-path.ts). Programs get
 * PROCINIT_SOCKET in their environment, so a `procinit restart worker` run by one of them reaches this
 * procinit (supervisord sets SUPERVISOR_SERVER_URL the same way).
 */
import pkg from '../../package.json';
import { ConnectionPool } from '../control/pool.js';
import { ControlServer, type ServerOptions } from '../control/server.js';
import { createControlService, type ControlService } from '../control/service.js';
import { abstractSocketName, ControlSocketError, serverSocketPath } from '../control/socket-path.js';
import { PROTOCOL_VERSION, RequestError } from '../control/protocol.js';
import type { Runtime } from './up.js';
import type { RunSpec } from '../config/model.js';
import { pinnedTo } from '../config/options.js';

export interface ControlHandle {
  /** Accept connections: called once the programs have started (the socket exists, 0600, before). */
  serve(): void;
  close(): Promise<void>;
  reload?: () => Promise<void>;
  /** The operations behind the socket (the XML-RPC interface drives the same ones). */
  service?: ControlService;
  /** supervisord's SIGHUP: stop everything, re-read the config, start everything (see ControlService.restart). */
  restart?: (after?: (next: RunSpec | null) => boolean | void | Promise<boolean | void>) => Promise<void>;
}

export async function startControl(runtime: Runtime): Promise<ControlHandle | null> {
  const { supervisor, hub, log, options, run, limits } = runtime;
  const choice = serverSocketPath({ flag: options.socket, config: run.socketPath, env: process.env, cwd: process.cwd() });
  const hello = { hello: 'procinit' as const, v: PROTOCOL_VERSION, version: pkg.version, pid: process.pid };
  // reload reads exactly the file this run was started with, never the search's next candidate
  const load = pinnedTo(options.load, run);
  const service = createControlService({ supervisor, hub, log, load, resources: limits, adjust: options.adjustRun, groupChanged: (kind, group) => runtime.events.groupChanged(kind, group) }, hello);
  const reload = async (): Promise<void> => {
    log.info('SIGHUP received: reloading the config');
    try {
      await service.reload();
    } catch (err) {
      // a config error is logged by the service; anything else is a bug worth a line
      if (!(err instanceof RequestError)) log.error(`reload failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  const restart = async (after?: (next: RunSpec | null) => boolean | void | Promise<boolean | void>): Promise<void> => {
    try {
      await service.restart(after);
    } catch (err) {
      if (!(err instanceof RequestError)) log.error(`restart failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  const pool = new ConnectionPool();
  const listen = (path: string): Promise<ControlServer> =>
    ControlServer.listen({
      path,
      hello,
      commands: service.commands,
      deferAccept: true,
      pool,
      onInternalError: (cmd, err) => log.error(`control: internal error in '${cmd}': ${(err as Error)?.stack ?? String(err)}`),
    } satisfies ServerOptions);
  const servers: ControlServer[] = [];
  let fileProblem: ControlSocketError | null = null;
  try {
    servers.push(await listen(choice.path));
  } catch (err) {
    if (!(err instanceof ControlSocketError && (err.kind === 'unusable' || options.controlSocketOptional) && choice.source === 'default')) throw err;
    fileProblem = err;
  }
  if (choice.source === 'default' && (fileProblem !== null || process.pid === 1)) {
    const abstract = abstractSocketName();
    try {
      if (abstract === null) throw new ControlSocketError('no /proc to name the abstract socket after');
      servers.push(await listen(abstract));
    } catch (err) {
      // as PID 1 with a file socket, the abstract one is a convenience: only say something when it is all
      if (fileProblem !== null) {
        const why = err instanceof ControlSocketError ? err.message : String(err);
        log.warn(`control socket disabled: ${fileProblem.message}; ${why}`);
      }
      // otherwise silent: the file socket works, and a missing addon has had its own warning
    }
  }
  if (servers.length === 0) return { serve: () => {}, close: async () => {}, reload, restart, service };
  process.env.PROCINIT_SOCKET = servers[0].path;
  return {
    serve: () => servers.forEach((s) => s.serve()),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
    reload,
    restart,
    service,
  };
}
