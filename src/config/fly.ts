/**
 * fly.io's `fly.toml`: the `[processes]` table (name = "command") is the process list, one instance
 * each (fly keeps counts outside the file: `fly scale count`); the `[env]` table is the run's
 * environment, under the env files. Every other key is fly's deploy configuration and is left alone.
 * Parsed with smol-toml (TOML 1.0); errors name file:line.
 */
import { dirname } from 'node:path';
import type * as Toml from 'smol-toml';
import { ConfigError } from './errors.js';
import type { ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { buildProcessType, checkStopSignalTypes, PROCESS_TYPE_NAME, procfileLikeRun } from './process-type.js';
import { readTextFile } from './text-file.js';

/** smol-toml, required on first use: only a fly.toml needs it. */
function toml(): typeof Toml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('smol-toml') as typeof Toml;
}

type Table = Record<string, unknown>;

export function readFlyRun(file: string, opts: LoadOptions, fileEnv: Record<string, string>): RunSpec {
  const text = readTextFile(file);
  const doc = parseToml(file, text);
  const lines = new TomlLines(text);

  const flyEnv = readEnvTable(file, doc, lines);
  // The env files win over fly's [env]; both may set the base PORT.
  const environment = { ...flyEnv, ...fileEnv };

  if (!Object.hasOwn(doc, 'processes')) {
    throw new ConfigError(
      file,
      null,
      'no [processes] table: procinit runs the process groups of a fly.toml ([processes] with name = "command" lines)',
    );
  }
  const processes = doc.processes;
  if (!isTable(processes)) {
    throw new ConfigError(file, lines.keyLine(null, 'processes'), 'processes must be a table of name = "command"');
  }
  const names = Object.keys(processes);
  if (names.length === 0) {
    throw new ConfigError(file, lines.tableLine('processes'), '[processes] is empty: add name = "command" lines');
  }
  checkStopSignalTypes(opts.stopSignals, names);
  const root = opts.root ?? dirname(file);
  const programs: ProgramSpec[] = names.map((type, typeIndex) => {
    const line = lines.keyLine('processes', type) ?? lines.tableLine('processes') ?? 1;
    const command = processes[type];
    if (!PROCESS_TYPE_NAME.test(type)) {
      throw new ConfigError(file, line, `process name '${type}' may hold only letters, digits, '_' and '-'`);
    }
    if (typeof command !== 'string') {
      throw new ConfigError(file, line, `processes.${type} must be a command string, not ${describe(command)}`);
    }
    if (command.trim() === '') throw new ConfigError(file, line, `processes.${type}: empty command`);
    return buildProcessType({
      type,
      command,
      typeIndex,
      instances: 1,
      source: { file, line },
      opts: { ...opts, root },
      fileEnv: environment,
    });
  });

  return procfileLikeRun({ format: 'fly', file, root: root, programs, environment: environment });
}

/** fly.toml's `app = "name"`, or null (for export's default names). */
export function readFlyAppName(file: string): string | null {
  const text = readTextFile(file);
  const app = parseToml(file, text).app;
  return typeof app === 'string' && app.trim() !== '' ? app : null;
}

function parseToml(file: string, text: string): Table {
  try {
    return toml().parse(text) as Table;
  } catch (err) {
    if (err instanceof toml().TomlError) {
      // smol-toml's message is "Invalid TOML document: <what>\n\n<code block>": keep <what>.
      const what = err.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError(file, err.line, `invalid TOML: ${what} (column ${err.column})`);
    }
    throw err;
  }
}

/** `[env]`: scalar values become strings; anything nested is an error. */
function readEnvTable(file: string, doc: Table, lines: TomlLines): Record<string, string> {
  if (!Object.hasOwn(doc, 'env')) return {};
  const env = doc.env;
  if (!isTable(env)) throw new ConfigError(file, lines.keyLine(null, 'env'), 'env must be a table of NAME = "value"');
  const entries = Object.entries(env).map(([name, value]): [string, string] => {
    if (typeof value === 'string') return [name, value];
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return [name, String(value)];
    const line = lines.keyLine('env', name) ?? lines.tableLine('env');
    throw new ConfigError(file, line, `env.${name} must be a string, number or boolean, not ${describe(value)}`);
  });
  return Object.fromEntries(entries);
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  return `a ${typeof value}`;
}

/**
 * Where a key was written, for messages (smol-toml gives positions only for syntax errors).
 * Best effort over the common spellings: `[table]` then `key = ...`, or `table.key = ...` at top level.
 */
class TomlLines {
  private readonly lines: string[];
  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  /** Line of the `[name]` header. */
  tableLine(table: string): number | null {
    const i = this.lines.findIndex((l) => headerOf(l) === table);
    return i < 0 ? null : i + 1;
  }

  /** Line of `key = ...` in `[table]` (null table: top level). */
  keyLine(table: string | null, key: string): number | null {
    let current: string | null = null;
    const k = keyPattern(key);
    const direct = new RegExp(`^\\s*${k}\\s*=`);
    const dotted = table === null ? null : new RegExp(`^\\s*${keyPattern(table)}\\s*\\.\\s*${k}\\s*=`);
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i];
      const header = headerOf(line);
      if (header !== undefined) {
        current = header;
        continue;
      }
      if (current === table && direct.test(line)) return i + 1;
      if (current === null && dotted?.test(line)) return i + 1;
    }
    return null;
  }
}

/** The table name of a `[name]` header line (undefined for other lines; `[[array]]` headers count too). */
function headerOf(line: string): string | undefined {
  const m = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
  return m ? m[1].replace(/^["']|["']$/g, '') : undefined;
}

function keyPattern(key: string): string {
  const e = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?:${e}|"${e}"|'${e}')`;
}
