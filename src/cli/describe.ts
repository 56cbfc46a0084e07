/** `procinit describe TYPE [--json]`: a process type as `drycc pts:describe` shows it. */
import { UsageError } from '../config/errors.js';
import type { DescribeResult } from '../control/handlers/describe.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, terminalColumns, withControl } from '../control/client-command.js';
import { parse } from './args.js';
import { readySummary, statusTable } from './status.js';
import { limitsLine, notifyLine, probeLine } from './health-text.js';

export const DESCRIBE_HELP = `Usage: procinit describe TYPE [--json] [-s SOCKET]

Shows one process type (or program) of the running procinit: its command,
limits, checks (in Kubernetes' words), readiness notification, depends_on,
autoscale, and its instances with their state and READY flag.

      --json          {"name","group","command","instances":[status objects],"health":{...}}
${SOCKET_HELP}
Exit codes: 0 shown; 4 no such type; 2 usage; 1 no procinit answering.
`;

export function describeText(d: DescribeResult): string {
  const h = d.health;
  const rows: Array<[string, string]> = [
    ['Command', d.command],
    ['Instances', readySummary(d.instances).trim() || `${d.name} 0/0 ready`],
    ['Limits', limitsLine(h.limits)],
    ['Liveness', probeLine(h.checks.liveness)],
    ['Readiness', probeLine(h.checks.readiness)],
    ['Startup', probeLine(h.checks.startup)],
    ['Notify', notifyLine(h.notify)],
    ['Depends on', h.dependsOn.length ? h.dependsOn.map((x) => `${x.program} (${x.condition})`).join(', ') : '<none>'],
    ['Autoscale', h.autoscale ? `min ${h.autoscale.min}, max ${h.autoscale.max}, cpu ${h.autoscale.cpuPercent}%` : '<none>'],
  ];
  const body = rows.map(([k, v]) => `${`${k}:`.padEnd(12)} ${v}\n`).join('');
  return `=== ${d.name} Process Type\n${body}${d.instances.length ? `\n${statusTable(d.instances, terminalColumns())}` : ''}`;
}

export async function describeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION });
  if (values.help) {
    await out(DESCRIBE_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('describe: expected one process type (e.g. procinit describe web)');
  return withControl(values, async (client) => {
    const result = await client.request<DescribeResult>('describe', { name: positionals[0] });
    await (values.json ? json(result) : out(describeText(result)));
    return 0;
  });
}
