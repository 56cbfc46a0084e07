/** `procinit reload`: re-read the config and apply the difference (supervisorctl update). */
import type { ReloadSummary } from '../supervisor/reload.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { RemoteError } from '../control/client.js';
import { parse } from './args.js';
import { oneLine } from '../config/errors.js';

export const RELOAD_HELP = `Usage: procinit reload [--json] [-s SOCKET]

Makes the running procinit read its config again (the same file, .env and
options it started with) and apply the difference, as 'supervisorctl update'
does: processes added to the config start, removed ones stop, changed ones
(command, environment, any setting) restart, unchanged ones are left alone.
A config that no longer loads is refused with its file:line error and nothing
changes. Sending SIGHUP to procinit does the same.

      --json          {"added":[...],"removed":[...],"changed":[...],
                       "unchanged":[...]} (process names)
${SOCKET_HELP}
Exit codes: 0 applied; 2 the config does not load (nothing changed); 1 no
procinit answering or another failure.
`;

export function reloadLines(s: ReloadSummary): string {
  const lines = [
    ...s.added.map((n) => `${n}: added`),
    ...s.removed.map((n) => `${n}: removed`),
    ...s.changed.map((n) => `${n}: changed, restarted`),
  ];
  if (lines.length === 0) return `nothing changed (${s.unchanged.length} process${s.unchanged.length === 1 ? '' : 'es'})\n`;
  return lines.join('\n') + `\n(${s.unchanged.length} unchanged)\n`;
}

export async function reloadCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION }, false);
  if (values.help) {
    await out(RELOAD_HELP);
    return 0;
  }
  return withControl(values, async (client) => {
    try {
      const summary = await client.request<ReloadSummary>('reload');
      await (values.json ? json(summary) : out(reloadLines(summary)));
      return 0;
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'config') {
        process.stderr.write(`procinit: reload refused, nothing changed: ${oneLine(err.message)}\n`);
        return 2;
      }
      throw err;
    }
  });
}
