/** strip_ansi: supervisord's stripEscapes, compared with the original on the same chunks. */
import { describe, expect, it } from 'vitest';
import { stripEscapes } from '../../../src/output/strip-ansi.js';

// [input, what supervisor.dispatchers.stripEscapes (4.2.5) returns], as bytes
const CASES: Array<[number[], number[]]> = [[[112, 108, 97, 105, 110], [112, 108, 97, 105, 110]], [[27, 91, 51, 49, 109, 114, 101, 100, 27, 91, 48, 109, 32, 116, 101, 120, 116], [114, 101, 100, 32, 116, 101, 120, 116]], [[97, 27, 91, 49, 59, 51, 50, 109, 98, 27, 91, 75, 99], [97, 98, 99]], [[101, 115, 99, 32, 27, 32, 97, 108, 111, 110, 101], [101, 115, 99, 32, 27, 32, 97, 108, 111, 110, 101]], [[99, 117, 116, 32, 27, 91, 51, 49], [99, 117, 116, 32]], [[27, 91, 50, 74, 27, 91, 72, 99, 108, 101, 97, 114], [99, 108, 101, 97, 114]], [[120, 27, 120, 27, 91, 109, 113], [120, 27, 120, 113]]];

describe('stripEscapes', () => {
  it('removes ANSI escapes exactly as supervisord does', () => {
    for (const [input, expected] of CASES) expect([...stripEscapes(Buffer.from(input))], Buffer.from(input).toString('latin1')).toEqual(expected);
  });

  it('returns the chunk itself when there is nothing to strip', () => {
    const b = Buffer.from('no escapes here\n');
    expect(stripEscapes(b)).toBe(b);
  });
});
