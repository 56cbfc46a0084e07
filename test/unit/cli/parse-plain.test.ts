/** parsePlain gives util.parseArgs's exact answer, or leaves the command line to it. */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parsePlain } from '../../../src/cli/parse-plain.js';
import { LOAD_OPTIONS, parse, RUN_OPTIONS } from '../../../src/cli/args.js';

const WORDS = [
  '-f', 'Procfile', '--procfile', '--procfile=x', '--procfile=', '--socket', '-s', 'web', '-x', '--help', '-h', '--prefix', '--prefix=1',
  '--', '-', '-fx', '-hf', '--env', 'a.env', '-e', '--nope', '--timeout', '5', '-t', '--no-color', '--env=b.env', '=x', '-1', '--__proto__',
  '--toString', '-c', 'x.conf', '--formation', 'web=2', '---x', '--=x', '--timeout=-1',
];

function strict(args: string[], options: typeof RUN_OPTIONS, allowPositionals: boolean): unknown {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch {
    return 'error';
  }
}

describe('parsePlain', () => {
  it('answers exactly as parseArgs, or not at all, for 20,000 command lines of likely and unlikely words', () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let answered = 0;
    for (let i = 0; i < 20000; i++) {
      const args = Array.from({ length: random(6) }, () => WORDS[random(WORDS.length)]);
      const allow = random(4) !== 0;
      const ours = parsePlain(args, RUN_OPTIONS, allow);
      if (ours === null) continue;
      answered++;
      const theirs = strict(args, RUN_OPTIONS, allow);
      expect(theirs, JSON.stringify(args)).not.toBe('error');
      expect(ours, JSON.stringify(args)).toStrictEqual(theirs);
      expect(Object.getPrototypeOf(ours.values)).toBe(null);
    }
    expect(answered).toBeGreaterThan(2000);
  });

  it('takes the usual start-up command lines itself', () => {
    expect(parsePlain(['-f', 'Procfile', '--socket', '/run/x.sock', 'web', 'worker'], RUN_OPTIONS, true)).toStrictEqual(
      parseArgs({ args: ['-f', 'Procfile', '--socket', '/run/x.sock', 'web', 'worker'], options: RUN_OPTIONS, allowPositionals: true, strict: true }),
    );
    expect(parsePlain(['-e', 'a.env', '--env=b.env', '-t', '3'], LOAD_OPTIONS, false)?.values).toStrictEqual(Object.assign(Object.create(null), { env: ['a.env', 'b.env'], timeout: '3' }));
  });

  it('leaves options with a default to parseArgs', () => {
    expect(parsePlain(['-x'], { x: { type: 'boolean', short: 'x', default: false } }, true)).toBeNull();
  });

  it("parse() still gives parseArgs's one-line errors", () => {
    expect(() => parse(['--nope'], RUN_OPTIONS)).toThrow("Unknown option '--nope'");
    expect(() => parse(['--procfile'], RUN_OPTIONS)).toThrow(/argument missing/);
    expect(() => parse(['--procfile', '-x'], RUN_OPTIONS)).toThrow(/ambiguous/);
  });
});
