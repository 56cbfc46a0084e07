/** Bad input: one clear line on stderr (file:line where there is one), exit 2, no trace, nothing running. */
import { describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit, tempDir } from '../helpers/procinit.js';

async function refused(args: string[], files: Record<string, string> | null, pattern: RegExp): Promise<void> {
  const dir = files ? fixtureDir(files) : tempDir();
  const p = startProcinit(args, { cwd: dir });
  const exit = await p.exit();
  expect(exit.code, p.output).toBe(2);
  const lines = p.stderr.trim().split('\n');
  expect(lines, p.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(p.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(p.stdout).not.toMatch(/started/); // nothing ran
}

describe('bad input', () => {
  // (no test of the default search finding nothing: the machine may have /etc/supervisor/supervisord.conf)
  it('missing config given with -c', () => refused(['-c', 'nope.conf'], null, /nope\.conf: no such file/));
  it('missing file given with -f', () => refused(['-f', 'nope'], null, /nope: no such file/));
  it('empty Procfile', () => refused([], { Procfile: '# nothing\n\n' }, /Procfile: .*no processes|Procfile.*empty/i));
  it('a line without colon', () => refused([], { Procfile: 'web: ok\nworker run.sh\n' }, /Procfile:2: /));
  it('duplicate names', () => refused([], { Procfile: 'web: a\nweb: b\n' }, /Procfile:2: .*web/));
  it('unknown formation type', () => refused(['-m', 'db=2'], { Procfile: 'web: a\n' }, /formation: unknown process type 'db'/));
  it('bad formation syntax', () => refused(['-m', 'web=two'], { Procfile: 'web: a\n' }, /formation/));
  it('malformed .env line', () => refused([], { Procfile: 'web: a\n', '.env': 'GOOD=1\nthis is not an assignment\n' }, /\.env:2: /));
  it('unknown flag', () => refused(['--bogus'], { Procfile: 'web: a\n' }, /procinit: Unknown option '--bogus'.*procinit --help/));
  it('unknown type after up', () => refused(['up', 'db'], { Procfile: 'web: a\n' }, /unknown process type 'db'/));
  it('a typo in --can-die', () => refused(['--can-die', 'wbe'], { Procfile: 'web: a\n' }, /--can-die: unknown process type 'wbe'/));
  it('a bad timeout', () => refused(['-t', 'soon'], { Procfile: 'web: a\n' }, /--timeout/));
  it('an unknown stop signal', () => refused(['--stop-signal', 'web=BOGUS'], { Procfile: 'web: a\n' }, /BOGUS/));
  it('a type named like a property every object has is a process type, not a verb', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      await refused([name], { Procfile: 'web: a\n' }, new RegExp(`unknown process type '${name}'`));
    }
  });
  it('check on a bad file', () => refused(['check'], { Procfile: 'web: a\n<<<<<<< HEAD\n' }, /Procfile:2: .*merge/i));
  it('quotes control characters as escapes, so the error stays one line and leaves the terminal alone', async () => {
    await refused(['up', 'w\x1b[2J\rx'], { Procfile: 'web: a\n' }, /unknown process type 'w\\x1b\[2J\\rx'/);
    await refused(['--stop-signal', 'web=\x07\x9bBOGUS'], { Procfile: 'web: a\n' }, /\\x07\\x9bBOGUS/);
  });
});
