/**
 * A real FUSE file system whose calls stop answering on demand, as on a hung NFS mount
 * (test/fixtures/config/hung-fs.py, Debian's python3-fusepy): read(2) of its files hangs while MARKER exists,
 * readdir(2) while MARKER.readdir exists, stat(2) while MARKER.stat exists. And the loop the hung-fs tests
 * share: ask something every 200 ms while a slow operation is pending.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, until } from './procinit.js';

const PY = '/usr/bin/python3';

/** Root, /dev/fuse and fusepy: what mounting needs. */
export const canFuse = process.getuid?.() === 0 && existsSync('/dev/fuse') && spawnSync(PY, ['-c', 'import fusepy'], { stdio: 'ignore' }).status === 0;

export type HungCall = 'read' | 'readdir' | 'stat';

export class HungFs {
  private constructor(
    /** The mount point; it holds extra.conf (and app.env) */
    readonly mnt: string,
    private readonly marker: string,
    private readonly server: ChildProcess,
  ) {}

  /** Mounts at DIR/nfs, answering everything until hang(). */
  static async mount(dir: string): Promise<HungFs> {
    const mnt = join(dir, 'nfs');
    const marker = join(dir, 'hang');
    mkdirSync(mnt);
    const server = spawn(PY, [join(REPO, 'test/fixtures/config/hung-fs.py'), mnt, marker], { stdio: 'ignore' });
    await until(() => existsSync(join(mnt, 'extra.conf')), 10_000, 'the FUSE mount');
    return new HungFs(mnt, marker, server);
  }

  /** The file whose presence makes this call hang (for a test that starts procinit hung). */
  markerOf(call: HungCall): string {
    return call === 'read' ? this.marker : `${this.marker}.${call}`;
  }

  /** From now on this call does not return. */
  hang(call: HungCall): void {
    writeFileSync(this.markerOf(call), '');
  }

  /** The call answers again, and the ones that hung return. */
  answer(call: HungCall): void {
    rmSync(this.markerOf(call), { force: true });
  }

  /** Every call answers again, and every hung one returns. */
  release(): void {
    for (const call of ['read', 'readdir', 'stat'] as const) this.answer(call);
  }

  /** Every hung call returns, the mount goes, the server ends. */
  unmount(): void {
    this.release();
    spawnSync('umount', ['-l', this.mnt], { stdio: 'ignore' });
    this.server.kill('SIGKILL');
  }
}

/** Calls ask() every 200 ms until pending settles: its result, the answers with code 0, the slowest, how long. */
export async function askWhile<T>(pending: Promise<T>, ask: () => Promise<{ code: number | null }>): Promise<{ result: T; answered: number; slowest: number; took: number }> {
  const began = Date.now();
  let done = false;
  void pending.then(
    () => (done = true),
    () => (done = true),
  );
  let slowest = 0;
  let answered = 0;
  while (!done) {
    const t = Date.now();
    const r = await ask();
    slowest = Math.max(slowest, Date.now() - t);
    if (r.code === 0) answered++;
    await new Promise((res) => setTimeout(res, 200));
  }
  return { result: await pending, answered, slowest, took: Date.now() - began };
}
