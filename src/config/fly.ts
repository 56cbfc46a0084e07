/**
 * fly.io's `fly.toml`: the `[processes]` table (name = "command") is the process list, one instance
 * each (fly keeps counts outside the file: `fly scale count`); the `[env]` table is the run's
 * environment, under the env files. Checks and [[vm]] sizes go into the health model (fly-health.ts);
 * every other key is fly's deploy configuration and is left alone.
 * Parsed with smol-toml (TOML 1.0); errors name file:line.
 */
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';
import type { ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { buildProcessType, checkStopSignalTypes, PROCESS_TYPE_NAME, procfileLikeRun } from './process-type.js';
import { readTextFile } from './text-file.js';
import { TomlLines } from './toml-lines.js';
import { isTable, parseTomlFile, type Table } from './toml.js';
import { applyFlyHealth } from './fly-health.js';
import type { ConfigWarning } from './model.js';


export function readFlyRun(file: string, opts: LoadOptions, fileEnv: Record<string, string>): RunSpec {
  const text = readTextFile(file);
  const doc = parseTomlFile(file, text);
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

  const warnings: ConfigWarning[] = [];
  applyFlyHealth(file, doc, lines, programs, warnings);
  return procfileLikeRun({ format: 'fly', file, root: root, programs, environment: environment, warnings });
}

/** fly.toml's `app = "name"`, or null (for export's default names). */
export function readFlyAppName(file: string): string | null {
  const text = readTextFile(file);
  const app = parseTomlFile(file, text).app;
  return typeof app === 'string' && app.trim() !== '' ? app : null;
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

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  return `a ${typeof value}`;
}
