/** `procinit scale TYPE=N...`: change how many instances of a process type (or program) run. */
import { UsageError } from '../config/errors.js';
import { parseFormation } from '../config/formation.js';
import type { ScaleChange, ScaleResult } from '../control/handlers/scale.js';
import { MAX_SCALE } from '../control/handlers/scale.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { parse } from './args.js';

export const SCALE_HELP = `Usage: procinit scale TYPE=N... [--json] [-s SOCKET]

Changes the number of instances of process types (Procfile) or programs
(supervisord numprocs) while procinit runs: web=3 starts web.2 and web.3 with
their own PORT; web=1 then stops web.3 and web.2 gracefully, highest first.
Also: web=2,worker=0 in one argument, all=N for every type (at most ${MAX_SCALE}).
A count set here survives 'procinit reload' unless the config's own count for
that type changes.

      --json          {"programs":[{"name","from","to","started","stopped"}]}
${SOCKET_HELP}
Exit codes: 0 done; 1 failed or no procinit answering; 2 usage; 4 no such type.
`;

export function scaleLines(changes: ScaleChange[]): string {
  return changes
    .map((c) => {
      const what = [c.started.length ? `started ${c.started.join(', ')}` : '', c.stopped.length ? `stopped ${c.stopped.join(', ')}` : ''].filter(Boolean);
      return `${c.name}: ${c.from} -> ${c.to}${what.length ? `, ${what.join(', ')}` : ' (unchanged)'}\n`;
    })
    .join('');
}

export async function scaleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION });
  if (values.help) {
    await out(SCALE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('scale: expected TYPE=N... (e.g. procinit scale web=2 worker=0)');
  let counts: Record<string, number>;
  try {
    counts = parseFormation(positionals.join(','));
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message.replace(/^formation:/, 'scale:'));
    throw err;
  }
  return withControl(values, async (client) => {
    const result = await client.request<ScaleResult>('scale', { counts: { ...counts } });
    await (values.json ? json(result) : out(scaleLines(result.programs)));
    return 0;
  });
}
