/**
 * The single executable, dist/procinit, for the end-to-end tests. `npm test` builds only the JavaScript
 * bundle, so the first test file that needs the executable builds it (build/sea.mjs, ~5 s) when it is
 * missing or older than any source file; a lock directory keeps two test workers from building at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './procinit.js';

export const SEA_BINARY = join(REPO, 'dist/procinit');
const LOCK = join(REPO, 'dist/.sea-build.lock');
const SOURCES = ['src', 'build', 'package.json', 'native/build/Release/procinit.node'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isFresh(): boolean {
  if (!existsSync(SEA_BINARY)) return false;
  const built = statSync(SEA_BINARY).mtimeMs;
  return SOURCES.every((s) => !existsSync(join(REPO, s)) || newestMtime(join(REPO, s)) <= built);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Build dist/procinit unless it is up to date; returns its path. Throws with the build's output on failure. */
export function ensureSeaBinary(timeoutMs = 180_000): string {
  const start = Date.now();
  for (;;) {
    if (isFresh()) return SEA_BINARY;
    try {
      mkdirSync(LOCK);
    } catch {
      // another worker is building: wait for it (a lock older than the timeout is stale)
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${LOCK}`);
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > timeoutMs) rmdirSync(LOCK);
      } catch {
        /* gone meanwhile */
      }
      sleepSync(200);
      continue;
    }
    try {
      if (isFresh()) return SEA_BINARY;
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      // build/sea.mjs alone: it never rewrites dist/procinit.js, which other tests are running
      const r = spawnSync(process.execPath, [join(REPO, 'build/sea.mjs')], { cwd: REPO, encoding: 'utf8', env, timeout: timeoutMs });
      if (r.status !== 0) throw new Error(`building dist/procinit failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
      return SEA_BINARY;
    } finally {
      rmdirSync(LOCK);
    }
  }
}
