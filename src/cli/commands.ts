/** Commands that talk to a running procinit or write exports: the verb -> handler map. */
import { exportCommand } from './export.js';

export type Command = (args: string[]) => Promise<number>;

export const COMMANDS: Record<string, Command> = {
  export: (args) => exportCommand(args),
};
