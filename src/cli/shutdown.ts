/** `procinit shutdown`: the same graceful stop as SIGTERM; waits until procinit has stopped everything. */
import type { ShutdownResult } from '../control/handlers/lifecycle.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { parse } from './args.js';

export const SHUTDOWN_HELP = `Usage: procinit shutdown [--no-wait] [--json] [-s SOCKET]

Stops every process gracefully and ends procinit, exactly as SIGTERM to
procinit does (each process gets its stop signal, SIGKILL after its grace).
Waits until procinit has stopped everything, unless --no-wait. As PID 1 of a
container this stops the container.

      --no-wait       return as soon as the stop has begun
      --json          {"stopping":true}
${SOCKET_HELP}
Exit codes: 0 stopped (or stopping, with --no-wait); 1 no procinit answering.
`;

export async function shutdownCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION, 'no-wait': { type: 'boolean' } }, false);
  if (values.help) {
    await out(SHUTDOWN_HELP);
    return 0;
  }
  return withControl(values, async (client) => {
    const result = await client.request<ShutdownResult>('shutdown');
    if (values.json) await json(result);
    else await out(values['no-wait'] ? 'procinit is stopping\n' : 'procinit is stopping...\n');
    if (values['no-wait']) return 0;
    await client.whenClosed();
    if (!values.json) await out('procinit has stopped\n');
    return 0;
  });
}
