import { mkdirSync, realpathSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainArgv, shellCommand, shellPwd } from '../../../src/supervisor/command-line.js';
import { ProcessLauncher, type LaunchedChild } from '../../../src/supervisor/spawn.js';
import type { DirectPlan, DirectSpawner } from '../../../src/supervisor/direct-spawn.js';
import { spec } from '../../helpers/fakes.js';
import { tempDir } from '../../helpers/procinit.js';

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

describe('plainArgv (Ruby\'s rule for Process.spawn(string), which foreman uses)', () => {
  it('splits a line of plain words on blanks', () => {
    expect(plainArgv('bin/server --port=5000 -v')).toEqual(['bin/server', '--port=5000', '-v']);
    expect(plainArgv('  bundle   exec\tsidekiq -C config/sidekiq.yml ')).toEqual(['bundle', 'exec', 'sidekiq', '-C', 'config/sidekiq.yml']);
    expect(plainArgv('node server.js user@host:8080 50% a,b +x')).toEqual(['node', 'server.js', 'user@host:8080', '50%', 'a,b', '+x']);
  });
  it('leaves to the shell anything the shell would change or interpret', () => {
    const shellOnly = [
      'puma -p $PORT', 'echo "hi"', "echo 'hi'", 'ls *.rb', 'ls ?', 'ls [ab]', 'echo {a,b}', 'cat ~/x', 'a > log', 'a < in',
      'a 2>&1', 'a; b', 'a && b', 'a | b', '(a)', 'a &', 'echo `x`', 'a # comment', 'echo a\\ b', 'a\nb',
      'RAILS_ENV=production rails s', 'exec x', 'cd x', 'trap x', 'if', 'while', 'for', 'case', 'function', 'time x', ':', '!', '.', 'export A', '',
    ];
    for (const c of shellOnly) expect(plainArgv(c), c).toBeNull();
  });
});

describe('shellPwd (what /bin/sh would set PWD to)', () => {
  it('keeps an inherited PWD that names the directory, else takes the physical path', () => {
    const dir = realpathSync(tempDir());
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(shellPwd(join(dir, 'link'), join(dir, 'real'))).toBe(join(dir, 'link'));
    expect(shellPwd('/', join(dir, 'link'))).toBe(join(dir, 'real'));
    expect(shellPwd(undefined, join(dir, 'link'))).toBe(join(dir, 'real'));
    expect(shellPwd('relative', join(dir, 'real'))).toBe(join(dir, 'real'));
  });

  it('looks at the folders again once the current burst of launches is over (a link moved since)', async () => {
    const dir = realpathSync(tempDir());
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    symlinkSync(join(dir, 'a'), join(dir, 'link'));
    expect(shellPwd(join(dir, 'link'), join(dir, 'a'))).toBe(join(dir, 'link'));
    unlinkSync(join(dir, 'link'));
    symlinkSync(join(dir, 'b'), join(dir, 'link'));
    await Promise.resolve();
    expect(shellPwd(join(dir, 'link'), join(dir, 'a'))).toBe(join(dir, 'a'));
  });
});

describe('ProcessLauncher with posix_spawn', () => {
  const run = { format: 'procfile', root: '/', environment: {}, umask: null } as never;
  const fakeChild = { pid: 42 } as LaunchedChild;
  function launcherSeeing(answers: Array<LaunchedChild | null>): { launcher: ProcessLauncher; plans: DirectPlan[] } {
    const plans: DirectPlan[] = [];
    const direct = { launch: (p: DirectPlan) => (plans.push(p), answers.shift() ?? null) } as unknown as DirectSpawner;
    const launcher = new ProcessLauncher(run, { PATH: '/usr/bin:/bin', PWD: '/' });
    launcher.spawnDirectly(direct);
    return { launcher, plans };
  }

  it('starts a line without shell syntax as its own words, without /bin/sh', () => {
    const { launcher, plans } = launcherSeeing([fakeChild]);
    expect(launcher.launch(spec({ command: 'bin/server --port 5000' }))).toBe(fakeChild);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ file: 'bin/server', args: ['--port', '5000'], cwd: '/' });
    expect(plans[0].env.PWD).toBe('/');
  });

  it('goes through the shell when the words cannot be started as they are (not found, no #!)', () => {
    const { launcher, plans } = launcherSeeing([null, fakeChild]);
    expect(launcher.launch(spec({ command: 'nosuchprogram x' }))).toBe(fakeChild);
    expect(plans.map((p) => [p.file, ...p.args])).toEqual([['nosuchprogram', 'x'], ['/bin/sh', '-c', 'exec nosuchprogram x']]);
  });

  it('keeps the shell for shell syntax and for supervisord argv as split', () => {
    const { launcher, plans } = launcherSeeing([fakeChild, fakeChild]);
    launcher.launch(spec({ command: 'puma -p $PORT' }));
    launcher.launch(spec({ command: 'ignored', argv: ['/usr/bin/env', 'A=1'] }));
    expect(plans.map((p) => [p.file, ...p.args])).toEqual([['/bin/sh', '-c', 'exec puma -p $PORT'], ['/usr/bin/env', 'A=1']]);
  });
});
