/**
 * `procinit logs [-f] [-n LINES] [NAME...]`: recent output from procinit's in-memory ring buffers,
 * prefixed like procinit's own output; -f follows until Ctrl-C or until procinit stops.
 */
import { UsageError } from '../config/errors.js';
import type { LogEvent, LogsOpen } from '../control/handlers/logs.js';
import { DEFAULT_LOG_LINES, MAX_LOG_LINES } from '../control/handlers/logs.js';
import { out, SOCKET_HELP, SOCKET_OPTIONS, withControl } from '../control/client-command.js';
import { RecordFormatter, shouldColor } from '../output/format.js';
import { RING_MAX_BYTES, RING_MAX_LINES } from '../output/ring.js';
import { parse } from './args.js';

export const LOGS_HELP = `Usage: procinit logs [-f] [-n LINES] [NAME|TYPE|group:*...] [options]

Prints the recent output of every process (or of those named), prefixed like
procinit's own output. It comes from an in-memory ring buffer per process
that keeps the last ${RING_MAX_LINES} lines or ${RING_MAX_BYTES / 1024 / 1024} MiB, whichever is less; older output is
only in log files, if the config writes any.

  -f, --follow        then print new lines as they come, until Ctrl-C (exit 0)
                      or until procinit stops
  -n, --lines N       how many lines to print first (default ${DEFAULT_LOG_LINES}; all = every
                      line kept; 0 with -f = only new lines)
  -t, --timestamps    prefix each line with the time procinit read it
      --no-color      no colours (also NO_COLOR; FORCE_COLOR forces them)
      --json          JSON lines {"time","name","stream","line"}
${SOCKET_HELP}
Exit codes: 0 done (or Ctrl-C); 1 no procinit answering or the connection was
lost; 2 usage; 4 no such process.
`;

function lineCount(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOG_LINES;
  if (value === 'all') return MAX_LOG_LINES;
  if (!/^\d+$/.test(value) || Number(value) > MAX_LOG_LINES) throw new UsageError(`--lines: expected a number of lines or 'all', got '${value}'`);
  return Number(value);
}

export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SOCKET_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
    timestamps: { type: 'boolean', short: 't' },
    'no-color': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    await out(LOGS_HELP);
    return 0;
  }
  const lines = lineCount(values.lines);
  const follow = values.follow === true;
  const color = values['no-color'] ? false : shouldColor(process.stdout.isTTY === true, process.env);
  const formatter = new RecordFormatter({ format: values.json ? 'json' : 'text', color, timestamps: values.timestamps === true });

  return withControl(values, async (client) => {
    let stop!: (code: number) => void;
    const stopped = new Promise<number>((r) => (stop = r));
    const onInterrupt = (): void => stop(0);
    const onStdoutError = (): void => stop(0); // a closed pipe (| head): done, quietly
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    process.stdout.on('error', onStdoutError);
    let paused = false;
    try {
      const call = client.stream<LogsOpen, LogEvent>(
        'logs',
        { names: positionals, lines, follow },
        {
          onOpen: (open) => formatter.setNames(open.names),
          onEvent: (e) => {
            const parts: Buffer[] = [];
            formatter.format([{ name: e.name, stream: e.stream, time: Date.parse(e.time), line: Buffer.from(e.line) }], parts);
            // a slow reader of our stdout (| less): stop reading the socket; procinit waits or drops us
            if (!process.stdout.write(Buffer.concat(parts)) && !paused) {
              paused = true;
              client.pause();
              process.stdout.once('drain', () => {
                paused = false;
                client.resume();
              });
            }
          },
        },
      );
      await call.result;
      const code = await Promise.race([call.done.then(() => 0), stopped]);
      await out('');
      return code;
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
  });
}
