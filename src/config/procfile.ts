/**
 * Procfiles, read as foreman reads them (ruby-foreman's Foreman::Procfile), with one deliberate difference:
 * foreman silently drops every line that does not match its entry regex, so a typo loses a process without a
 * word; procinit refuses such a line with file:line and what is wrong.
 *
 * Grammar (foreman's): one `name: command` per line, `^([A-Za-z0-9_-]+):\s*(.+)$`, split at the first colon
 * only (commands hold URLs and `module:Class`); the command is kept as written, trailing whitespace included,
 * as foreman does. Blank lines and `#` comment lines (indented or not) are skipped; CRLF, a missing final
 * newline and a UTF-8 BOM are accepted (foreman, reading a BOM, would drop the first entry).
 * Refused: any other line, merge-conflict markers, an empty command, a stray carriage return, duplicate names,
 * a Procfile without entries.
 */
import { ConfigError } from './errors.js';
import type { RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { buildProcessType, checkStopSignalTypes, PROCESS_TYPE_NAME, procfileLikeRun } from './process-type.js';
import { readTextFile, stripBom } from './text-file.js';

export interface ProcfileEntry {
  name: string;
  command: string;
  /** 1-based line number in the Procfile. */
  line: number;
}

/** foreman's entry regex (Ruby's `\s` is ASCII whitespace; `.` matches everything but LF). */
const ENTRY = /^([A-Za-z0-9_-]+):[ \t\r\n\f\v]*([\s\S]*)$/;
const CONFLICT_MARKER = /^(<{7}|={7}|>{7}|\|{7})/;

export function parseProcfile(text: string, file: string): ProcfileEntry[] {
  let body = stripBom(text).replace(/\r\n/g, '\n');
  if (body.endsWith('\r')) body = body.slice(0, -1); // CRLF file without its final LF
  const entries: ProcfileEntry[] = [];
  const firstLine = new Map<string, number>();
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineNo = i + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (line.includes('\r')) {
      throw new ConfigError(file, lineNo, 'carriage return inside a line (mixed or old Mac line endings?)');
    }
    const m = ENTRY.exec(line);
    if (!m) throw new ConfigError(file, lineNo, diagnose(line));
    const [, name, command] = m;
    if (command.trim() === '') throw new ConfigError(file, lineNo, `no command for '${name}'`);
    const seen = firstLine.get(name);
    if (seen !== undefined) {
      throw new ConfigError(file, lineNo, `duplicate process name '${name}' (first defined on line ${seen})`);
    }
    firstLine.set(name, lineNo);
    entries.push({ name, command, line: lineNo });
  }
  if (entries.length === 0) {
    throw new ConfigError(file, null, 'no processes defined (expected lines "name: command")');
  }
  return entries;
}

/** Why a non-blank, non-comment line is not an entry. */
function diagnose(line: string): string {
  const expected = 'expected "name: command"';
  if (CONFLICT_MARKER.test(line)) return `merge conflict marker (resolve the conflict first): ${expected}`;
  const colon = line.indexOf(':');
  if (colon < 0) {
    const first = /^\S+/.exec(line.trimStart())?.[0] ?? '';
    const hint = PROCESS_TYPE_NAME.test(first) ? `: missing ':' after '${first}'?` : ' (no colon)';
    return `${expected}${hint}`;
  }
  const before = line.slice(0, colon);
  if (/^\s+[A-Za-z0-9_-]+$/.test(before)) {
    return `${expected}: whitespace before the process name '${before.trim()}' (foreman would ignore this line)`;
  }
  if (/^[A-Za-z0-9_-]+\s+$/.test(before)) return `${expected}: whitespace between '${before.trim()}' and ':'`;
  if (before.trim() === '') return `${expected}: missing process name before ':'`;
  if (/\s/.test(before.trim())) {
    const first = /^\S+/.exec(before.trimStart())?.[0] ?? '';
    return PROCESS_TYPE_NAME.test(first) ? `${expected}: missing ':' after '${first}'?` : expected;
  }
  return `${expected}: invalid process name '${before}' (letters, digits, '_' and '-' only)`;
}

/**
 * Read a Procfile and build its RunSpec: one program per type in Procfile order, one instance each
 * (load.ts applies -m through instantiate). The per-type conventions (names, PORT, PS, restart policy) are
 * process-type.ts's, shared with fly.toml and manifest.yml.
 */
export function readProcfileRun(file: string, opts: LoadOptions, fileEnv: Record<string, string>): RunSpec {
  const entries = parseProcfile(readTextFile(file), file);
  checkStopSignalTypes(opts.stopSignals, entries.map((e) => e.name));
  const programs = entries.map((entry, typeIndex) =>
    buildProcessType({
      type: entry.name,
      command: entry.command,
      typeIndex,
      instances: 1,
      source: { file, line: entry.line },
      opts,
      fileEnv,
    }),
  );
  return procfileLikeRun({ format: 'procfile', file, root: opts.root ?? opts.cwd, programs, environment: { ...fileEnv } });
}

