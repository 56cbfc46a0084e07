/**
 * What the supervisord reader asks of the machine it runs on: does a directory exist, does a user exist,
 * what is a user's home, what is the host's name. supervisord refuses a config whose log directories or users
 * are missing on the host; procinit only warns (the config may be checked outside the image it is meant for,
 * and an image without the supervisor package has no /var/log/supervisor), so these answers never make a
 * config invalid. Tests pass their own view.
 */
import { isDirectoryPath } from './fs-answers.js';
import { readRegularFile } from './text-file.js';

export interface HostView {
  isDirectory(path: string): boolean;
  /** A user name or numeric uid known to the passwd database; null when it cannot be told. */
  userExists(nameOrUid: string): boolean | null;
  /** Home directory of a user (for `~user`), or null when unknown. */
  homeOf(user: string): string | null;
  hostname(): string;
}

interface PasswdEntry {
  name: string;
  uid: string;
  home: string;
}

function readPasswd(): PasswdEntry[] | null {
  try {
    return readRegularFile('/etc/passwd')
      .toString('utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'))
      .filter((f) => f.length >= 6)
      .map((f) => ({ name: f[0], uid: f[2], home: f[5] }));
  } catch {
    return null;
  }
}

/** The real machine: the file system, /etc/passwd, os.hostname(). */
export function realHost(): HostView {
  let passwd: PasswdEntry[] | null | undefined;
  const entries = (): PasswdEntry[] | null => (passwd === undefined ? (passwd = readPasswd()) : passwd);
  return {
    isDirectory(path) {
      return isDirectoryPath(path); // under a reload, answered off the event loop (fs-answers.ts)
    },
    userExists(nameOrUid) {
      const list = entries();
      if (list === null) return null;
      const numeric = /^\d+$/.test(nameOrUid);
      return list.some((e) => (numeric ? e.uid === String(Number(nameOrUid)) : e.name === nameOrUid));
    },
    homeOf(user) {
      return entries()?.find((e) => e.name === user)?.home ?? null;
    },
    // node:os only when asked (a supervisord config's %(host_node_name)s): a start does not load it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    hostname: () => (require('node:os') as typeof import('node:os')).hostname(),
  };
}
