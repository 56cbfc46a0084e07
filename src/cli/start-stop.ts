/**
 * `procinit start|stop|restart NAME|TYPE|group:*|all...`: act, wait for the result, print one line per
 * process (`web.1: started`, `worker.1: ERROR (could not start: exited with code 1)`); exit 1 when any
 * failed, 4 for an unknown name (nothing is done then).
 */
import type { ActionResult, ActionsResult } from '../control/handlers/start-stop.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { UsageError } from '../config/errors.js';
import { parse } from './args.js';

const WHAT: Record<string, string> = {
  start: `Starts the processes and waits until each is RUNNING (after its startsecs,
through BACKOFF retries) or has failed (FATAL). Already running: no change.`,
  stop: `Stops the processes with their stop signal and waits until each is gone
(SIGKILL after its grace, stopwaitsecs / -t). A process stopped this way does
not end the run and is not restarted.`,
  restart: `Stops the processes, then starts them again, waiting for each result.`,
};

export function actionHelp(verb: string): string {
  return `Usage: procinit ${verb} NAME|TYPE|group:*|all... [--json] [-s SOCKET]

${WHAT[verb]}
NAME is an instance (web.1), TYPE a process type or program (web), group:*
every process of a group, all every process.

      --json          an array of {"name","ok","state","message"}
${SOCKET_HELP}
Exit codes: 0 all done; 1 some failed (or no procinit answering); 2 usage;
4 no such process (nothing was done).
`;
}

/** `web.1: started` / `web.1: ERROR (not running)`, names aligned. */
export function actionLines(results: ActionResult[]): string {
  const width = results.reduce((w, r) => Math.max(w, r.name.length + 1), 0);
  return results.map((r) => `${`${r.name}:`.padEnd(width)} ${r.ok ? r.message : `ERROR (${r.message})`}\n`).join('');
}

function actionCommand(verb: 'start' | 'stop' | 'restart') {
  return async (args: string[]): Promise<number> => {
    const { values, positionals } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION });
    if (values.help) {
      await out(actionHelp(verb));
      return 0;
    }
    if (positionals.length === 0) throw new UsageError(`${verb}: name a process, a type, group:* or all (procinit ${verb} --help)`);
    return withControl(values, async (client) => {
      const { results } = await client.request<ActionsResult>(verb, { names: positionals });
      await (values.json ? json(results) : out(actionLines(results)));
      return results.every((r) => r.ok) ? 0 : 1;
    });
  };
}

export const startCommand = actionCommand('start');
export const stopCommand = actionCommand('stop');
export const restartCommand = actionCommand('restart');
