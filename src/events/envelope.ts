/** The header line and payload a listener reads (supervisor/process.py EventListenerPool._eventEnvelope). */
import type { QueuedEvent } from './bus.js';
import { pyLen } from './event.js';

/** `ver:3.0 server:supervisor serial:N pool:x poolserial:N eventname:X len:N\n` + payload; len counts code points. */
export function envelope(q: QueuedEvent, pool: string, identifier: string): string {
  const p = q.event.payload;
  return `ver:3.0 server:${identifier} serial:${q.serial} pool:${pool} poolserial:${q.poolSerials.get(pool)} eventname:${q.event.type} len:${pyLen(p)}\n${p}`;
}
