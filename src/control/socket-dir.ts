/**
 * Is a folder safe to hold procinit's control socket? Whoever may write to the folder may replace the
 * socket (or plant a symlink where it will be): so the folder must belong to root or to procinit's own
 * user, and must not be writable by group or others, unless it is sticky (/tmp: others cannot remove or
 * rename our files there). Checked before bind, for every file socket.
 */
import { statSync } from 'node:fs';

export interface DirFacts {
  isDirectory: boolean;
  uid: number;
  mode: number;
}

function facts(dir: string): DirFacts | NodeJS.ErrnoException {
  try {
    const st = statSync(dir);
    return { isDirectory: st.isDirectory(), uid: st.uid, mode: st.mode };
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/** Why this folder may not hold the socket, or null when it may. */
export function socketDirProblem(dir: string, uid = process.getuid?.() ?? 0, read: (dir: string) => DirFacts | NodeJS.ErrnoException = facts): string | null {
  const f = read(dir);
  if (f instanceof Error) return f.code === 'ENOENT' ? `its folder ${dir} does not exist` : `cannot check its folder ${dir}: ${f.code ?? f.message}`;
  if (!f.isDirectory) return `${dir} is not a folder`;
  if (f.uid !== 0 && f.uid !== uid) return `its folder ${dir} belongs to uid ${f.uid}, not to root or to procinit's uid ${uid}: that user could replace the socket`;
  const sticky = (f.mode & 0o1000) !== 0;
  if ((f.mode & 0o022) !== 0 && !sticky) {
    return `its folder ${dir} is writable by ${f.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(f.mode & 0o7777).toString(8).padStart(4, '0')}) and not sticky: another user could replace the socket`;
  }
  return null;
}
