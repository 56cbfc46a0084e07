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

import { shellCommand } from '../../../src/supervisor/spawn.js';

describe('shellCommand', () => {
  it('execs a simple command so no shell stays around', () => {
    expect(shellCommand('bundle exec puma -p $PORT')).toBe('exec bundle exec puma -p $PORT');
    expect(shellCommand('RAILS_ENV=production bin/rails s')).toBe('RAILS_ENV=production bin/rails s');
  });
  it('keeps the shell for lists, pipes, subshells, keywords and builtins', () => {
    for (const c of ['a; b', 'a && b', 'a | b', '(a)', 'a &', 'trap "" TERM; x', 'while :; do x; done', 'cd x', 'exec x', 'echo `x`']) {
      expect(shellCommand(c)).toBe(c);
    }
  });
});
