/**
 * The seam between the running supervisor and supervisord's XML-RPC interface (src/rpc/): when the config has
 * [unix_http_server] or [inet_http_server], bind them before any program starts (so SUPERVISOR_SERVER_URL
 * works from the first spawn) and drive the supervisor through the same operations the control socket uses.
 */
import { loadRunOffThread } from '../config/load-worker.js';
import { pinnedTo } from '../config/options.js';
import { remoteCommunicationEvent } from '../events/event.js';
import type { ControlService } from '../control/service.js';
import { createDispatcher, type Dispatcher } from '../rpc/dispatch.js';
import { RpcFault } from '../rpc/faults.js';
import type { SupervisordLogger } from '../output/supervisord-log.js';
import { createGroupChanges } from '../rpc/groups.js';
import { lookup } from '../rpc/names.js';
import { serveRpc, type RpcServers } from '../rpc/serve.js';
import type { RpcContext } from '../rpc/supervisor-api.js';
import type { Runtime } from './up.js';
import { logRpcStartup } from './supervisord-mode.js';

export interface RpcHooks {
  /** Identifier from the command line (supervisord -i), over the config's. */
  identifier?: string;
}

export async function startRpc(runtime: Runtime, service: ControlService | null, hooks: RpcHooks = {}): Promise<RpcServers | null> {
  const { run, supervisor, hub, log, options } = runtime;
  const spec = run.rpc;
  if (!spec || spec.servers.length === 0) return null;
  const groups = createGroupChanges({
    supervisor,
    // as reload does: parsed in a worker thread, each file read on the thread pool and given up after 10 s
    load: async () => {
      const next = await loadRunOffThread(pinnedTo(options.load, run), {
        fallback: (why) => log.warn(`reread: the config is read on the main thread, no worker thread (${why})`),
      }); // exactly the file the run started with
      options.adjustRun?.(next);
      return next;
    },
    setNames: (names) => hub.formatter.setNames(names),
    groupChanged: (kind, group) => runtime.events.groupChanged(kind, group),
  });
  let restartCalled = false;
  const ctx: RpcContext = {
    supervisor,
    // supervisord's restart reads the identifier again (-i on the command line still wins)
    get identifier() {
      return hooks.identifier ?? supervisor.run.rpc?.identifier ?? spec.identifier;
    },
    mainLog: () => supervisor.run.logfile,
    groups,
    // supervisord's mood RESTARTING: this server's own restart call, or a restart by SIGHUP
    get restarting() {
      return restartCalled || runtime.restarting === true;
    },
    set restarting(on: boolean) {
      restartCalled = on;
    },
    restart: async () => {
      if (runtime.restart) return runtime.restart('rpc');
      log.info('restart requested over XML-RPC: stopping every process, reading the config again');
      const levels = [...new Set(supervisor.instances.map((i) => i.spec.priority))].sort((a, b) => b - a);
      for (const level of levels) await Promise.all(supervisor.instances.filter((i) => i.spec.priority === level).map((i) => i.stop()));
      try {
        await service?.reload();
      } catch (err) {
        log.error(`restart: the config did not load, starting the processes as they were: ${(err as Error).message}`);
      }
      ctx.restarting = false;
      supervisor.start();
    },
    remoteCommEvent: (type, data) => runtime.events.publish(remoteCommunicationEvent(type, data)),
    shutdown: () => {
      log.info('shutdown requested over XML-RPC: stopping everything');
      void supervisor.shutdown('supervisor.shutdown');
    },
  };
  const onInternalError = (what: string, err: unknown): void => log.error(`xml-rpc: internal error in '${what}': ${(err as Error)?.stack ?? String(err)}`);
  const dispatcher = traced(createDispatcher(ctx, onInternalError), log);
  const servers = await serveRpc(spec, {
    dispatcher,
    onInternalError,
    mainLog: () => supervisor.run.logfile,
    logFile: (name, channel) => {
      try {
        const { process } = lookup(supervisor, name);
        if (!process || (channel !== 'stdout' && channel !== 'stderr')) return null;
        if (channel === 'stderr' && process.spec.redirect_stderr) return null;
        const t = channel === 'stdout' ? process.spec.stdoutLog : process.spec.stderrLog;
        return t.kind === 'file' ? t.path : null;
      } catch {
        return null;
      }
    },
  });
  logRpcStartup(spec, log);
  return servers;
}

/**
 * supervisord's trace lines for each XML-RPC request (xmlrpc.py, at loglevel trace or blather): `XML-RPC
 * method called: NAME()`, then `… returned successfully` or `… returned fault: [CODE] TEXT`. Nothing is
 * wrapped below that level (a restart makes the servers again, with the level read again).
 */
function traced(d: Dispatcher, log: Runtime['log']): Dispatcher {
  const sv = log as Partial<SupervisordLogger>;
  if (!sv.enabled?.('trace') || !sv.trace) return d;
  const trace = sv.trace;
  return {
    call: async (method, params) => {
      trace(`XML-RPC method called: ${method}()`);
      try {
        const value = await d.call(method, params);
        trace(`XML-RPC method ${method}() returned successfully`);
        return value;
      } catch (err) {
        if (err instanceof RpcFault) trace(`XML-RPC method ${method}() returned fault: [${err.code}] ${err.text}`);
        throw err;
      }
    },
  };
}
