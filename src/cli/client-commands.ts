/**
 * The verbs that talk to a running procinit over its control socket. The single executable runs them from
 * their own small bundle (client-entry.ts; build/sea.mjs), which holds these and nothing of the supervisor:
 * client-verbs.json names them for build/sea-main.cjs, and a test keeps the two lists the same.
 */
export type Command = (args: string[]) => Promise<number>;

export const CLIENT_COMMANDS: Record<string, Command> = {
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
};
