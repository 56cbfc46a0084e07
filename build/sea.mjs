#!/usr/bin/env node
// Build dist/procinit: one executable file, Node's own Single Executable Application (SEA).
//
//   1. esbuild bundles src/cli/entry.ts with node-pty inside (dist/.sea/procinit.cjs, CommonJS);
//      node-pty's native loader is replaced by procinit's (build/node-pty-plugin.mjs).
//   2. One run of the bundle up to the start of its programs leaves a V8 code cache of what it compiled
//      (trainCodeCache). `node --experimental-sea-config` makes the blob: build/sea-main.cjs as the main
//      script; the bundle inside its CommonJS wrapper (procinit.js, see wrapBundle), its code cache and the
//      two native addons, procinit.node and pty.node, as assets (src/pid1/native.ts extracts the addons).
//   3. A copy of this node binary is stripped (the SEA fuse survives), its C++ start-up is made to
//      ignore NODE_OPTIONS (renameNodeOptions), and postject injects the blob.
//   4. The result must answer `--version`, cleanly even with NODE_OPTIONS set.
//
// Options: --no-code-cache (default: on; see README "Single executable" for the figures),
//          --keep-node-options (let NODE_OPTIONS reach procinit's own runtime; see renameNodeOptions).
// Works offline: nothing is downloaded.
import { build } from 'esbuild';
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { bundleOptions } from './bundle-options.mjs';
import { nodePtyPlugin } from './node-pty-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const work = join(root, 'dist/.sea');
const out = join(root, 'dist/procinit');
const useCodeCache = !process.argv.includes('--no-code-cache');
const keepNodeOptions = process.argv.includes('--keep-node-options');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(msg) {
  process.stderr.write(`build/sea: ${msg}\n`);
  process.exit(1);
}

/** Run a tool quietly; show its output only when it fails. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return r;
}

/**
 * Make procinit's own runtime ignore NODE_OPTIONS, which is meant for the user's Node programs (they
 * inherit it unchanged). Node 22.20+/24 have the SEA option execArgvExtension "none" for this (set below);
 * Node 20 has nothing, and there NODE_OPTIONS=--inspect stops a SEA from starting at all ("not allowed in
 * NODE_OPTIONS", exit 9), V8 flags such as --max-old-space-size make it print "Code cache data rejected",
 * and --require preloads run inside PID 1. So the one C string "NODE_OPTIONS" that node's C++ start-up
 * passes to getenv is renamed in the copy to PI_NODE_OPTS (same length): procinit's own Node options,
 * for debugging procinit. JavaScript inside node keeps reading the real NODE_OPTIONS (V8's copies of the
 * name are length-prefixed strings, not C strings, and stay as they are). The build checks the result.
 */
function renameNodeOptions(file) {
  const bin = readFileSync(file);
  const name = Buffer.from('NODE_OPTIONS\0');
  const found = [];
  for (let i = bin.indexOf(name); i >= 0; i = bin.indexOf(name, i + 1)) {
    const cString = i >= 4 && bin[i - 1] === 0 && bin.readUInt32LE(i - 4) !== 12; // not a V8 string (length 12 before it)
    if (cString) found.push(i);
  }
  if (found.length !== 1) {
    process.stderr.write(`build/sea: warning: found ${found.length} C strings NODE_OPTIONS in ${process.execPath}, not 1: left as they are, so NODE_OPTIONS reaches procinit itself unless this node knows execArgvExtension\n`);
    return false;
  }
  bin.write('PI_NODE_OPTS', found[0], 'latin1');
  writeFileSync(file, bin);
  return true;
}

/** The environment for running node tools: nothing from the caller may change how node behaves. */
function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Leave the executable as an install finds it: on disk, not in the page cache. postject writes the file in
 * 512 KiB chunks, and a kernel whose page cache keeps large folios (ext4 on Linux 6.x) keeps them as 512 KiB
 * folios, which a page fault maps whole: every procinit started from that cache then counted about 9 MiB
 * more of its own file in VmRSS (idle 56 MiB, against 47 for a copy of the same bytes and 45 for the file
 * read from disk). fsync, then `dd iflag=nocache count=0` (posix_fadvise DONTNEED, which node lacks).
 */
function dropFromPageCache(file) {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    process.stderr.write(`build/sea: warning: could not drop dist/procinit from the page cache (${r.error?.message ?? r.stderr.trim()}): until it is evicted, each start maps more of it (VmRSS)\n`);
  }
}

/**
 * The script build/sea-main.cjs compiles: the bundle inside a CommonJS module's function. It is made here and
 * stored as the asset (NAME.js), so sea-main compiles the asset's string as it is: wrapping it at start-up
 * made a second copy of the whole source (V8 flattens the concatenation) in the young generation, and
 * that allocation alone started a scavenge before the bundle ran. A code cache belongs to this exact text.
 */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];
function wrapBundle(bundle) {
  const file = bundle.replace(/\.cjs$/, '.js');
  writeFileSync(file, WRAPPER[0] + readFileSync(bundle, 'latin1') + WRAPPER[1], 'latin1');
  return file;
}

/**
 * Run the bundle as `procinit -f Procfile` in a scratch folder (two programs: one prints a line, both
 * stay), write V8's code cache of what it compiled once the programs run and their output came through,
 * then stop it with SIGTERM. The cache holds the start-up path only (the shutdown's code is compiled after
 * it is written): what a start needs before its programs run, without the size of the rest.
 */
function trainCodeCache(bundle, out) {
  const dir = join(work, 'train');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Procfile'), 'talks: echo trained; exec sleep 30\nsleeps: sleep 30\n');
  const trainer = join(work, 'train.cjs');
  writeFileSync(
    trainer,
    `'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const [bundle, wrapped, out, ...args] = process.argv.slice(2);
const script = new Script(readFileSync(wrapped, 'latin1'), { filename: 'procinit.cjs' });
process.argv = [process.argv[0], bundle, ...args];
setTimeout(() => {
  writeFileSync(out, script.createCachedData());
  process.kill(process.pid, 'SIGTERM');
}, 500);
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
`,
  );
  const r = run(process.execPath, [trainer, bundle, wrapBundle(bundle), out, '-f', 'Procfile', '-t', '2', '--socket', join(dir, 'ctl.sock')], { cwd: dir, env: cleanEnv() });
  if (!r.stdout.includes('trained')) fail(`the training run did not run its programs:\n${r.stdout}${r.stderr}`);
  if (!existsSync(out) || statSync(out).size === 0) fail('the training run wrote no code cache');
}

/**
 * The client bundle's cache: a procinit (the full bundle, plain node) runs one program; the client bundle,
 * run as `procinit status` against it, writes V8's code cache of what it compiled as it exits.
 */
async function trainClientCodeCache(bundle, client, out) {
  const dir = join(work, 'train-client');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Procfile'), 'sleeps: sleep 30\n');
  const sock = join(dir, 'ctl.sock');
  const server = spawn(process.execPath, [bundle, '-f', 'Procfile', '-t', '2', '--socket', sock], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
  try {
    for (let i = 0; i < 300 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(sock)) fail('the client training run: procinit made no control socket within 15 s');
    const trainer = join(work, 'train-client.cjs');
    writeFileSync(
      trainer,
      `'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const [bundle, wrapped, out, ...args] = process.argv.slice(2);
const script = new Script(readFileSync(wrapped, 'latin1'), { filename: 'client.cjs' });
process.argv = [process.argv[0], bundle, ...args];
const exit = process.exit.bind(process);
process.exit = (code) => {
  writeFileSync(out, script.createCachedData());
  exit(code);
};
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
`,
    );
    const r = run(process.execPath, [trainer, client, wrapBundle(client), out, 'status', '--socket', sock], { cwd: dir, env: cleanEnv() });
    if (!r.stdout.includes('sleeps')) fail(`the client training run did not show the status:\n${r.stdout}${r.stderr}`);
    if (!existsSync(out) || statSync(out).size === 0) fail('the client training run wrote no code cache');
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await gone;
    }
  }
}

// The native addons that become SEA assets.
const assets = {
  'procinit.node': join(root, 'native/build/Release/procinit.node'),
  'pty.node': join(dirname(require.resolve('node-pty/package.json')), 'build/Release/pty.node'),
};
for (const [name, file] of Object.entries(assets)) if (!existsSync(file)) fail(`${name} not found at ${file} (npm run build:native; node-pty's install builds pty.node)`);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. the bundles, each one CommonJS file; in a SEA `require` only reaches built-in modules. procinit.cjs
// is everything (src/cli/entry.ts); client.cjs the client verbs alone (src/cli/client-entry.ts), which
// build/sea-main.cjs runs for `procinit status` and the like: a fifth of the size, and its own code cache.
const builtins = new Set(require('node:module').builtinModules);
async function bundleFrom(entry, outfile) {
  const result = await build({
    ...bundleOptions(root, entry),
    // no comments, no indentation: the bundle's 690 kB become 500, all ASCII. One non-ASCII character in
    // a comment made V8 hold the whole source as a two-byte string (1.4 MB); idle VmRSS 2 MiB less.
    // (dist/procinit.js keeps them: its profiles name each function's source file through those comments.)
    minifyWhitespace: true,
    outfile,
    plugins: [nodePtyPlugin(root)],
    metafile: true,
  });
  if (readFileSync(outfile).some((b) => b > 0x7f)) fail(`${outfile} is not ASCII: build/sea-main.cjs reads it as latin1`);
  for (const meta of Object.values(result.metafile.outputs)) {
    for (const imp of meta.imports) {
      if (imp.external && !imp.path.startsWith('node:') && !builtins.has(imp.path)) fail(`${outfile} still requires ${imp.path}, which a SEA cannot load`);
    }
  }
}
const bundle = join(work, 'procinit.cjs');
const clientBundle = join(work, 'client.cjs');
await bundleFrom('src/cli/entry.ts', bundle);
await bundleFrom('src/cli/client-entry.ts', clientBundle);
// the config worker: src/config/load-worker.ts runs this asset's source in a worker thread at a reload
const workerBundle = join(work, 'config-worker.cjs');
await bundleFrom('src/config/worker-entry.ts', workerBundle);

// 2. the code caches, then the blob
const codeCache = join(work, 'procinit.cache');
const clientCache = join(work, 'client.cache');
if (useCodeCache) {
  trainCodeCache(bundle, codeCache);
  await trainClientCodeCache(bundle, clientBundle, clientCache);
}
// build/sea-main.cjs reads the verb list as latin1 too
if (readFileSync(join(root, 'src/cli/client-verbs.json')).some((b) => b > 0x7f)) fail('src/cli/client-verbs.json is not ASCII: build/sea-main.cjs reads it as latin1');
// the main script: build/sea-main.cjs with src/pid1/native.ts inside (it loads procinit.node before the
// bundle runs); node-gyp-build is native.ts's way outside a SEA only
const seaMain = join(work, 'sea-main.cjs');
await build({
  entryPoints: [join(root, 'build/sea-main.cjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['node-gyp-build'],
  outfile: seaMain,
});
const blob = join(work, 'procinit.blob');
const config = join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify(
    {
      main: seaMain,
      output: blob,
      disableExperimentalSEAWarning: true,
      // node's cache would hold the few lines of sea-main.cjs; the bundle's own is the asset procinit.cache
      useCodeCache: false,
      useSnapshot: false,
      // newer Node (22.x, 24.x): NODE_OPTIONS does not reach procinit itself; Node 20 ignores the field
      execArgvExtension: 'none',
      assets: {
        ...assets,
        'procinit.js': wrapBundle(bundle),
        'client.js': wrapBundle(clientBundle),
        'config-worker.cjs': workerBundle,
        'client-verbs.json': join(root, 'src/cli/client-verbs.json'),
        ...(useCodeCache ? { 'procinit.cache': codeCache, 'client.cache': clientCache } : {}),
      },
    },
    null,
    2,
  ),
);
run(process.execPath, ['--experimental-sea-config', config], { cwd: work, env: cleanEnv() });

// 3. a stripped copy of node with the blob injected
const tmp = `${out}.tmp`;
rmSync(tmp, { force: true });
copyFileSync(process.execPath, tmp);
chmodSync(tmp, 0o755);
// strip: node's symbols are ~12 MB of the file; the SEA fuse and everything node needs survive it
const stripped = spawnSync('strip', [tmp], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (stripped.error?.code === 'ENOENT') process.stderr.write('build/sea: warning: strip not found (binutils): dist/procinit stays unstripped\n');
else if (stripped.status !== 0) fail(`strip failed: ${stripped.stderr}`);
const renamed = keepNodeOptions ? false : renameNodeOptions(tmp);
const { inject } = require('postject');
// postject (and LIEF inside it) print progress and harmless warnings about the stripped section
// names; keep the build quiet unless the injection fails
const said = [];
const quiet = { log: console.log, warn: console.warn, error: console.error, write: process.stderr.write };
console.log = console.warn = console.error = (...a) => void said.push(a.join(' '));
process.stderr.write = (chunk) => void said.push(String(chunk).trimEnd()) || true;
try {
  await inject(tmp, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE });
} catch (err) {
  Object.assign(console, { log: quiet.log, warn: quiet.warn, error: quiet.error });
  process.stderr.write = quiet.write;
  fail(`postject: ${err.message}\n${said.join('\n')}`);
} finally {
  Object.assign(console, { log: quiet.log, warn: quiet.warn, error: quiet.error });
  process.stderr.write = quiet.write;
}
chmodSync(tmp, 0o755);

// 4. it must run, and (unless kept) ignore NODE_OPTIONS
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// PROCINIT_DEBUG: build/sea-main.cjs says on stderr when V8 refuses the code cache, which fails the check
const probe = { ...cleanEnv(), PROCINIT_DEBUG: '1', ...(renamed ? { NODE_OPTIONS: '--inspect --require /nonexistent/procinit-probe.js' } : {}) };
const check = spawnSync(tmp, ['--version'], { encoding: 'utf8', env: probe });
if (check.status !== 0 || check.stdout.trim() !== `procinit ${pkg.version}` || check.stderr !== '') {
  fail(`the new executable does not answer --version cleanly (status ${check.status}): ${check.stdout}${check.stderr}`);
}
renameSync(tmp, out);
dropFromPageCache(out);
const mb = (statSync(out).size / 1024 / 1024).toFixed(1);
process.stdout.write(
  `build/sea: dist/procinit (${mb} MiB, node ${process.version}, code cache ${useCodeCache ? 'on' : 'off'}, NODE_OPTIONS ${renamed ? 'ignored' : 'honoured'} by procinit itself)\n`,
);
