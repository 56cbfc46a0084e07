/**
 * procinit run as `supervisorctl`: a client of supervisord's XML-RPC interface (procinit's or supervisord's)
 * with supervisorctl's command line, output and exit statuses; an interactive `supervisor> ` prompt when no
 * action is given.
 */
import { createInterface, type Interface } from 'node:readline';
import { oneLine, UsageError } from '../../config/errors.js';
import { ACTIONS, LSB, type Ctl } from './commands.js';
import { parseCtlArgs } from './options.js';
import { HttpStatusError } from './transport.js';
import { LineQueue } from './lines.js';
import type { LineInput } from './fg.js';

export const SUPERVISORCTL_USAGE = `supervisorctl -- control applications run by supervisord from the cmd line.

Usage: supervisorctl [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.
`;

const ALIASES: Record<string, string> = {};

async function onecmd(ctl: Ctl, line: string): Promise<boolean> {
  const trimmed = line.trim();
  if (trimmed === '') return false;
  const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
  const cmd = ALIASES[m[1]] ?? m[1];
  const arg = m[2];
  if (cmd === 'quit' || cmd === 'exit' || cmd === 'EOF') return true;
  if (cmd === 'help') {
    ctl.out('\ndefault commands (type help <topic>):\n=====================================\n' + [...Object.keys(ACTIONS), 'exit', 'help', 'quit'].sort().join('  ') + '\n');
    return false;
  }
  const action = Object.hasOwn(ACTIONS, cmd) ? ACTIONS[cmd] : undefined;
  if (!action) {
    ctl.out(`*** Unknown syntax: ${trimmed}`);
    ctl.exitstatus = LSB.GENERIC;
    return false;
  }
  try {
    await action(ctl, arg);
  } catch (err) {
    if (err instanceof HttpStatusError && err.status === 401) {
      ctl.out('Server requires authentication');
    } else {
      ctl.out(`error: ${oneLine((err as Error)?.message ?? String(err))}`);
    }
    ctl.exitstatus = LSB.GENERIC;
  }
  return false;
}

export async function supervisorctlMain(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseCtlArgs(argv, process.env, process.cwd(), process.argv[1] ?? process.argv0);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`Error: ${oneLine(err.message)}\nFor help, use supervisorctl -h\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(SUPERVISORCTL_USAGE);
    return 0;
  }
  let nextLine: (() => Promise<string | null>) | null = null;
  // the prompt's lines, once there is a prompt (fg reads its lines from the same queue)
  let prompt: { rl: Interface; queue: LineQueue } | null = null;
  const ctl: Ctl = {
    server: { url: opts.serverurl, username: opts.username, password: opts.password },
    interactive: opts.interactive,
    exitstatus: LSB.SUCCESS,
    out: (line) => process.stdout.write(`${line}\n`),
    confirm: async (q) => {
      if (!nextLine) return false;
      process.stdout.write(q);
      return /^y/i.test((await nextLine()) ?? '');
    },
    input: () => fgInput(prompt),
  };
  if (opts.line) {
    await onecmd(ctl, opts.line);
    if (!opts.interactive) return ctl.exitstatus; // -i: a prompt after the action
  }
  // interactive: the status first (without an action), then a prompt until quit or end of input
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  const queue = new LineQueue(rl);
  prompt = { rl, queue };
  nextLine = () => queue.next();
  if (!opts.line) await onecmd(ctl, 'status');
  rl.setPrompt(`${opts.prompt}> `);
  for (;;) {
    rl.prompt();
    const line = await nextLine();
    if (line === null || (await onecmd(ctl, line))) {
      process.stdout.write('\n');
      break;
    }
  }
  rl.close();
  return 0; // supervisorctl's shell always exits 0
}

/**
 * fg's typed lines: the prompt's (Ctrl-C reaches readline as its 'SIGINT' on a terminal), or, from the
 * command line, a readline of its own that leaves the terminal as it is (the terminal echoes, edits the line
 * and turns Ctrl-C into SIGINT, as for supervisorctl's raw_input).
 */
function fgInput(prompt: { rl: Interface; queue: LineQueue } | null): LineInput {
  const own = prompt === null ? createInterface({ input: process.stdin, terminal: false }) : null;
  const rl = prompt?.rl ?? own!;
  const queue = prompt?.queue ?? new LineQueue(own!);
  return {
    next: () => queue.next(),
    onInterrupt: (fn) => {
      rl.on('SIGINT', fn);
      process.on('SIGINT', fn);
      return () => {
        rl.off('SIGINT', fn);
        process.off('SIGINT', fn);
      };
    },
    done: () => {
      queue.cancel();
      if (own) {
        own.close();
        process.stdin.pause();
      }
    },
  };
}
