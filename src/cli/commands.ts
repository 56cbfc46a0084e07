/** Commands that talk to a running procinit or write exports: the verb -> handler map. */
import { exportCommand } from './export.js';
import { connectCommand } from './connect.js';
import { logsCommand } from './logs.js';
import { reloadCommand } from './reload.js';
import { scaleCommand } from './scale.js';
import { shutdownCommand } from './shutdown.js';
import { signalCommand } from './signal.js';
import { restartCommand, startCommand, stopCommand } from './start-stop.js';
import { statusCommand } from './status.js';

export type Command = (args: string[]) => Promise<number>;

export const COMMANDS: Record<string, Command> = {
  status: statusCommand,
  start: startCommand,
  stop: stopCommand,
  restart: restartCommand,
  signal: signalCommand,
  logs: logsCommand,
  scale: scaleCommand,
  reload: reloadCommand,
  shutdown: shutdownCommand,
  connect: connectCommand,
  export: (args) => exportCommand(args),
};
