/** A signal name (TERM) as its number, as supervisord's getAllConfigInfo reports stopsignal. */
import { SIGNALS } from '../config/errors.js';

export function signalNumber(name: string): number {
  return SIGNALS[name] ?? 15;
}
