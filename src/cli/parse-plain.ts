/**
 * The usual command line (`-f Procfile --socket PATH web`) parsed without node's util.parseArgs: loading
 * and running that costs about 0.6 ms of every start (its module is compiled on first use, and it checks
 * every option against every argument). This handles only words whose meaning cannot be in doubt, giving
 * exactly parseArgs's answer (strict, no defaults), and returns null for anything else, which then goes to
 * parseArgs for its answer or its error: `--`, `-` alone, grouped or glued short options (`-abc`, `-fX`),
 * `--name=value` for a boolean or with an empty value, an unknown option, a missing value or one that
 * starts with `-`, a positional where none is allowed, an option with a default.
 */
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export function parsePlain(args: readonly string[], options: Options, allowPositionals: boolean): { values: Values; positionals: string[] } | null {
  for (const name in options) if (options[name].default !== undefined) return null;
  // parseArgs's values object has no prototype
  const values: Values = Object.create(null) as Values;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      if (arg.length === 2) return null;
      const eq = arg.indexOf('=');
      if (eq < 0) name = arg.slice(2);
      else {
        name = arg.slice(2, eq);
        inline = arg.slice(eq + 1);
        if (inline === '') return null;
      }
      if (!Object.hasOwn(options, name)) return null;
    } else if (arg.startsWith('-')) {
      if (arg.length !== 2) return null;
      for (const long in options) {
        if (options[long].short === arg[1]) {
          name = long;
          break;
        }
      }
      if (name === undefined) return null;
    } else {
      if (!allowPositionals) return null;
      positionals.push(arg);
      continue;
    }
    const option = options[name];
    let value: string | boolean;
    if (option.type === 'boolean') {
      if (inline !== undefined) return null;
      value = true;
    } else if (inline !== undefined) value = inline;
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return null;
      value = next;
      i++;
    }
    if (option.multiple) {
      const list = values[name];
      if (Array.isArray(list)) list.push(value);
      else values[name] = [value];
    } else values[name] = value;
  }
  return { values, positionals };
}
