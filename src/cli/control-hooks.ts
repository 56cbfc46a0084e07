/**
 * The seam between the running supervisor and the control socket (src/control/). Until the socket
 * server exists this starts nothing.
 */
import type { Runtime } from './up.js';

export interface ControlHandle {
  close(): Promise<void>;
  reload?: () => Promise<void>;
}

export async function startControl(_runtime: Runtime): Promise<ControlHandle | null> {
  return null;
}
