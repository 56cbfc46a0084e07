/**
 * NOTIFY_SOCKET for sd_notify programs: one AF_UNIX datagram socket per instance start, in a private
 * folder of procinit's (mode 0711: programs running as other users can reach their socket but not list
 * the others), bound and watched by the addon (native/notify.c), closed and removed when the instance stops.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

interface NotifyAddon {
  notifyBind(path: string): number;
  notifyWatch(fd: number, callback: (messages: string[]) => void): unknown;
  notifyClose(handle: unknown): void;
}

export interface NotifySocket {
  path: string;
  close(): void;
}

export class NotifySockets {
  private dir: string | null = null;
  private next = 0;
  private addon: NotifyAddon | null | undefined;
  private reported = false;

  /** onFault: told once (the first time) that a socket or the folder could not be removed. */
  constructor(private readonly onFault: (message: string) => void = () => {}) {}

  /**
   * Remove a socket or the folder; a fault (a program replaced its socket with a folder, a read-only or
   * vanished file system) is reported once and never thrown: it would come out of PID 1's exit handling.
   */
  private remove(path: string, recursive: boolean): void {
    try {
      rmSync(path, { force: true, recursive });
    } catch (err) {
      if (this.reported) return;
      this.reported = true;
      this.onFault(`cannot remove ${path} (${(err as Error).message}); it is left behind (reported once)`);
    }
  }

  /** Bind a new socket; messages go to onMessages. Throws an Error with a reason when it cannot. */
  open(onMessages: (messages: string[]) => void): NotifySocket {
    const addon = this.loadAddon();
    if (!addon) throw new Error('sd_notify needs procinit\'s native addon, which is not available');
    this.dir ??= this.makeDir();
    const path = join(this.dir, `${++this.next}.sock`);
    const fd = addon.notifyBind(path);
    const handle = addon.notifyWatch(fd, (messages) => {
      try {
        onMessages(messages);
      } catch {
        /* a handler fault must never reach the addon's callback */
      }
    });
    let open = true;
    return {
      path,
      close: () => {
        if (!open) return;
        open = false;
        addon.notifyClose(handle);
        this.remove(path, false);
      },
    };
  }

  /** Remove the folder (at the end of the run). */
  dispose(): void {
    if (this.dir) this.remove(this.dir, true);
    this.dir = null;
  }

  private makeDir(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const base = process.env.XDG_RUNTIME_DIR || (require('node:os') as typeof import('node:os')).tmpdir();
    const dir = mkdtempSync(join(base, 'procinit-notify-'));
    chmodSync(dir, 0o711);
    return dir;
  }

  private loadAddon(): NotifyAddon | null {
    if (this.addon !== undefined) return this.addon;
    try {
      const a = loadAddon(PROCINIT_ADDON) as Partial<NotifyAddon> | null;
      this.addon = a && typeof a.notifyBind === 'function' ? (a as NotifyAddon) : null;
    } catch {
      this.addon = null;
    }
    return this.addon;
  }
}
