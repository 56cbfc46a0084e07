/**
 * Python's `glob.glob(pattern)` (3.11, not recursive, hidden files excluded), ported for supervisord's
 * `[include] files=`: `*`, `?` and `[...]` (with `!` negation and ranges) per path component; names starting
 * with a dot only match a pattern component that starts with a dot; `**` is just `*`; no braces, no `~`.
 * Results keep the pattern's spelling (`/etc/./conf.d/a.conf`) and are unsorted (the caller sorts, as
 * supervisord does).
 */
import { posix } from 'node:path';
import { isDirectoryPath, lexists, listDirectory } from './fs-answers.js';

const MAGIC = /[*?[]/;

export function pyGlob(pattern: string): string[] {
  return iglob(pattern, false);
}

function iglob(pathname: string, dironly: boolean): string[] {
  const [dirname, basename] = split(pathname);
  if (!MAGIC.test(pathname)) {
    if (basename) return lexists(pathname) ? [pathname] : [];
    return isDir(dirname) ? [pathname] : [];
  }
  if (!dirname) return glob1(process.cwd(), basename, dironly);
  const dirs = dirname !== pathname && MAGIC.test(dirname) ? iglob(dirname, true) : [dirname];
  const out: string[] = [];
  for (const dir of dirs) {
    const names = MAGIC.test(basename) ? glob1(dir, basename, dironly) : glob0(dir, basename);
    for (const name of names) out.push(join(dir, name));
  }
  return out;
}

/** os.path.split: head without trailing slashes (unless all slashes), tail after the last slash. */
function split(p: string): [string, string] {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  const tail = p.slice(i);
  if (head && !/^\/+$/.test(head)) head = head.replace(/\/+$/, '');
  return [head, tail];
}

/** os.path.join(a, b) for a relative b. */
function join(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

function glob1(dir: string, pattern: string, dironly: boolean): string[] {
  // listDirectory, isDir, lexists: under a reload, answered off the event loop (fs-answers.ts)
  const entries = listDirectory(dir || '.');
  if (entries === null) return [];
  let names = entries.filter((e) => !dironly || e.isDirectory || (e.isSymbolicLink && isDir(posix.join(dir || '.', e.name)))).map((e) => e.name);
  if (!pattern.startsWith('.')) names = names.filter((n) => !n.startsWith('.'));
  const re = fnmatchRegExp(pattern);
  return names.filter((n) => re.test(n));
}

function glob0(dir: string, basename: string): string[] {
  if (basename) return lexists(join(dir, basename)) ? [basename] : [];
  return isDir(dir) ? [basename] : [];
}

function isDir(p: string): boolean {
  return isDirectoryPath(p || '.');
}

/** fnmatch.translate, for one path component. */
export function fnmatchRegExp(pat: string): RegExp {
  const chars = Array.from(pat);
  let re = '';
  let i = 0;
  const n = chars.length;
  while (i < n) {
    const c = chars[i++];
    if (c === '*') {
      if (!re.endsWith('.*')) re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      let j = i;
      if (j < n && chars[j] === '!') j++;
      if (j < n && chars[j] === ']') j++;
      while (j < n && chars[j] !== ']') j++;
      if (j >= n) {
        re += '\\[';
        continue;
      }
      re += charClass(chars.slice(i, j));
      i = j + 1;
    } else {
      re += escapeChar(c);
    }
  }
  return new RegExp(`^(?:${re})$`, 'su');
}

function charClass(stuff: string[]): string {
  let negate = false;
  let items = stuff;
  if (items[0] === '!') {
    negate = true;
    items = items.slice(1);
  }
  if (items.length === 0) return negate ? '.' : '(?!)';
  let body = '';
  for (let k = 0; k < items.length; k++) {
    const a = items[k];
    if (k + 2 < items.length && items[k + 1] === '-') {
      const b = items[k + 2];
      if ((a.codePointAt(0) as number) <= (b.codePointAt(0) as number)) body += `${escapeInClass(a)}-${escapeInClass(b)}`;
      k += 2;
    } else {
      body += escapeInClass(a);
    }
  }
  if (body === '') return negate ? '.' : '(?!)';
  return `[${negate ? '^' : ''}${body}]`;
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeInClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
