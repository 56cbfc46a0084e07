/**
 * Run a program as another user with that user's supplementary groups, as supervisord does.
 * libuv drops every supplementary group when it changes uid/gid (setgroups(0)), so for a user that has
 * more groups procinit starts itself as a tiny shim (`procinit __exec-as UID GID GROUPS -- FILE ARGS`)
 * that sets groups, gid and uid, then replaces itself with the program (execvp in the native addon).
 * The program keeps the shim's pid, so supervision, signals and process groups are unchanged.
 */
import { loadAddon, isSea, PROCINIT_ADDON } from '../pid1/native.js';

export const EXEC_AS_VERB = '__exec-as';

/** The command line that starts the shim for this program. */
export function execAsCommand(ids: { uid: number; gid: number; groups: number[] }, file: string, args: string[]): { file: string; args: string[] } {
  const self = isSea() ? [] : [process.argv[1]];
  return { file: process.execPath, args: [...self, EXEC_AS_VERB, String(ids.uid), String(ids.gid), ids.groups.join(','), '--', file, ...args] };
}

/** The shim itself: never returns on success. */
export function execAs(argv: string[]): number {
  const dashdash = argv.indexOf('--');
  const [uid, gid, groups] = argv.slice(0, 3);
  const cmd = argv.slice(dashdash + 1);
  if (dashdash !== 3 || cmd.length === 0) {
    process.stderr.write('procinit: __exec-as UID GID GROUPS -- FILE ARGS...\n');
    return 2;
  }
  const addon = loadAddon(PROCINIT_ADDON) as { execvp(file: string, argv: string[]): never };
  try {
    process.setgroups!(groups.split(',').filter(Boolean).map(Number));
    process.setgid!(Number(gid));
    process.setuid!(Number(uid));
    addon.execvp(cmd[0], cmd);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`procinit: cannot run '${cmd[0]}' as uid ${uid}: ${e.message}\n`);
    return /ENOENT/.test(e.message) ? 127 : 126;
  }
  return 1;
}
