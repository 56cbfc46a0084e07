/** `procinit signal SIG NAME...`: send a signal (name or number) to processes; exit 1 when one was not running. */
import { normalizeSignal, UsageError } from '../config/errors.js';
import type { ActionsResult } from '../control/handlers/start-stop.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { parse } from './args.js';
import { actionLines } from './start-stop.js';

export const SIGNAL_HELP = `Usage: procinit signal SIG NAME|TYPE|group:*|all... [--json] [-s SOCKET]

Sends signal SIG (HUP, SIGUSR1, usr2, 15, -9 ...) to each named process: to
its whole process group when the config says stopasgroup/killasgroup (every
Procfile process), else to its pid.

      --json          an array of {"name","ok","state","message"}
${SOCKET_HELP}
Exit codes: 0 sent to all; 1 some process was not running; 2 usage;
4 no such process.
`;

export async function signalCommand(args: string[]): Promise<number> {
  // `procinit signal -9 web` like kill(1): a negative number is the signal, not an option
  const argv = args.length > 0 && /^-\d+$/.test(args[0]) ? [args[0].slice(1), ...args.slice(1)] : args;
  const { values, positionals } = parse(argv, { ...SOCKET_OPTIONS, ...JSON_OPTION });
  if (values.help) {
    await out(SIGNAL_HELP);
    return 0;
  }
  const [sig, ...names] = positionals;
  if (sig === undefined || names.length === 0) throw new UsageError('signal: expected SIG NAME... (procinit signal --help)');
  if (normalizeSignal(sig) === null) throw new UsageError(`signal: unknown signal '${sig}'`);
  return withControl(values, async (client) => {
    const { results } = await client.request<ActionsResult>('signal', { signal: sig, names });
    await (values.json ? json(results) : out(actionLines(results)));
    return results.every((r) => r.ok) ? 0 : 1;
  });
}
