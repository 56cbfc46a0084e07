import { describe, expect, it } from 'vitest';
import { ProcessLauncher } from '../../../src/supervisor/spawn.js';
import type { ExitInfo } from '../../../src/supervisor/exit-info.js';
import { spec } from '../../helpers/fakes.js';

describe('ProcessLauncher', () => {
  it('calls every onExit callback, also ones registered after the exit', async () => {
    const run = { format: 'procfile', root: '/', environment: {}, umask: null } as never;
    const child = new ProcessLauncher(run).launch(spec({ command: 'exit 4' }));
    const seen: ExitInfo[] = [];
    await new Promise<void>((resolve) => {
      child.onExit((i) => seen.push(i));
      child.onExit((i) => {
        seen.push(i);
        resolve();
      });
    });
    child.onExit((i) => seen.push(i));
    expect(seen.map((i) => i.code)).toEqual([4, 4, 4]);
  });
});
