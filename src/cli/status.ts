/**
 * `procinit status [NAME|TYPE|group:*...] [--json]`: the processes and their states, as a table in 80
 * columns or (--json) an array. Exit code: 0 every selected process that should run is RUNNING and ready, 3 some
 * is not, 4 an unknown name, 2 usage, 1 no procinit answering. A Docker HEALTHCHECK as it is.
 */
import type { ProcessStatus, StatusResult } from '../control/handlers/status.js';
import { EXIT_NO_SUCH_PROCESS, json, JSON_OPTION, out, SOCKET_HELP, SOCKET_OPTIONS, terminalColumns, withOneRequest } from '../control/client-command.js';
import { parse } from './args.js';
import { oneLine } from '../config/errors.js';

export const STATUS_HELP = `Usage: procinit status [NAME|TYPE|group:*...] [--json] [-s SOCKET]

Shows each process of the running procinit (or only those named: web.1, a
type or program such as web, group:*, all): its state, whether it is READY
(its readiness probe passed, or it said so), pid, restarts, and its uptime or
how it last ended; then per type how many are ready (web 2/3 ready).

      --json          an array of objects (keys in docs/protocol.md)
${SOCKET_HELP}
Exit codes: 0 every selected process that should run is RUNNING and ready; 3
some is not (not ready yet, waiting for depends_on, STARTING, BACKOFF, EXITED
unexpectedly, FATAL, STOPPING); 4 no such
process; 2 usage error; 1 no procinit answering. Use it as a HEALTHCHECK:
  HEALTHCHECK CMD ["procinit", "status"]
`;

export const EXIT_NOT_RUNNING = 3;

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** READY column: yes, no (should run and is not ready), - (not meant to run). */
function readyCell(p: ProcessStatus): string {
  if (p.ready) return 'yes';
  return p.wanted || p.waiting_for !== null ? 'no' : '-';
}

/** The table: NAME STATE READY PID RESTARTS INFO, aligned; INFO cut to the terminal's width on a TTY. */
export function statusTable(processes: ProcessStatus[], columns: number | null): string {
  // as supervisorctl: a program in a [group:x] shows as x:name
  const rows = processes.map((p) => [
    p.group !== p.program ? `${p.group}:${p.name}` : p.name, p.state, readyCell(p), p.pid === null ? '-' : String(p.pid), String(p.restarts), p.description,
  ]);
  const header = ['NAME', 'STATE', 'READY', 'PID', 'RESTARTS', 'INFO'];
  const fixed = header.length - 1;
  const widths = header.slice(0, fixed).map((h, c) => rows.reduce((w, r) => Math.max(w, r[c].length), h.length));
  const line = (r: string[]): string => {
    const left = r.slice(0, fixed).map((cell, c) => cell.padEnd(widths[c])).join('  ') + '  ';
    const info = columns === null ? r[fixed] : cut(r[fixed], Math.max(10, columns - left.length));
    return (left + info).trimEnd() + '\n';
  };
  return [header, ...rows].map(line).join('');
}

/** Per type, as `drycc pts`: `web 2/3 ready` (ready instances / instances that should run). */
export function readySummary(processes: ProcessStatus[]): string {
  const types = new Map<string, { ready: number; total: number }>();
  for (const p of processes) {
    const t = types.get(p.program) ?? { ready: 0, total: 0 };
    if (p.ready) t.ready += 1;
    if (p.ready || p.wanted || p.waiting_for !== null) t.total += 1;
    types.set(p.program, t);
  }
  return [...types].map(([name, t]) => `${name} ${t.ready}/${t.total} ready\n`).join('');
}

export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...SOCKET_OPTIONS, ...JSON_OPTION });
  if (values.help) {
    await out(STATUS_HELP);
    return 0;
  }
  return withOneRequest(values, async (client) => {
    const result = await client.request<StatusResult>('status', { names: positionals });
    if (values.json) await json(result.processes);
    else if (result.processes.length > 0) {
      await out(statusTable(result.processes, terminalColumns()) + '\n' + readySummary(result.processes) + (result.limits ? `${result.limits}\n` : ''));
    }
    if (result.unknown.length > 0) {
      for (const u of result.unknown) process.stderr.write(`procinit: ${oneLine(u)}: no such process\n`);
      return EXIT_NO_SUCH_PROCESS;
    }
    return result.processes.every((p) => p.healthy) ? 0 : EXIT_NOT_RUNNING;
  });
}
