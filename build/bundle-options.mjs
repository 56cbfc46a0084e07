// The esbuild options both bundles share: dist/procinit.js (npm package) and the single executable's
// bundle, each with node-pty inside (see node-pty-plugin.mjs).
import { join } from 'node:path';

// NODE_OPTIONS is meant for the user's Node programs, which inherit it unchanged. Node applies it to
// procinit's own runtime too (a SEA built with Node 20 cannot opt out; build/sea.mjs sets
// execArgvExtension "none" for Node versions that know it). One effect would surprise: with --inspect in
// NODE_OPTIONS, procinit would hold the debugger port the program wants. So an inspector that
// NODE_OPTIONS opened is closed first thing; one asked for on the command line
// (`node --inspect dist/procinit.js`) stays. Costs nothing unless NODE_OPTIONS mentions --inspect.
const closeInspectorFromNodeOptions = `(function () {
  var o = process.env.NODE_OPTIONS;
  if (!o || o.indexOf('--inspect') < 0) return;
  if (process.execArgv.some(function (a) { return a.indexOf('--inspect') === 0; })) return;
  try { var i = require('node:inspector'); if (i.url()) i.close(); } catch (e) {}
})();`;

/** entry: src/cli/entry.ts (everything), or src/cli/client-entry.ts (the single executable's client verbs). */
export function bundleOptions(root, entry = 'src/cli/entry.ts') {
  return {
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: closeInspectorFromNodeOptions },
  };
}
