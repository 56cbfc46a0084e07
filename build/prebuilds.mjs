#!/usr/bin/env node
// Prebuilt addons for the npm package (run by `npm pack` through prepack): procinit's own addon built by
// prebuildify (N-API, so one file serves every Node >= 20; tagged glibc, so a musl system builds from
// native/ instead) into native/prebuilds/<platform>-<arch>/, and node-pty's pty.node (N-API too, built
// by node-pty's install here) into native/pty/prebuilds/<platform>-<arch>/. node-gyp-build finds them
// at install (no compiler needed when one matches) and at run time (src/pid1/native.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tuple = `${process.platform}-${process.arch}`;
const libc = process.report?.getReport?.().header?.glibcVersionRuntime ? 'glibc' : 'musl';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build/prebuilds: ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// prebuildify runs node-gyp from PATH: npm exec puts npm's own node-gyp there (and nodedir from .npmrc).
// It rebuilds in its working folder, so it works on a copy of the sources: native/build/ stays as it is for
// every procinit (and test) running from this checkout meanwhile.
const scratch = mkdtempSync(join(tmpdir(), 'procinit-prebuild-'));
try {
  for (const f of readdirSync(join(root, 'native'))) if (/\.(c|cc|h|gyp)$/.test(f)) copyFileSync(join(root, 'native', f), join(scratch, f));
  run('npm', ['exec', '--prefix', root, '--', 'prebuildify', '--napi', '--strip', '--tag-libc'], scratch);
  rmSync(join(root, 'native/prebuilds'), { recursive: true, force: true });
  cpSync(join(scratch, 'prebuilds'), join(root, 'native/prebuilds'), { recursive: true });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const pty = join(root, 'node_modules/node-pty/build/Release/pty.node');
if (!existsSync(pty)) {
  console.error(`build/prebuilds: ${pty} is missing (npm rebuild node-pty)`);
  process.exit(1);
}
const ptyDir = join(root, 'native/pty/prebuilds', tuple);
rmSync(join(root, 'native/pty'), { recursive: true, force: true });
mkdirSync(ptyDir, { recursive: true });
const out = join(ptyDir, `node.${libc}.node`);
copyFileSync(pty, out);
run('strip', ['--strip-unneeded', out], root);
console.log(`build/prebuilds: native/prebuilds/${tuple}/node.${libc}.node, native/pty/prebuilds/${tuple}/node.${libc}.node`);
