'use strict';
// The single executable's main script (see build/sea.mjs): runs one of procinit's two bundles, SEA assets,
// with its V8 code cache: client.js (src/cli/client-entry.ts) for the verbs that talk to a running
// procinit, named in client-verbs.json, when procinit runs under its own name; procinit.js
// (src/cli/entry.ts, everything) for the rest. So `procinit status` neither reads nor compiles the
// supervisor. The names are src/cli/personality.ts's rule: supervisord and supervisorctl (a symlink or copy
// under that name) take those programs' command lines, in procinit.js.
//
// Node's own SEA code cache (useCodeCache) is made by compiling the bundle without running it, so it
// holds the top-level code only: each module's body and every function procinit runs before its
// programs are started was still compiled at each start, on its first call (about 5 ms). procinit.cache
// is made at build time by one run of the bundle up to its programs' start (trainCodeCache in
// build/sea.mjs), client.cache by one `procinit status`, so a call finds that code compiled. V8 refuses a
// cache made for other source or other V8 flags (PI_NODE_OPTS); the bundle is then compiled as without a
// cache, and PROCINIT_DEBUG says so.
const { getRawAsset } = require('node:sea');
const { Script } = require('node:vm');
const { basename, dirname } = require('node:path');

function personality() {
  for (const candidate of [process.argv[1], process.argv0]) {
    if (!candidate) continue;
    const name = basename(candidate).replace(/\.(js|cjs|mjs)$/, '');
    if (name === 'supervisord' || name === 'supervisorctl') return name;
  }
  return 'procinit';
}

const verb = process.argv[2];
// an option (`procinit -f Procfile`) is never a verb: the list is not read. It is ASCII, read as latin1
// (getAsset with an encoding makes a TextDecoder).
const client =
  verb !== undefined && verb[0] !== '-' && personality() === 'procinit' && JSON.parse(Buffer.from(getRawAsset('client-verbs.json')).toString('latin1')).includes(verb);
const name = client ? 'client' : 'procinit';

// NAME.js is the bundle inside a CommonJS module's function (WRAPPER in build/sea.mjs), compiled as it
// is. procinit.js is compiled from a string over the asset itself (native/source.c: the asset is the
// executable's own memory; no copy on V8's heap: 2-4 ms of every start in alternating A/Bs, 0.9 MB of
// anonymous memory), which needs procinit's addon: it is loaded here, by src/pid1/native.ts (bundled
// into this script by build/sea.mjs), and the bundle's copy of that module finds it loaded. Where the
// addon cannot be loaded (the bundle's own load then says why) or Node lacks external strings, the
// source is copied, as client.js's always is: it is ASCII (build/sea.mjs checks), and latin1 makes a
// one-byte string without decoding UTF-8.
let source;
if (name === 'procinit') {
  try {
    source = require('../src/pid1/native.ts').loadAddon('procinit').externalSource?.(getRawAsset('procinit.js'));
  } catch {
    source = undefined;
  }
}
if (typeof source !== 'string') {
  if (name === 'procinit' && process.env.PROCINIT_DEBUG) process.stderr.write('procinit: the bundle\'s source is copied onto the heap (no external string)\n');
  source = Buffer.from(getRawAsset(`${name}.js`)).toString('latin1');
}
let cachedData;
try {
  cachedData = Buffer.from(getRawAsset(`${name}.cache`));
} catch {
  cachedData = undefined; // built with --no-code-cache
}
const script = new Script(source, {
  filename: `${name}.cjs`,
  cachedData,
});
if (cachedData && script.cachedDataRejected && process.env.PROCINIT_DEBUG) {
  process.stderr.write('procinit: V8 rejected the code cache (other V8 flags?): compiled without it\n');
}
script.runInThisContext()(module.exports, require, module, process.execPath, dirname(process.execPath));
