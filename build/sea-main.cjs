'use strict';
// The single executable's main script (see build/sea.mjs): runs procinit's bundle, the SEA asset
// procinit.cjs, with the V8 code cache in the asset procinit.cache.
//
// Node's own SEA code cache (useCodeCache) is made by compiling the bundle without running it, so it
// holds the top-level code only: each module's body and every function procinit runs before its
// programs are started was still compiled at each start, on its first call (about 5 ms). procinit.cache
// is made at build time by one run of the bundle up to its programs' start (trainCodeCache in
// build/sea.mjs), so a start finds that code compiled. V8 refuses a cache made for other source or other
// V8 flags (PI_NODE_OPTS); the bundle is then compiled as without a cache, and PROCINIT_DEBUG says so.
//
// The wrapper below must stay byte for byte WRAPPER in build/sea.mjs: a cache belongs to its exact source.
const { getRawAsset } = require('node:sea');
const { Script } = require('node:vm');
const { dirname } = require('node:path');

// the bundle is ASCII (build/sea.mjs checks): latin1 makes a one-byte string without decoding UTF-8
const source = Buffer.from(getRawAsset('procinit.cjs')).toString('latin1');
let cachedData;
try {
  cachedData = Buffer.from(getRawAsset('procinit.cache'));
} catch {
  cachedData = undefined; // built with --no-code-cache
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: 'procinit.cjs',
  cachedData,
});
if (cachedData && script.cachedDataRejected && process.env.PROCINIT_DEBUG) {
  process.stderr.write('procinit: V8 rejected the code cache (other V8 flags?): compiled without it\n');
}
script.runInThisContext()(module.exports, require, module, process.execPath, dirname(process.execPath));
