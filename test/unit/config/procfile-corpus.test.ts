/**
 * Every real Procfile in ../shared/corpus/procfile/ read by procinit and by foreman (Debian's ruby-foreman,
 * Foreman::Procfile, run once per file):
 *  - where no line is one procinit refuses on purpose, procinit's entries equal foreman's (name, command);
 *  - where one is, procinit's error names that file and the first such line.
 *
 * Which lines procinit must refuse is worked out from foreman's own answers, line by line: a line foreman
 * drops that is neither blank nor a comment, a name foreman yields twice, or a command that is only whitespace.
 * The two inputs procinit reads on purpose differently from foreman (a UTF-8 BOM, a final lone CR) are removed
 * before foreman sees the file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { parseProcfile } from '../../../src/config/procfile.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const corpusDir = resolve(repoRoot, '../shared/corpus/procfile');

const FOREMAN_SCRIPT = String.raw`
require "foreman/procfile"
require "json"
require "tempfile"

def entries_of(path)
  out = []
  Foreman::Procfile.new(path).entries { |name, command| out << [name, command] }
  out
end

def with_text(text)
  Tempfile.create("procfile") { |t| t.write(text); t.flush; yield t.path }
end

text = File.read(ARGV[0]).delete_prefix("\uFEFF")
text = text.chomp("\r")
# The same split foreman's parse does; each line then goes through Foreman::Procfile on its own.
lines = text.gsub("\r\n", "\n").split("\n")
per_line = lines.map { |line| with_text(line) { |path| entries_of(path).first } }
whole = with_text(text) { |path| entries_of(path) }
puts JSON.generate({ "entries" => whole, "lines" => lines, "perLine" => per_line })
`;

interface ForemanView {
  entries: [string, string][];
  lines: string[];
  perLine: ([string, string] | null)[];
}

function foremanAvailable(): string | null {
  const ruby = spawnSync('ruby', ['-e', 'require "foreman/procfile"'], { encoding: 'utf8' });
  if (ruby.error) return `ruby not found (${(ruby.error as NodeJS.ErrnoException).code})`;
  if (ruby.status !== 0) return `ruby cannot load foreman/procfile: ${ruby.stderr.trim().split('\n')[0]}`;
  return null;
}

function foreman(file: string): ForemanView {
  const r = spawnSync('ruby', ['-e', FOREMAN_SCRIPT, file], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`foreman failed on ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ForemanView;
}

/** The first line procinit must refuse (1-based), from foreman's per-line answers; null when none. */
function firstRefusedLine(view: ForemanView): number | null {
  const seen = new Set<string>();
  for (let i = 0; i < view.lines.length; i++) {
    const text = view.lines[i].trim();
    const entry = view.perLine[i];
    if (entry === null) {
      if (text === '' || text.startsWith('#')) continue;
      return i + 1; // foreman silently drops it
    }
    const [name, command] = entry;
    if (seen.has(name) || command.trim() === '') return i + 1;
    seen.add(name);
  }
  return null;
}

const files = existsSync(corpusDir) ? readdirSync(corpusDir).sort() : [];
const missing = foremanAvailable();
const title = missing
  ? `Procfile corpus vs foreman (SKIPPED: ${missing}; install Debian's ruby-foreman)`
  : `Procfile corpus vs foreman (${files.length} files in ${corpusDir})`;

describe.skipIf(missing !== null)(title, () => {
  it('finds the corpus', () => {
    expect(files.length, `no Procfiles in ${corpusDir}`).toBeGreaterThan(0);
  });

  const outcomes = { same: 0, refused: 0 };

  it.each(files)('%s', (name) => {
    const file = resolve(corpusDir, name);
    const view = foreman(file);
    const refused = firstRefusedLine(view);
    const text = readFileSync(file, 'utf8');

    if (refused === null && view.entries.length > 0) {
      const ours = parseProcfile(text, file).map((e) => [e.name, e.command]);
      expect(ours).toEqual(view.entries);
      outcomes.same++;
      return;
    }

    let error: unknown;
    try {
      parseProcfile(text, file);
    } catch (err) {
      error = err;
    }
    expect(error, `procinit accepted ${name}`).toBeInstanceOf(ConfigError);
    const err = error as ConfigError;
    expect(err.file).toBe(file);
    if (refused === null) {
      expect(err.line).toBeNull(); // foreman found no entries: an empty Procfile
      expect(err.message).toMatch(/no processes defined/);
    } else {
      expect(err.line).toBe(refused);
      expect(err.message.startsWith(`${file}:${refused}: `)).toBe(true);
      if (/^(<{7}|={7}|>{7})/.test(view.lines[refused - 1])) expect(err.message).toMatch(/merge conflict marker/);
      if (view.perLine[refused - 1] !== null) expect(err.message).toMatch(/duplicate process name|no command/);
    }
    outcomes.refused++;
  });

  it('exercises both outcomes', () => {
    expect(outcomes.same).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
