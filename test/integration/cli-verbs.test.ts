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
});
