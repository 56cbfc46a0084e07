/**
 * Where a TOML key was written, for messages (smol-toml gives positions only for syntax errors).
 * Best effort over the common spellings: `[table]` / `[[array]]` headers then `key = ...`, dotted keys
 * (`table.key = ...`) in a parent table or at top level. Multi-line strings and arrays are not tracked,
 * so a header-looking line inside one may confuse it: the answer is then a nearby line, never an error.
 */
export class TomlLines {
  private readonly lines: string[];
  /** Every header in file order: its dotted name (quotes dropped), 1-based line, and its occurrence number. */
  private readonly headers: Array<{ name: string; line: number; nth: number }> = [];
  /** `name\0nth` -> index in headers: a lookup per key of a 100,000-table file must not scan them all. */
  private readonly headerIndex = new Map<string, number>();

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
    const seen = new Map<string, number>();
    this.lines.forEach((l, i) => {
      const name = headerOf(l);
      if (name === undefined) return;
      const nth = seen.get(name) ?? 0;
      seen.set(name, nth + 1);
      this.headerIndex.set(`${name}\0${nth}`, this.headers.length);
      this.headers.push({ name, line: i + 1, nth });
    });
  }

  /** Line of the nth `[name]` / `[[name]]` header (0-based nth), or null. */
  tableLine(table: string, nth = 0): number | null {
    const k = this.headerIndex.get(`${table}\0${nth}`);
    return k === undefined ? null : this.headers[k].line;
  }

  /** Line of `key = ...` in the nth `[table]` (null table: top level), `table.key = ...` above it, or null. */
  keyLine(table: string | null, key: string, nth = 0): number | null {
    const direct = new RegExp(`^\\s*${keyPattern(key)}\\s*=`);
    const range = this.range(table, nth);
    if (range) {
      for (let i = range[0]; i < range[1]; i++) if (direct.test(this.lines[i])) return i + 1;
    }
    if (table === null) return null;
    // Dotted: `table.key =` at top level, or `last.key =` in the parent table.
    const parts = table.split('.');
    for (let cut = parts.length - 1; cut >= 0; cut--) {
      const parent = cut === 0 ? null : parts.slice(0, cut).join('.');
      const rest = [...parts.slice(cut), key].map(keyPattern).join('\\s*\\.\\s*');
      const r = this.range(parent, 0);
      if (!r) continue;
      const dotted = new RegExp(`^\\s*${rest}\\s*=`);
      for (let i = r[0]; i < r[1]; i++) if (dotted.test(this.lines[i])) return i + 1;
    }
    return null;
  }

  /** The best line for a key: the key's own line, else its table's header, else the parent's key line. */
  lineOf(table: string | null, key: string, nth = 0): number {
    const own = this.keyLine(table, key, nth);
    if (own !== null) return own;
    if (table === null) return 1;
    const header = this.tableLine(table, nth);
    if (header !== null) return header;
    const dot = table.lastIndexOf('.');
    return dot < 0 ? this.lineOf(null, table) : this.lineOf(table.slice(0, dot), table.slice(dot + 1));
  }

  /** [first, end) 0-based line indexes of the nth table's body; top level for null. */
  private range(table: string | null, nth: number): [number, number] | null {
    if (table === null) return [0, this.headers.length > 0 ? this.headers[0].line - 1 : this.lines.length];
    const k = this.headerIndex.get(`${table}\0${nth}`);
    if (k === undefined) return null;
    const end = k + 1 < this.headers.length ? this.headers[k + 1].line - 1 : this.lines.length;
    return [this.headers[k].line, end];
  }
}

/** The dotted table name of a `[name]` or `[[name]]` header line (undefined for other lines). */
export function headerOf(line: string): string | undefined {
  const m = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
  if (!m) return undefined;
  return m[1]
    .split(/\s*\.\s*(?=(?:[^"']|"[^"]*"|'[^']*')*$)/)
    .map((p) => p.replace(/^"(.*)"$|^'(.*)'$/, '$1$2'))
    .join('.');
}

function keyPattern(key: string): string {
  const e = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?:${e}|"${e}"|'${e}')`;
}
