/**
 * `procinit top [NAME...] [-n N] [-i SECONDS]`: each process's CPU % and memory against its limits, redrawn
 * every interval (on a terminal; elsewhere one table per interval), like `docker stats` for the processes
 * of one container. Ctrl-C ends it (exit 0). Exit codes otherwise as `status`.
 */
import type { ProcessStatus, StatusResult } from '../control/handlers/status.js';
import { EXIT_NO_SUCH_PROCESS, out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { UsageError, oneLine } from '../config/errors.js';
import { formatBytes } from '../health/limits/size.js';
import { parse } from './args.js';
import { longTimeout } from '../supervisor/clock.js';

export const TOP_HELP = `Usage: procinit top [NAME|TYPE...] [-n N] [-i SECONDS] [-s SOCKET]

Shows each process's CPU % (of one core, over the last second) and memory
against its limits, and how the limits are enforced (cgroup v2, cgroup v1 or
RSS sampling), refreshed every interval until Ctrl-C.

  -n, --iterations N  stop after N refreshes (default: until interrupted)
  -i, --interval S    seconds between refreshes (default 2)
${SOCKET_HELP}`;

const TOP_OPTIONS = {
  ...SOCKET_OPTIONS,
  iterations: { type: 'string', short: 'n' },
  interval: { type: 'string', short: 'i' },
} as const;

function cell(p: ProcessStatus): string[] {
  const r = p.resources;
  const mem = r?.memory === null || r?.memory === undefined ? '-' : formatBytes(r.memory);
  const memLimit = r?.memory_limit ? ` / ${formatBytes(r.memory_limit)}` : '';
  const pct = r?.memory && r.memory_limit ? ` (${Math.round((r.memory / r.memory_limit) * 100)}%)` : '';
  const cpu = r?.cpu_percent === null || r?.cpu_percent === undefined ? '-' : `${r.cpu_percent.toFixed(1)}%`;
  const cpuLimit = r?.cpu_limit ? ` / ${r.cpu_limit * 100}%` : '';
  return [p.name, p.state, p.pid === null ? '-' : String(p.pid), cpu + cpuLimit, mem + memLimit + pct, r?.limit_mode ?? '-', String(r?.memory_kills ?? 0)];
}

/** The table top prints (exported for tests). */
export function topTable(result: StatusResult): string {
  const header = ['NAME', 'STATE', 'PID', 'CPU', 'MEMORY', 'LIMITS', 'OOM'];
  const rows = [header, ...result.processes.map(cell)];
  const widths = header.map((_, c) => rows.reduce((w, r) => Math.max(w, r[c].length), 0));
  const text = rows.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd() + '\n').join('');
  return text + (result.limits ? `${result.limits}\n` : '');
}

function count(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || value.trim() === '') throw new UsageError(`${flag}: expected a number >= ${min}, got '${value}'`);
  return n;
}

export async function topCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, TOP_OPTIONS);
  if (values.help) {
    await out(TOP_HELP);
    return 0;
  }
  const iterations = count(values.iterations, '--iterations', Infinity, 1);
  const intervalMs = count(values.interval, '--interval', 2, 0.2) * 1000;
  const tty = process.stdout.isTTY === true;
  return withControl(values, async (client) => {
    let stop = false;
    const onInt = (): void => {
      stop = true;
    };
    process.once('SIGINT', onInt);
    try {
      // the first answer starts procinit's sampling: CPU % needs two samples, so the first table waits one interval
      await client.request<StatusResult>('status', { names: positionals });
      for (let i = 0; i < iterations && !stop; i++) {
        await new Promise<void>((r) => longTimeout(i === 0 ? Math.max(intervalMs, 1100) : intervalMs, r)); // --interval may pass 24.8 days
        if (stop) break;
        const result = await client.request<StatusResult>('status', { names: positionals });
        if (result.unknown.length > 0) {
          for (const u of result.unknown) process.stderr.write(`procinit: ${oneLine(u)}: no such process\n`);
          return EXIT_NO_SUCH_PROCESS;
        }
        await out((tty ? '\x1b[H\x1b[2J' : i > 0 ? '\n' : '') + topTable(result));
      }
      return 0;
    } finally {
      process.removeListener('SIGINT', onInt);
    }
  });
}
