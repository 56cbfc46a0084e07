/**
 * Writing an event to a listener's stdin. The socket's write goes through the whole Writable machinery
 * (a request object, an after-write callback on the next tick) for what is one write(2) of a few hundred
 * bytes to a listener that is waiting for it: when nothing is queued in the socket, the bytes are written at
 * once to its descriptor (non-blocking: libuv made it so), and only what the pipe does not take (EAGAIN,
 * a short write) goes through the socket, which then keeps the order until its queue is empty.
 */
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** The descriptor under a net.Socket (its libuv handle's), or -1. */
function descriptor(stream: Writable): number {
  const fd = (stream as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

export function writeEvent(stdin: Writable, data: Buffer): void {
  if (stdin.destroyed) return;
  const fd = stdin.writableLength === 0 ? descriptor(stdin) : -1;
  if (fd >= 0) {
    let n = 0;
    try {
      n = writeSync(fd, data);
    } catch {
      // EAGAIN (the pipe is full), or EPIPE (the listener is gone): the socket's way, as before (its EPIPE is
      // an 'error' the spawner ignores, the event stays in flight and comes back when the exit is seen)
    }
    if (n === data.length) return;
    data = data.subarray(n);
  }
  stdin.write(data);
}
