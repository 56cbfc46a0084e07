/**
 * native/memory.cc fixes malloc's mmap threshold when the addon loads: big Buffers freed amid small live
 * ones go back to the kernel at once, instead of staying in a heap that cannot shrink (glibc's dynamic
 * threshold sends blocks up to the biggest one freed so far to the heap). A real node process, real glibc.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../../..');
// the loader's order (src/pid1/native.ts): dist/native/, then the build directory
const addon = [join(root, 'dist/native/procinit.node'), join(root, 'native/build/Release/procinit.node')].find((f) => existsSync(f));

// A start frees a big block before the addon loads (the bundle's source): that raises the dynamic threshold.
// Then 1 MiB Buffers with 64 KiB ones kept between them, the big ones dropped: how much RSS goes back.
const child = `
const { setTimeout: sleep } = require('node:timers/promises');
(async () => {
  let first = Buffer.allocUnsafeSlow(4 << 20).fill(1);
  first = null; gc(); await sleep(20); gc();
  if (process.argv[1]) require(process.argv[1]);
  let big = [];
  const keep = [];
  for (let i = 0; i < 32; i++) {
    big.push(Buffer.allocUnsafeSlow(1 << 20).fill(1));
    keep.push(Buffer.allocUnsafeSlow(64 << 10).fill(1));
  }
  const before = process.memoryUsage.rss();
  big = null;
  let after = before;
  for (let i = 0; i < 40 && before - after < 24 << 20; i++) { gc(); await sleep(25); after = process.memoryUsage.rss(); }
  process.stdout.write(String((before - after) / 1048576) + ' ' + keep.length);
})();
`;

function freedMiB(env: NodeJS.ProcessEnv, withAddon: boolean): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', child, withAddon ? addon! : ''], { env, encoding: 'utf8', timeout: 30000 });
  return Number(out.split(' ')[0]);
}

const clean = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.MALLOC_MMAP_THRESHOLD_;
  delete env.NODE_OPTIONS;
  return env;
};

describe.skipIf(!addon || process.platform !== 'linux')('malloc mmap threshold (native/memory.cc)', () => {
  it('big Buffers freed amid live small ones are given back at once once the addon is loaded', () => {
    expect(freedMiB(clean(), true)).toBeGreaterThanOrEqual(24);
  });

  it("leaves an operator's own threshold alone (GLIBC_TUNABLES)", () => {
    const env = { ...clean(), GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=33554432' };
    expect(freedMiB(env, true)).toBeLessThan(16);
  });
});
