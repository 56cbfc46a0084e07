/**
 * Which of Node's own modules procinit has loaded when it spawns its first program (issue 18, goal 4: start
 * to 10 programs ≤ 1.5× `node -e 0`). Every module loaded before then is compiled at every start, and some
 * bring dozens: node:worker_threads and node:v8 (the reload worker, imported by the control service) loaded
 * 36 modules and bindings, the streams among them, about 2-3 ms. A --require hook records
 * process.moduleLoadList at the first spawn by procinit's addon; none of the modules a plain Procfile run
 * does not need may be in it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, startWatched, procinitArgv, REPO } from '../helpers/procinit.js';

/** Modules a Procfile start has no use for before its programs run (each loaded later, when needed). */
const NOT_BEFORE_THE_FIRST_SPAWN = ['worker_threads', 'v8', 'stream', 'fs/promises', 'readline', 'net', 'tty', 'http', 'https', 'crypto', 'child_process', 'dgram', 'tls', 'zlib', 'inspector'];

/** Writes process.moduleLoadList to $LIST_OUT when procinit's addon spawns its first program. */
const HOOK = `'use strict';
const { writeFileSync } = require('node:fs');
const dlopen = process.dlopen;
process.dlopen = function (module, file, ...rest) {
  const result = dlopen.call(this, module, file, ...rest);
  const addon = module.exports;
  if (addon && typeof addon.spawn === 'function') {
    let first = true;
    module.exports = Object.create(addon, {
      spawn: {
        value(...args) {
          if (first) {
            first = false;
            writeFileSync(process.env.LIST_OUT, process.moduleLoadList.join('\\n'));
          }
          return addon.spawn(...args);
        },
      },
    });
  }
  return result;
};
`;

/** The NativeModule list at procinit's first spawn (env: more of procinit's environment). */
async function loadedAtFirstSpawn(env: Record<string, string> = {}): Promise<Set<string>> {
  const dir = fixtureDir({ Procfile: 'one: sleep 30\ntwo: sleep 30\n' });
  const hook = join(dir, 'hook.cjs');
  const list = join(dir, 'modules.txt');
  writeFileSync(hook, HOOK);
  const [node, script] = procinitArgv();
  const p = startWatched(node, ['--require', hook, script, '-f', join(dir, 'Procfile')], { cwd: dir, env: { LIST_OUT: list, ...env } });
  await p.waitFor('two.1 started');
  p.kill('SIGTERM');
  expect((await p.exit()).code).toBe(0);
  // the addon spawned (procinit's reaper runs here); child_process would be in the list otherwise
  expect(existsSync(list), `no spawn through procinit's addon; output:\n${p.output}`).toBe(true);
  const loaded = new Set(
    readFileSync(list, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('NativeModule '))
      .map((l) => l.slice('NativeModule '.length)),
  );
  expect(loaded.has('fs'), 'the list is the NativeModule list').toBe(true);
  return loaded;
}

describe('procinit start: Node modules loaded before the first program', () => {
  it('a Procfile run spawns its programs without worker_threads, v8, the streams, fs/promises, net, tty, http, crypto, child_process', async () => {
    const loaded = await loadedAtFirstSpawn();
    expect(NOT_BEFORE_THE_FIRST_SPAWN.filter((m) => loaded.has(m))).toEqual([]);
  });

  it('nor node:os when the addon is found without node-gyp-build (as the single executable finds it)', async () => {
    const loaded = await loadedAtFirstSpawn({ PROCINIT_PROCINIT_ADDON: join(REPO, 'dist/native/procinit.node') });
    expect([...NOT_BEFORE_THE_FIRST_SPAWN, 'os'].filter((m) => loaded.has(m))).toEqual([]);
  });
});
