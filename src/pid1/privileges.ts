/**
 * `[supervisord] user=`: procinit gives up root before it opens its log, its socket or starts a program,
 * as supervisord's set_uid_or_exit / drop_privileges do (supplementary groups, gid, then uid). A result,
 * never a throw: the caller turns a refusal into one line and exit 2, so that programs never run as root
 * when the config asked for another user.
 */
import { resolveUser, supplementaryGroups, UserError } from '../supervisor/user.js';

export type DropResult = { dropped: false; reason: 'same-user'; uid: number } | { dropped: true; uid: number } | { error: string };

export interface PrivilegeCalls {
  getuid(): number;
  setgroups(groups: number[]): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
}

const realCalls: PrivilegeCalls = {
  getuid: () => process.getuid?.() ?? 0,
  setgroups: (g) => process.setgroups?.(g),
  setgid: (g) => process.setgid?.(g),
  setuid: (u) => process.setuid?.(u),
};

export function dropPrivileges(user: string, calls: PrivilegeCalls = realCalls, passwd?: string, groupFile?: string): DropResult {
  let ids;
  try {
    ids = resolveUser(user, passwd);
  } catch (err) {
    if (err instanceof UserError) return { error: /^\d+$/.test(user) ? `Can't find uid ${user}` : `Can't find username '${user}'` };
    throw err;
  }
  const current = calls.getuid();
  if (current === ids.uid) return { dropped: false, reason: 'same-user', uid: ids.uid };
  if (current !== 0) return { error: "Can't drop privilege as nonroot user" };
  try {
    calls.setgroups(supplementaryGroups(ids.name, ids.gid, groupFile));
  } catch {
    return { error: 'Could not set groups of effective user' };
  }
  try {
    calls.setgid(ids.gid);
  } catch {
    return { error: 'Could not set group id of effective user' };
  }
  try {
    calls.setuid(ids.uid);
  } catch {
    return { error: 'Could not set user id of effective user' };
  }
  return { dropped: true, uid: ids.uid };
}
