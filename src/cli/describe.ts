/** `procinit describe TYPE [--json]`: a process type as `drycc pts:describe` shows it. */
import { UsageError } from '../config/errors.js';
import type { LimitsSpec, ProbeSpec } from '../config/model.js';
import type { DescribeResult } from '../control/handlers/describe.js';
import { json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { parse } from './args.js';
import { readySummary, statusTable } from './status.js';

export const DESCRIBE_HELP = `Usage: procinit describe TYPE [--json] [-s SOCKET]

Shows one process type (or program) of the running procinit: its command,
limits, checks (in Kubernetes' words), readiness notification, depends_on,
autoscale, and its instances with their state and READY flag.

      --json          {"name","group","command","instances":[status objects],"health":{...}}
${SOCKET_HELP}
Exit codes: 0 shown; 4 no such type; 2 usage; 1 no procinit answering.
`;

const secs = (ms: number): string => `${ms % 1000 === 0 ? ms / 1000 : ms / 1000}s`;

/** A probe as kubectl/Drycc print it (and procinit.toml reads it back). */
export function probeLine(p: ProbeSpec | null): string {
  if (!p) return '<none>';
  const target =
    p.kind === 'http' ? `http-get ${p.scheme === 'https' ? 'scheme=https ' : ''}path=${p.path} port=${p.port ?? '$PORT'}`
    : p.kind === 'tcp' ? `tcp-socket :${p.port ?? '$PORT'}`
    : `exec [${(p.command ?? []).join(' ')}]`;
  return `${target} delay=${secs(p.initialDelayMs)} timeout=${secs(p.timeoutMs)} period=${secs(p.periodMs)} #success=${p.successThreshold} #failure=${p.failureThreshold}`;
}

export function memoryText(bytes: number): string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}`;
}

function limitsLine(l: LimitsSpec): string {
  const parts = [l.cpu !== null ? `cpu ${l.cpu}` : '', l.memoryBytes !== null ? `memory ${memoryText(l.memoryBytes)}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : '<none>';
}

export function describeText(d: DescribeResult): string {
  const h = d.health;
  const notify = !h.notify ? '<none>' : h.notify.kind === 'fd' ? `notification-fd ${h.notify.fd}` : `sd_notify${h.notify.watchdogMs !== null ? ` (watchdog ${secs(h.notify.watchdogMs)})` : ''}`;
  const rows: Array<[string, string]> = [
    ['Command', d.command],
    ['Instances', readySummary(d.instances).trim() || `${d.name} 0/0 ready`],
    ['Limits', limitsLine(h.limits)],
    ['Liveness', probeLine(h.checks.liveness)],
    ['Readiness', probeLine(h.checks.readiness)],
    ['Startup', probeLine(h.checks.startup)],
    ['Notify', notify],
    ['Depends on', h.dependsOn.length ? h.dependsOn.map((x) => `${x.program} (${x.condition})`).join(', ') : '<none>'],
    ['Autoscale', h.autoscale ? `min ${h.autoscale.min}, max ${h.autoscale.max}, cpu ${h.autoscale.cpuPercent}%` : '<none>'],
  ];
  const body = rows.map(([k, v]) => `${`${k}:`.padEnd(12)} ${v}\n`).join('');
  return `=== ${d.name} Process Type\n${body}${d.instances.length ? `\n${statusTable(d.instances, process.stdout.isTTY ? process.stdout.columns || 80 : null)}` : ''}`;
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
