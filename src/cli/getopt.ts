/**
 * Python's getopt.getopt, which supervisord and supervisorctl parse their command lines with: short options
 * (`-c FILE`, `-cFILE`, `-nc FILE`), long ones (`--configuration FILE`, `--configuration=FILE`, unambiguous
 * prefixes), stopping at the first argument that is not an option (or after `--`).
 */
export class GetoptError extends Error {
  override readonly name = 'GetoptError';
}

export interface OptionSpec {
  short: string;
  long: string;
  /** Takes a value. */
  arg: boolean;
}

export interface Parsed {
  /** [long name, value ('' for flags)] in command-line order. */
  opts: Array<[string, string]>;
  args: string[];
}

export function getopt(argv: string[], specs: OptionSpec[]): Parsed {
  const opts: Array<[string, string]> = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = specs.find((s) => s.long === name);
      const matches = exact ? [exact] : specs.filter((s) => s.long.startsWith(name));
      if (matches.length === 0) throw new GetoptError(`option --${name} not recognized`);
      if (matches.length > 1) throw new GetoptError(`option --${name} not a unique prefix`);
      const spec = matches[0];
      if (spec.arg) {
        if (eq >= 0) opts.push([spec.long, a.slice(eq + 1)]);
        else {
          if (i + 1 >= argv.length) throw new GetoptError(`option --${spec.long} requires argument`);
          opts.push([spec.long, argv[++i]]);
        }
      } else {
        if (eq >= 0) throw new GetoptError(`option --${spec.long} must not have an argument`);
        opts.push([spec.long, '']);
      }
      i++;
      continue;
    }
    let j = 1;
    while (j < a.length) {
      const c = a[j];
      const spec = specs.find((s) => s.short === c);
      if (!spec) throw new GetoptError(`option -${c} not recognized`);
      if (spec.arg) {
        if (j + 1 < a.length) opts.push([spec.long, a.slice(j + 1)]);
        else {
          if (i + 1 >= argv.length) throw new GetoptError(`option -${c} requires argument`);
          opts.push([spec.long, argv[++i]]);
        }
        break;
      }
      opts.push([spec.long, '']);
      j++;
    }
    i++;
  }
  return { opts, args: argv.slice(i) };
}
