/**
 * The seam between the running supervisor and the control socket (src/control/): called by
 * runSupervisor before any program starts. Creates the socket (0600), serves the commands, and gives
 * up.ts close() (end of run) and reload() (SIGHUP).
 *
 * A live socket at the path is always fatal (one line, exit 1). A socket that cannot be created is fatal
 * when the path was asked for (--socket, $PROCINIT_SOCKET, [procinit] socket); at the default path procinit
 * warns and runs without one. Programs get PROCINIT_SOCKET in their environment, so a `procinit restart
 * worker` run by one of them reaches this procinit (supervisord sets SUPERVISOR_SERVER_URL the same way).
 */
import pkg from '../../package.json';
import { ControlServer } from '../control/server.js';
import { createControlService, type ControlService } from '../control/service.js';
import { ControlSocketError, serverSocketPath } from '../control/socket-path.js';
import { PROTOCOL_VERSION, RequestError } from '../control/protocol.js';
import type { Runtime } from './up.js';

export interface ControlHandle {
  /** Accept connections: called once the programs have started (the socket exists, 0600, before). */
  serve(): void;
  close(): Promise<void>;
  reload?: () => Promise<void>;
  /** The operations behind the socket (the XML-RPC interface drives the same ones). */
  service?: ControlService;
}

export async function startControl(runtime: Runtime): Promise<ControlHandle | null> {
  const { supervisor, hub, log, options, run, limits } = runtime;
  const choice = serverSocketPath({ flag: options.socket, config: run.socketPath, env: process.env, cwd: process.cwd() });
  const hello = { hello: 'procinit' as const, v: PROTOCOL_VERSION, version: pkg.version, pid: process.pid };
  const service = createControlService({ supervisor, hub, log, load: options.load, resources: limits }, hello);
  const reload = async (): Promise<void> => {
    log.info('SIGHUP received: reloading the config');
    try {
      await service.reload();
    } catch (err) {
      // a config error is logged by the service; anything else is a bug worth a line
      if (!(err instanceof RequestError)) log.error(`reload failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  let server: ControlServer;
  try {
    server = await ControlServer.listen({
      path: choice.path,
      hello,
      commands: service.commands,
      deferAccept: true,
      onInternalError: (cmd, err) => log.error(`control: internal error in '${cmd}': ${(err as Error)?.stack ?? String(err)}`),
    });
  } catch (err) {
    if (err instanceof ControlSocketError && err.kind === 'unusable' && choice.source === 'default') {
      log.warn(`control socket disabled: ${err.message}`);
      return { serve: () => {}, close: async () => {}, reload, service };
    }
    throw err;
  }
  process.env.PROCINIT_SOCKET = server.path;
  return { serve: () => server.serve(), close: () => server.close(), reload, service };
}
