/**
 * Commands that talk to a running procinit or write exports: the verb -> handler map.
 * Each is loaded on first use, so `procinit status` (a HEALTHCHECK, run every few seconds) starts fast.
 */
export type Command = (args: string[]) => Promise<number>;

export const COMMANDS: Record<string, Command> = {
  status: (args) => import('./status.js').then((m) => m.statusCommand(args)),
  top: (args) => import('./top.js').then((m) => m.topCommand(args)),
  describe: (args) => import('./describe.js').then((m) => m.describeCommand(args)),
  start: (args) => import('./start-stop.js').then((m) => m.startCommand(args)),
  stop: (args) => import('./start-stop.js').then((m) => m.stopCommand(args)),
  restart: (args) => import('./start-stop.js').then((m) => m.restartCommand(args)),
  signal: (args) => import('./signal.js').then((m) => m.signalCommand(args)),
  logs: (args) => import('./logs.js').then((m) => m.logsCommand(args)),
  scale: (args) => import('./scale.js').then((m) => m.scaleCommand(args)),
  reload: (args) => import('./reload.js').then((m) => m.reloadCommand(args)),
  shutdown: (args) => import('./shutdown.js').then((m) => m.shutdownCommand(args)),
  connect: (args) => import('./connect.js').then((m) => m.connectCommand(args)),
  export: (args) => import('./export.js').then((m) => m.exportCommand(args)),
};
