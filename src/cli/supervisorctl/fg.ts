/**
 * supervisorctl's `fg NAME` (supervisorctl.py do_fg): a running process in the foreground. Its stdout and
 * stderr log files are tailed (/logtail/NAME/stdout and /stderr, from their last KiB), every line typed is
 * sent to its stdin (sendProcessStdin, with the newline), and after each line the process is asked for:
 * once it is not RUNNING, `Process got killed`. Ctrl-C or end of input: `Exiting foreground`, and back to
 * the prompt (or exit 0 from the command line). Messages and exit statuses are supervisorctl's; the one
 * difference: supervisorctl 4.2.5's tail thread keeps it alive after `Exiting foreground` (the terminal hangs
 * until the server closes), procinit's returns.
 */
import type { IncomingMessage } from 'node:http';
import { call, Fault, stream } from './transport.js';
import type { Ctl } from './commands.js';

const BAD_NAME = 10;
const NOT_RUNNING = 70;
const RUNNING = 20;
const GENERIC = 1;

/** What fg reads typed lines from, and how it hears of Ctrl-C. */
export interface LineInput {
  /** The next line typed (without its newline), or null at end of input. */
  next(): Promise<string | null>;
  /** Call fn on Ctrl-C; returns the unsubscribe. */
  onInterrupt(fn: () => void): () => void;
  /** fg is over (a one-shot input lets go of stdin). */
  done?(): void;
}

/** Python's str() of an xmlrpclib.Fault, as supervisorctl prints it after `ERROR: `. */
const faultText = (f: Fault): string => `<Fault ${f.code}: ${f.text.includes("'") && !f.text.includes('"') ? `"${f.text}"` : `'${f.text}'`}>`;

const words = (arg: string): string[] => arg.split(/\s+/).filter(Boolean);

export async function fgAction(ctl: Ctl, arg: string, upcheck: (ctl: Ctl) => Promise<boolean>, input: () => LineInput): Promise<void> {
  if (!(await upcheck(ctl))) return;
  const names = words(arg);
  if (names.length === 0) {
    ctl.out('ERROR: no process name supplied');
    ctl.exitstatus = GENERIC;
    ctl.out('fg <process>\tConnect to a process in foreground mode');
    ctl.out('\t\tCtrl-C to exit');
    return;
  }
  if (names.length > 1) {
    ctl.out('ERROR: too many process names supplied');
    ctl.exitstatus = GENERIC;
    return;
  }
  const name = names[0];
  const rpc = (method: string, ...params: unknown[]): Promise<unknown> => call(ctl.server, `supervisor.${method}`, params);
  let info: { state: number };
  try {
    info = (await rpc('getProcessInfo', name)) as { state: number };
  } catch (err) {
    if (!(err instanceof Fault)) throw err;
    if (err.code === BAD_NAME) {
      ctl.out('ERROR: bad process name supplied');
      ctl.exitstatus = GENERIC;
    } else {
      ctl.out(`ERROR: ${faultText(err)}`);
    }
    return;
  }
  if (info.state !== RUNNING) {
    ctl.out('ERROR: process not running');
    ctl.exitstatus = GENERIC;
    return;
  }
  ctl.out('==> Press Ctrl-C to exit <==');

  const tails: IncomingMessage[] = [];
  let over = false;
  for (const channel of ['stdout', 'stderr']) {
    // each channel's log as it grows; a channel without a log file answers an error page, which is not shown
    stream(ctl.server, `/logtail/${encodeURIComponent(name)}/${channel}`).then(
      (res) => {
        if (over) return void res.destroy();
        tails.push(res);
        if (res.statusCode !== 200) return void res.resume();
        res.on('data', (d: Buffer) => process.stdout.write(d));
        res.on('error', () => {});
      },
      () => {},
    );
  }
  const lines = input();
  let interrupted: () => void = () => {};
  const interrupt = new Promise<null>((resolve) => (interrupted = () => resolve(null)));
  const unsubscribe = lines.onInterrupt(() => interrupted());
  const end = (...msgs: string[]): void => msgs.forEach((m) => ctl.out(m));
  try {
    for (;;) {
      const line = await Promise.race([lines.next(), interrupt]);
      if (line === null) return end('Exiting foreground');
      try {
        await rpc('sendProcessStdin', name, `${line}\n`);
      } catch (err) {
        if (!(err instanceof Fault)) throw err;
        return end(err.code === NOT_RUNNING ? 'Process got killed' : `ERROR: ${faultText(err)}`, 'Exiting foreground');
      }
      const now = (await rpc('getProcessInfo', name)) as { state: number };
      if (now.state !== RUNNING) return end('Process got killed', 'Exiting foreground');
    }
  } finally {
    over = true;
    unsubscribe();
    for (const t of tails) t.destroy();
    lines.done?.();
  }
}
