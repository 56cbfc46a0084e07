/**
 * loadRun's guards: reload reads the pinned file (never the search's next candidate), a config that runs
 * nothing is refused, a NUL reached through an escape is refused with file:line.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfig, loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { configError } from '../../helpers/config-error.js';
import { fixtureDir } from '../../helpers/procinit.js';

describe('loadRun: pinned file (reload)', () => {
  it('reads exactly the pinned file: a supervisord.conf beside a deleted Procfile is never picked', () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 1\n', 'supervisord.conf': '[supervisord]\n[program:other]\ncommand=sleep 2\n' });
    const opts = defaultLoadOptions({ cwd: dir, env: {} });
    const first = loadRun(opts);
    expect(first.file).toBe(join(dir, 'Procfile'));
    const pinned = { ...opts, pinned: { file: first.file, format: first.format } };
    rmSync(join(dir, 'Procfile'));
    expect(findConfig(opts).file).toBe(join(dir, 'supervisord.conf')); // what a search would find now
    expect(configError(() => loadRun(pinned)).message).toBe(`${join(dir, 'Procfile')}: no such file`);
  });

  it('keeps the format it started with, whatever the file holds now', () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 1\n' });
    const opts = defaultLoadOptions({ cwd: dir, env: {}, pinned: { file: join(dir, 'Procfile'), format: 'procfile' } });
    writeFileSync(join(dir, 'Procfile'), 'web: sleep 1\nworker: sleep 2\n');
    expect(loadRun(opts).programs.map((p) => p.name)).toEqual(['web', 'worker']);
  });
});

describe('loadRun: refusals', () => {
  it('a supervisord config without any program is refused (it would run nothing for ever)', () => {
    const dir = fixtureDir({ 'supervisord.conf': '[supervisord]\nlogfile=/dev/null\n' });
    const err = configError(() => loadRun(defaultLoadOptions({ cwd: dir, env: {} })));
    expect(err.message).toBe(`${join(dir, 'supervisord.conf')}: defines no program: nothing to run`);
  });

  it('a NUL written as an escape (TOML \\u0000) is refused with the line of the process', () => {
    const dir = fixtureDir({ 'fly.toml': 'app = "x"\n[processes]\nweb = "echo one\\u0000; echo two"\n' });
    const err = configError(() => loadRun(defaultLoadOptions({ cwd: dir, env: {}, config: 'fly.toml' })));
    expect(err.message).toMatch(new RegExp(`^${join(dir, 'fly.toml')}:3: NUL \\(\\\\0\\) in command of web\\.1: echo one\\\\x00; echo two$`));
  });

  it('a NUL in a manifest value (YAML "\\0") is refused too', () => {
    const dir = fixtureDir({ 'manifest.yml': 'applications:\n- name: a\n  command: "echo \\0 x"\n' });
    const err = configError(() => loadRun(defaultLoadOptions({ cwd: dir, env: {}, config: 'manifest.yml' })));
    expect(err.message).toMatch(/NUL \(\\0\) in command/);
  });
});
