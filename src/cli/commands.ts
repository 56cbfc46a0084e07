/**
 * Commands that talk to a running procinit or write exports: the verb -> handler map.
 * Each is loaded on first use, so `procinit status` (a HEALTHCHECK, run every few seconds) starts fast.
 */
import { CLIENT_COMMANDS, type Command } from './client-commands.js';

export type { Command };

export const COMMANDS: Record<string, Command> = {
  ...CLIENT_COMMANDS,
  export: (args) => import('./export.js').then((m) => m.exportCommand(args)),
};
