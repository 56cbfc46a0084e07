// esbuild plugin for the single executable: bundle node-pty and route its native pty.node through
// procinit's addon loader (src/pid1/native.ts), which extracts SEA assets to a private directory.
//
// node-pty's lib/unixTerminal.js calls utils.loadNativeModule('pty'), which require()s
// '../build/Release/pty.node' relative to its own folder; inside a SEA `require` reaches only built-in
// modules, so that file is replaced by a shim. The Windows half of node-pty is replaced by a stub.
import { join } from 'node:path';

export function nodePtyPlugin(root) {
  const native = join(root, 'src/pid1/native.ts');
  return {
    name: 'procinit-node-pty',
    setup(build) {
      build.onResolve({ filter: /^\.\/windowsTerminal$/ }, (args) =>
        /node-pty[\\/]lib[\\/]?$/.test(args.resolveDir) ? { path: 'node-pty-windows-stub', namespace: 'procinit-stub' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'procinit-stub' }, () => ({
        contents: "exports.WindowsTerminal = function () { throw new Error('node-pty: Windows is not supported by procinit'); };",
        loader: 'js',
      }));
      build.onLoad({ filter: /node-pty[\\/]lib[\\/]utils\.js$/ }, () => ({
        contents: `
const { loadAddon } = require(${JSON.stringify(native)});
exports.assign = function assign(target, ...sources) {
  for (const source of sources) for (const key of Object.keys(source)) target[key] = source[key];
  return target;
};
exports.loadNativeModule = function loadNativeModule(name) {
  return { dir: '.', module: loadAddon(name) };
};
`,
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}
