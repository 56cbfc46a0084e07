/**
 * TOML through smol-toml (TOML 1.0), required on first use: only fly.toml and procinit.toml need it.
 * Syntax errors become ConfigError(file, line, ...).
 */
import type * as Toml from 'smol-toml';
import { ConfigError } from './errors.js';

export type Table = Record<string, unknown>;

function toml(): typeof Toml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('smol-toml') as typeof Toml;
}

export function parseTomlFile(file: string, text: string): Table {
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

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
