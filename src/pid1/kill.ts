/**
 * kill(2) that reports a process or group that is gone (ESRCH) as a value, not as an exception. A stop asks
 * about and kills process groups that are mostly gone already, and process.kill builds an exception (its
 * stack and message) for each: about 40 at a 20-program shutdown. Through the addon's kill when it is
 * loaded (it always is once the reaper runs), else process.kill.
 */
import type { constants as OsConstants } from 'node:os';
import { loadedAddon, PROCINIT_ADDON } from './native.js';

type NativeKill = (pid: number, signo: number) => number;

/** node:os, required on the first kill: a start does not need it (loading it is about 0.2 ms). */
let os: typeof OsConstants | null = null;
function osConstants(): typeof OsConstants {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (os ??= (require('node:os') as typeof import('node:os')).constants);
}

/** kill(target, SIG`signal`) ('0' only asks whether it exists): null when sent, else 'ESRCH', 'EPERM' or 'other'. */
export function killQuietly(target: number, signal: string): 'ESRCH' | 'EPERM' | 'other' | null {
  const native = (loadedAddon(PROCINIT_ADDON) as { kill?: NativeKill } | null)?.kill;
  const constants = osConstants();
  const signo = signal === '0' ? 0 : constants.signals[`SIG${signal}` as keyof typeof constants.signals];
  if (typeof native === 'function' && signo !== undefined) {
    const err = native(target, signo);
    const { ESRCH, EPERM } = constants.errno;
    return err === 0 ? null : err === ESRCH ? 'ESRCH' : err === EPERM ? 'EPERM' : 'other';
  }
  try {
    process.kill(target, signal === '0' ? 0 : (`SIG${signal}` as NodeJS.Signals));
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === 'EPERM' ? code : 'other';
  }
}
