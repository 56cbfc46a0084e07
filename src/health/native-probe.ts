/**
 * The addon's probeConnect (native/probe.c): connect, send, read the status line in libuv, one callback.
 * Used for http and tcp probes to an IP literal when the addon is there; null otherwise (the net.Socket
 * versions in probe-http.ts / probe-tcp.ts then do the same).
 */
import { loadAddon, PROCINIT_ADDON } from '../pid1/native.js';

type ProbeConnect = (ip: string, port: number, request: string, timeoutMs: number, callback: (status: number, error: string | null) => void) => void;

let cached: ProbeConnect | null | undefined;

function probeConnect(): ProbeConnect | null {
  if (cached !== undefined) return cached;
  try {
    const addon = loadAddon(PROCINIT_ADDON) as { probeConnect?: ProbeConnect } | null;
    cached = typeof addon?.probeConnect === 'function' ? addon.probeConnect : null;
  } catch {
    cached = null;
  }
  return cached;
}

/** Connect to ip:port, send request (latin1; '' for a tcp probe) and read the answer's status; null when not available here. */
export function nativeProbe(host: string, port: number, request: string, timeoutMs: number): Promise<{ status: number; error: string | null }> | null {
  // node:net on the first probe, not at every start
  const fn = (require('node:net') as typeof import('node:net')).isIP(host) ? probeConnect() : null;
  if (!fn) return null;
  return new Promise((resolve) => {
    try {
      fn(host, port, request, timeoutMs, (status, error) => resolve({ status, error }));
    } catch (err) {
      resolve({ status: -1, error: (err as Error).message });
    }
  });
}
