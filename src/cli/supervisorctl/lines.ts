/**
 * Typed lines for supervisorctl's prompt and for `fg`, from one readline interface: lines are queued as they
 * come, and a reader that gives up (fg on Ctrl-C) leaves the next line to the next reader (the prompt), so
 * no typed line is lost or goes to the wrong place.
 */
import type { Interface } from 'node:readline';

export class LineQueue {
  private readonly queue: string[] = [];
  private waiters: Array<(line: string | null) => void> = [];
  private ended = false;

  constructor(rl: Interface) {
    rl.on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line);
      else this.queue.push(line);
    });
    rl.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  /** The next line (without its newline), or null at end of input. */
  next(): Promise<string | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Give up the reads waiting now: the lines they would have got stay for the next reader. */
  cancel(): void {
    this.waiters = [];
  }
}
