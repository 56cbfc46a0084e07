/**
 * Load procinit's native addons: from the single executable's assets (SEA) or from disk.
 *
 * procinit has one addon of its own, procinit.node (native/addon.c: reaping, posix_spawn, pipes, the line
 * loop, the control socket's bind), and node-pty's pty.node.
 *
 * In a SEA, `require` reaches only built-in modules, so an addon (procinit.node, pty.node) is
 * written from its asset to an unnamed file (O_TMPFILE, mode 0700) in a directory and loaded with
 * process.dlopen through /proc/self/fd; where the file system cannot make unnamed files, to a fresh private
 * directory (mode 0700), loaded, and removed at once (the loaded library stays mapped). The directory is
 * $PROCINIT_NATIVE_DIR when set (and only that: an explicit choice is never second-guessed), else the first
 * of XDG_RUNTIME_DIR, /run, /dev/shm, $TMPDIR or /tmp, /var/tmp, $HOME where writing and loading works: hardened containers mount /tmp or
 * /dev/shm noexec, and then dlopen fails there and the next place is tried.
 */
import { mkdtempSync, rmdirSync, unlinkSync, writeFileSync, existsSync, accessSync, constants, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** procinit's own addon (native/addon.c), one file for every native part. */
export const PROCINIT_ADDON = 'procinit';

export class NativeLoadError extends Error {
  override readonly name = 'NativeLoadError';
}

/** Is this process a Node single executable application? */
export function isSea(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as { isSea(): boolean };
    return sea.isSea();
  } catch {
    return false;
  }
}

/** The folder this bundle (dist/procinit.js) or source module lives in. */
function moduleDir(): string {
  if (typeof __dirname !== 'undefined') return __dirname;
  return dirname(process.argv[1] ?? process.cwd());
}

/**
 * Directories to try for extracting SEA addons: $PROCINIT_NATIVE_DIR, then places that usually allow exec.
 * Last, for root: /dev, which Docker mounts as a tmpfs without noexec that stays writable under
 * `docker run --read-only` (so reaping works there with no --tmpfs at all).
 */
export function nativeDirCandidates(env: Record<string, string | undefined> = process.env, uid = process.getuid?.() ?? 0): string[] {
  if (env.PROCINIT_NATIVE_DIR) return [env.PROCINIT_NATIVE_DIR];
  const out = [env.XDG_RUNTIME_DIR, '/run', '/dev/shm', tmpdirOf(env), '/var/tmp', env.HOME, uid === 0 ? '/dev' : undefined].filter(
    (d): d is string => typeof d === 'string' && d.length > 0,
  );
  return [...new Set(out)];
}

/** os.tmpdir() on POSIX, from env: node:os itself is not loaded for it (about 0.2 ms of every start). */
function tmpdirOf(env: Record<string, string | undefined>): string {
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

function dlopen(file: string): unknown {
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}

/**
 * What this module knows across copies of itself: the single executable's main script (build/sea-main.cjs)
 * has its own copy, which loads procinit.node before the bundle runs (for native/source.c); the bundle's
 * copy then finds it loaded. `loaded`: each addon's exports by name; `goodBase`: the base directory that
 * worked last time, tried first for the next addon; `unnamedLoads`: see loadUnnamed.
 */
interface NativeState {
  loaded: Map<string, unknown>;
  goodBase: string | null;
  unnamedLoads: number;
}
const STATE_KEY = Symbol.for('procinit.native');
const state: NativeState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as NativeState | undefined) ??
  ((globalThis as Record<symbol, unknown>)[STATE_KEY] = { loaded: new Map(), goodBase: null, unnamedLoads: 0 } satisfies NativeState);

/** Why a place did not work, in a few words. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ERR_DLOPEN_FAILED') return /failed to map segment|operation not permitted/i.test(e.message) ? 'mounted noexec' : 'dlopen failed';
  return e.code ?? e.message;
}

/** Extract a SEA asset to a private directory, dlopen it, remove the file. */
function loadFromSea(asset: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = require('node:sea') as { getRawAsset(key: string): ArrayBuffer };
  const bytes = Buffer.from(sea.getRawAsset(asset));
  const bases = nativeDirCandidates();
  if (state.goodBase && bases.includes(state.goodBase)) bases.unshift(state.goodBase);
  const tried: string[] = [];
  for (const base of new Set(bases)) {
    let dir: string | null = null;
    try {
      const unnamed = loadUnnamed(base, bytes);
      if (unnamed !== NO_TMPFILE) {
        state.goodBase = base;
        return unnamed;
      }
      dir = mkdtempSync(join(base, 'procinit-'));
      const file = join(dir, asset);
      writeFileSync(file, bytes, { mode: 0o700, flag: 'wx' });
      const exports = dlopen(file);
      state.goodBase = base;
      return exports;
    } catch (err) {
      tried.push(`${base} (${reason(err)})`);
    } finally {
      if (dir) removeOurDir(dir, asset);
    }
  }
  const uid = process.getuid?.() ?? 0;
  // docker run --user N --tmpfs /run:exec: the tmpfs is root's; Docker gives it to N when told
  const runIsRoots = uid !== 0 && tried.includes('/run (EACCES)');
  const fix = `set PROCINIT_NATIVE_DIR to a writable directory on a filesystem mounted without noexec${runIsRoots ? ` (docker run --user: --tmpfs /run:exec,uid=${uid},gid=${process.getgid?.() ?? uid})` : ''}`;
  throw new NativeLoadError(
    process.env.PROCINIT_NATIVE_DIR
      ? `cannot load native addon ${asset}: PROCINIT_NATIVE_DIR=${tried[0]}; ${fix}`
      : `cannot load native addon ${asset}: no directory allows writing and executing it (tried ${tried.join(', ')}); ${fix}`,
  );
}

/** O_TMPFILE (Linux 3.11+): a file without a name in a directory's file system, gone with its last descriptor. */
const O_TMPFILE = 0o20200000;
const NO_TMPFILE = Symbol('no O_TMPFILE');
let procFds: boolean | undefined;

/**
 * Write the addon to an unnamed file (O_TMPFILE) in base and dlopen it through /proc/self/fd: nothing to
 * name, clean up or leave behind after a crash, and nobody else can open it; about half a millisecond of
 * every start less than a private directory (mkdtemp, write, dlopen, unlink, rmdir). NO_TMPFILE when the
 * kernel or the file system cannot make such files, or /proc is not mounted: then the directory way.
 */
function loadUnnamed(base: string, bytes: Buffer): unknown {
  procFds ??= existsSync('/proc/self/fd');
  if (!procFds) return NO_TMPFILE;
  let fd: number;
  try {
    fd = openSync(base, O_TMPFILE | constants.O_RDWR, 0o700);
  } catch (err) {
    // EISDIR: a kernel without O_TMPFILE opens the directory; EOPNOTSUPP: a file system without it
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'EINVAL') return NO_TMPFILE;
    throw err;
  }
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    // glibc's dlopen returns an object already loaded under the same name: pty.node, loaded later, may get
    // the descriptor number procinit.node had, so each load's path is spelled differently (`//proc/...`)
    return dlopen(`${'/'.repeat(++state.unnamedLoads)}proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Remove the private directory: it holds at most the one file we wrote. (Not rmSync recursive: that loads
 * and runs node's rimraf, about half a millisecond of every start.)
 */
function removeOurDir(dir: string, asset: string): void {
  try {
    unlinkSync(join(dir, asset));
  } catch {
    /* not written */
  }
  try {
    rmdirSync(dir);
  } catch {
    /* nothing more we can do; the directory is private (0700) and empty or nearly */
  }
}

/**
 * Load `name.node` (PROCINIT_ADDON or "pty") once: SEA asset, $PROCINIT_<NAME>_ADDON, dist/native/,
 * native/build/Release/. Later calls get the same exports (a SEA asset is not extracted twice).
 */
export function loadAddon(name: string): unknown {
  let exports = state.loaded.get(name);
  if (exports === undefined) {
    exports = findAndLoad(name);
    state.loaded.set(name, exports);
  }
  return exports;
}

/** The addon's exports if it is loaded already, else null: for fast paths that must not load it. */
export function loadedAddon(name: string): unknown {
  return state.loaded.get(name) ?? null;
}

/** Where an addon's sources (procinit: native/) or prebuilds (pty: native/pty/) are, for node-gyp-build. */
const ADDON_DIRS: Record<string, string> = { [PROCINIT_ADDON]: 'native', pty: 'native/pty' };

/**
 * The addon's file on disk, without the SEA: $PROCINIT_<NAME>_ADDON, else what node-gyp-build finds in the
 * package (native/build/Release/ when it was built here, else the prebuild for this platform, arch and
 * libc in native/prebuilds/), else the copies the repo's build makes (dist/native/, node-pty's own build).
 */
function addonCandidates(name: string): { files: string[]; prebuildError: string | null } {
  const here = moduleDir();
  // the bundle is dist/procinit.js; the sources are src/pid1/native.ts
  const roots = [join(here, '..'), join(here, '..', '..')].filter((r) => existsSync(join(r, 'native', 'binding.gyp')) || existsSync(join(r, 'package.json')));
  const files: string[] = [];
  const override = process.env[`PROCINIT_${name.toUpperCase()}_ADDON`];
  if (override) return { files: [override], prebuildError: null };
  let prebuildError: string | null = null;
  for (const root of roots) {
    const dir = ADDON_DIRS[name];
    if (!dir) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      files.push((require('node-gyp-build') as { resolve(dir: string): string }).resolve(join(root, dir)));
    } catch (err) {
      prebuildError ??= (err as Error).message.split('\n')[0];
    }
  }
  files.push(join(here, 'native', `${name}.node`));
  for (const root of roots) {
    files.push(join(root, 'native', 'build', 'Release', `${name}.node`));
    if (name === 'pty') files.push(join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'));
  }
  return { files: [...new Set(files)], prebuildError };
}

function findAndLoad(name: string): unknown {
  if (isSea()) return loadFromSea(`${name}.node`);
  const { files, prebuildError } = addonCandidates(name);
  for (const file of files) {
    if (!existsSync(file)) continue;
    accessSync(file, constants.R_OK);
    return dlopen(file);
  }
  throw new NativeLoadError(`native addon ${name}.node not found${prebuildError ? ` (${prebuildError})` : ''}; looked in ${files.join(', ')}`);
}
