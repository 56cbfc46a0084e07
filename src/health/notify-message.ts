/**
 * sd_notify's datagrams: newline-separated KEY=VALUE assignments (sd_notify(3)). procinit acts on
 * READY=1, RELOADING=1, STOPPING=1, STATUS=..., WATCHDOG=1, WATCHDOG=trigger and WATCHDOG_USEC=...;
 * everything else (MAINPID=, ERRNO=, EXTEND_TIMEOUT_USEC=, FDSTORE=, ...) is ignored.
 */
export interface NotifyMessage {
  ready?: boolean;
  status?: string;
  watchdogPing?: boolean;
  watchdogTrigger?: boolean;
  /** A new watchdog interval in ms (WATCHDOG_USEC=). */
  watchdogMs?: number;
}

const MAX_STATUS = 200;

export function parseNotify(datagram: string): NotifyMessage {
  const m: NotifyMessage = {};
  for (const line of datagram.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'READY' && value === '1') m.ready = true;
    else if ((key === 'RELOADING' || key === 'STOPPING') && value === '1') m.ready = false;
    else if (key === 'STATUS') m.status = value.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, MAX_STATUS);
    else if (key === 'WATCHDOG' && value === '1') m.watchdogPing = true;
    else if (key === 'WATCHDOG' && value === 'trigger') m.watchdogTrigger = true;
    else if (key === 'WATCHDOG_USEC' && /^\d{1,15}$/.test(value) && Number(value) > 0) m.watchdogMs = Math.max(1, Math.round(Number(value) / 1000));
  }
  return m;
}
