/** Every verb is reachable from the command line (a verb missing from the map would be read as a process type). */
import { describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit } from '../helpers/procinit.js';

describe('command verbs', () => {
  it('export writes a compose file from the Procfile', async () => {
    const dir = fixtureDir({ Procfile: 'web: node web.js\nworker: sleep 1\n' });
    const p = startProcinit(['export', 'compose', '--image', 'example/app:1'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/services:/);
    expect(p.stdout).toMatch(/worker/);
  });

  for (const verb of ['status', 'start', 'stop', 'restart', 'signal', 'logs', 'scale', 'reload', 'shutdown', 'export', 'check']) {
    it(`${verb} --help prints its usage and exits 0`, async () => {
      const p = startProcinit([verb, '--help'], { cwd: fixtureDir({}) });
      expect((await p.exit()).code).toBe(0);
      expect(p.stdout).toMatch(new RegExp(`procinit ${verb}`));
    });
  }

  const garbage: Array<[string, string[]]> = [
    ['status', ['--bogus']], ['start', []], ['stop', ['--nope']], ['restart', []], ['signal', []], ['signal', ['NOSUCHSIG', 'web']],
    ['logs', ['-n', 'many']], ['scale', []], ['scale', ['web']], ['scale', ['web=-1']], ['reload', ['extra']], ['shutdown', ['extra']],
    ['connect', []], ['export', ['nowhere']], ['check', ['--bogus']], ['up', ['--port', 'x']],
  ];
  for (const [verb, args] of garbage) {
    it(`${verb} ${args.join(' ')}: one line, exit 2, no trace`, async () => {
      const p = startProcinit([verb, ...args], { cwd: fixtureDir({ Procfile: 'web: sleep 1\n' }) });
      expect((await p.exit()).code, p.output).toBe(2);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
      expect(p.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
