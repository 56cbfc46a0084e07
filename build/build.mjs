#!/usr/bin/env node
// Build procinit: bundle src/ into dist/procinit.js (CommonJS, one file) and copy the native addons next
// to it. `--js-only` skips the single executable; without it, build/sea.mjs makes dist/procinit.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { bundleOptions } from './bundle-options.mjs';
import { nodePtyPlugin } from './node-pty-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jsOnly = process.argv.includes('--js-only');

const addons = ['procinit'].map((name) => ({ name, file: join(root, `native/build/Release/${name}.node`) }));
if (addons.some((a) => !existsSync(a.file))) {
  const r = spawnSync('npm', ['run', 'build:native'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// write beside, then rename over: a procinit starting during a rebuild never reads half a bundle
await build({
  ...bundleOptions(root),
  outfile: join(root, 'dist/procinit.js.tmp'),
  // node-pty inside too: the package has no runtime dependencies to fetch (only node-gyp-build, for its
  // install script), and pty.node comes through procinit's addon loader (a prebuild, see build/prebuilds.mjs)
  plugins: [nodePtyPlugin(root)],
});
renameSync(join(root, 'dist/procinit.js.tmp'), join(root, 'dist/procinit.js'));
// the config worker (src/config/worker-entry.ts): reload parses the config in a worker thread that loads
// this file, never at start (src/config/load-worker.ts finds it beside dist/procinit.js)
await build({ ...bundleOptions(root, 'src/config/worker-entry.ts'), outfile: join(root, 'dist/config-worker.js.tmp') });
renameSync(join(root, 'dist/config-worker.js.tmp'), join(root, 'dist/config-worker.js'));
mkdirSync(join(root, 'dist/native'), { recursive: true });
// copy, then rename over: rewriting the file in place would crash every procinit that has it loaded (SIGSEGV)
for (const { name, file } of addons) {
  copyFileSync(file, join(root, `dist/native/${name}.node.tmp`));
  renameSync(join(root, `dist/native/${name}.node.tmp`), join(root, `dist/native/${name}.node`));
}
// the two addons procinit had before they became one
for (const old of ['reaper', 'output']) rmSync(join(root, `dist/native/${old}.node`), { force: true });

if (!jsOnly && existsSync(join(root, 'build/sea.mjs'))) {
  const r = spawnSync(process.execPath, [join(root, 'build/sea.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
