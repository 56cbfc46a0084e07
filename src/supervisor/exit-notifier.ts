/** The exit of a child, told once to every callback, also to those registered after it. */
import type { ExitInfo } from './exit-info.js';

export function exitNotifier(): { finish(info: ExitInfo): void; onExit(cb: (info: ExitInfo) => void): void } {
  const callbacks: Array<(info: ExitInfo) => void> = [];
  let ended: ExitInfo | null = null;
  return {
    finish(info) {
      if (ended) return;
      ended = info;
      for (const cb of callbacks) cb(info);
    },
    onExit(cb) {
      callbacks.push(cb);
      if (ended) cb(ended);
    },
  };
}
