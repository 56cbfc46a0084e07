/**
 * reload's load in a worker thread (src/config/load-worker.ts) gives what loadRun gives on this thread: the
 * same run (every format, includes, warnings, notes, AUTO log names), the same errors (class and message),
 * and programs whose `instantiate` makes the same instances (procinit scale after a reload).
 * Needs dist/config-worker.js (npm test builds it first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/config/errors.js';
import { loadRun } from '../../../src/config/load.js';
import { loadRunOffThread, prepareInstantiate, useConfigWorker } from '../../../src/config/load-worker.js';
import type { RunSpec } from '../../../src/config/model.js';
import { defaultLoadOptions, type LoadOptions } from '../../../src/config/options.js';
import { HungFileError } from '../../../src/config/text-file.js';
import { stableStringify } from '../../../src/supervisor/reload.js';
import { fixtureDir } from '../../helpers/procinit.js';

beforeAll(() => useConfigWorker(true)); // fail rather than fall back to the main thread
afterAll(() => useConfigWorker(null));

/** The run as data (stableStringify leaves out functions). */
const data = (run: RunSpec): string => stableStringify(run);

async function same(opts: LoadOptions): Promise<RunSpec> {
  const here = loadRun(opts);
  const there = await loadRunOffThread(opts);
  expect(data(there)).toBe(data(here));
  return there;
}

async function sameError(opts: LoadOptions): Promise<Error> {
  let here: unknown;
  try {
    loadRun(opts);
  } catch (err) {
    here = err;
  }
  const there = await loadRunOffThread(opts).then(
    () => null,
    (err: unknown) => err,
  );
  expect(here).toBeInstanceOf(Error);
  expect(there).toBeInstanceOf((here as Error).constructor);
  expect((there as Error).message).toBe((here as Error).message);
  return there as Error;
}

describe('the run made in the worker is the run made here', () => {
  it('a supervisord.conf with 300 included files, groups, numprocs, AUTO logs, warnings and notes', async () => {
    const dir = fixtureDir({
      'supervisord.conf':
        '[supervisord]\nenvironment=A="1"\n[program:base]\ncommand=sleep 300\nnumprocs=3\nprocess_name=%(program_name)s_%(process_num)02d\n' +
        '[group:g]\nprograms=base\n[include]\nfiles = conf.d/*.conf missing/*.conf\n',
    });
    mkdirSync(join(dir, 'conf.d'));
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, 'conf.d', `p${i}.conf`), `[program:p${i}]\ncommand=sleep %(ENV_HOME)s ${i}\nunknown_key=1\n`);
    const run = await same(defaultLoadOptions({ cwd: dir, config: 'supervisord.conf', env: { HOME: '/root', PATH: '/bin' } }));
    expect(run.programs).toHaveLength(301);
    expect(run.notes).toHaveLength(300);
    expect(run.warnings.length).toBeGreaterThan(300);
    expect(run.programs[0].instances[0].stdoutLog.kind).toBe('file'); // AUTO: the same random name both times
  });

  it('a Procfile with a formation, .env and -e files', async () => {
    const dir = fixtureDir({ Procfile: 'web: serve $PORT\nworker: work\n', '.env': 'X=1\n', 'more.env': 'Y=2\n' });
    await same(defaultLoadOptions({ cwd: dir, envFiles: ['more.env'], formation: 'web=3', env: {} }));
  });

  it('a fly.toml and a manifest.yml', async () => {
    const fly = fixtureDir({ 'fly.toml': 'app = "a"\n[processes]\nweb = "serve"\nworker = "work"\n' });
    await same(defaultLoadOptions({ cwd: fly, config: 'fly.toml', env: {} }));
    const cf = fixtureDir({ 'manifest.yml': 'applications:\n- name: a\n  processes:\n  - type: web\n    command: serve\n    instances: 2\n' });
    await same(defaultLoadOptions({ cwd: cf, config: 'manifest.yml', env: {} }));
  });
});

describe('the same errors, with the same class and message', () => {
  it('a bad value in an included file (file:line)', async () => {
    const dir = fixtureDir({ 'supervisord.conf': '[supervisord]\n[program:a]\ncommand=x\n[include]\nfiles=conf.d/*.conf\n' });
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'b.conf'), '[program:b]\ncommand=x\nstartsecs=soon\n');
    const err = await sameError(defaultLoadOptions({ cwd: dir, config: 'supervisord.conf', env: {} }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('b.conf:3');
  });

  it('a missing config file, a FIFO as config, a NUL byte, an unknown -m type', async () => {
    const dir = fixtureDir({ Procfile: 'web: serve\n', 'nul.conf': '[supervisord]\n[program:a]\ncommand=x\0y\n' });
    await sameError(defaultLoadOptions({ cwd: dir, pinned: { file: join(dir, 'gone'), format: 'procfile' }, env: {} }));
    await sameError(defaultLoadOptions({ cwd: dir, config: 'nul.conf', env: {} }));
    expect(await sameError(defaultLoadOptions({ cwd: dir, formation: 'nosuch=1', env: {} }))).toBeInstanceOf(UsageError);
  });

  it('a file whose read got no answer stays a HungFileError (the reload is refused, never skipped)', async () => {
    const { decodeError, encodeError } = await import('../../../src/config/worker-protocol.js');
    const back = decodeError(encodeError(new HungFileError('/x', null, 'no answer from the file system within 10 s (a hung mount?)')));
    expect(back).toBeInstanceOf(HungFileError);
    expect(back.message).toBe('/x: no answer from the file system within 10 s (a hung mount?)');
  });
});

describe('instantiate after a load in the worker', () => {
  it('makes the instances the parser would (scale up past numprocs), lazily or prepared in slices', async () => {
    const dir = fixtureDir({
      'supervisord.conf': '[supervisord]\n[program:w]\ncommand=work %(process_num)d\nnumprocs=2\nprocess_name=w_%(process_num)d\n',
      Procfile: 'web: serve\n',
    });
    for (const opts of [defaultLoadOptions({ cwd: dir, config: 'supervisord.conf', env: {} }), defaultLoadOptions({ cwd: dir, env: {} })]) {
      const here = loadRun(opts).programs[0];
      const lazy = (await loadRunOffThread(opts)).programs[0];
      expect(stableStringify(lazy.instantiate(7))).toBe(stableStringify(here.instantiate(7)));
      const prepared = (await loadRunOffThread(opts)).programs[0];
      await prepareInstantiate([prepared]);
      expect(stableStringify(prepared.instantiate(9))).toBe(stableStringify(here.instantiate(9)));
    }
  });
});
