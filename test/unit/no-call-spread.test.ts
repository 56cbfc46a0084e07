/**
 * A spread into a call's arguments (`Math.max(...names)`, `push(...lines)`, `splice(0, n, ...sorted)`)
 * puts every element on the stack: past about 120,000 elements it throws "Maximum call stack size
 * exceeded", which a config with 130,000 entries reached in check, the output formatter and reload.
 * Sizes in procinit come from users, so src/ has no call spread at all; this scan keeps it that way.
 * (Spreads into array and object literals are fine: they do not use the stack.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
// vite's own parser (oxc, through rolldown): TypeScript 7 has no JavaScript API
import { parseAst } from 'rolldown/parseAst';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/procinit.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Node {
  type: string;
  start: number;
  arguments?: Node[];
}

/** Calls and `new`s whose arguments hold a spread, as file:line: text. */
export function callSpreads(file: string, text: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const n = node as Node;
    if ((n.type === 'CallExpression' || n.type === 'NewExpression') && n.arguments?.some((a) => a.type === 'SpreadElement')) {
      const line = text.slice(0, n.start).split('\n').length;
      found.push(`${relative(REPO, file)}:${line}: ${text.slice(n.start, n.start + 80).split('\n')[0]}`);
    }
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') visit(v);
  };
  visit(parseAst(text, { lang: 'ts' }, file));
  return found;
}

describe('no spread of (user-sized) arrays into call arguments', () => {
  it('finds the pattern it looks for', () => {
    expect(callSpreads('x.ts', 'Math.max(...a); f(1, [...b]); new X(...c); g({...d});')).toHaveLength(2);
  });

  it('src/ has none', () => {
    const hits = sources(join(REPO, 'src')).flatMap((f) => callSpreads(f, readFileSync(f, 'utf8')));
    expect(hits).toEqual([]);
  });
});
