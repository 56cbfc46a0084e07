/**
 * procinit's entry point: dispatch the command, turn every expected error into one line on stderr and
 * a documented exit code (2 for usage and config errors), never a stack trace.
 */
import { UsageError } from '../config/errors.js';
import { reportError } from './report-error.js';
import { MAIN_HELP } from './help.js';
import { parse, RUN_OPTIONS, toRunOptions } from './args.js';
import { COMMANDS } from './commands.js';
import { personalityOf } from './personality.js';
import pkg from '../../package.json';

export const VERSION: string = pkg.version;

type Command = (args: string[]) => Promise<number>;

// Loaded on first use: a client command (status in a HEALTHCHECK) does not pay for the supervisor.
const upCommand: Command = (args) => import('./up.js').then((m) => m.upCommand(args));

const BUILTIN: Record<string, Command> = {
  up: upCommand,
  check: (args) => import('./check.js').then((m) => m.checkCommand(args)),
};

/** A verb of this table, not a name every object has (`procinit toString` names a process type). */
function isVerb(table: Record<string, Command>, word: string | undefined): word is string {
  return word !== undefined && Object.hasOwn(table, word);
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__exec-as') return (await import('../supervisor/exec-as.js')).execAs(argv.slice(1));
  const dashdash = argv.indexOf('--');
  if (dashdash >= 0 && !isVerb(BUILTIN, argv[0]) && !isVerb(COMMANDS, argv[0])) {
    const before = argv.slice(0, dashdash);
    const cmd = argv.slice(dashdash + 1);
    if (cmd.length === 0) throw new UsageError("nothing to run after '--' (procinit -- CMD ARGS...)");
    const { values } = parse(before, RUN_OPTIONS, false);
    const opts = toRunOptions(values, []);
    const { execCommand } = await import('./exec.js');
    return execCommand(cmd, { grace: opts.load.timeout });
  }
  const first = argv[0];
  if (first === '--version' || first === '-V' || first === 'version') {
    process.stdout.write(`procinit ${VERSION}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(MAIN_HELP);
    return 0;
  }
  if (isVerb(BUILTIN, first)) return BUILTIN[first](argv.slice(1));
  if (isVerb(COMMANDS, first)) return COMMANDS[first](argv.slice(1));
  return upCommand(argv);
}

/** By the name procinit runs under: procinit, or supervisord's / supervisorctl's command line. */
async function byName(argv: string[]): Promise<number> {
  const who = personalityOf(process.argv0, process.argv[1]);
  if (who === 'supervisord') return (await import('./supervisord.js')).supervisordMain(argv, process.argv[1] ?? process.argv0);
  if (who === 'supervisorctl') return (await import('./supervisorctl/main.js')).supervisorctlMain(argv);
  return main(argv);
}

export function cli(): void {
  byName(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportError(err)),
  );
}

