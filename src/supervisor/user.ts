/** Resolve supervisord's `user=` (name or uid) from /etc/passwd and /etc/group. */
import { readRegularFile } from '../config/text-file.js';

export interface UserIds {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

export class UserError extends Error {
  override readonly name = 'UserError';
}

export function resolveUser(user: string, passwd = '/etc/passwd'): UserIds {
  let text = '';
  try {
    text = readRegularFile(passwd).toString('utf8');
  } catch {
    /* no passwd file: only numeric ids work */
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    if (f[0] === user || f[2] === user) return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  if (/^\d+$/.test(user)) return { name: user, uid: Number(user), gid: Number(user), home: '/' };
  throw new UserError(`no such user '${user}'`);
}

/** Groups that list this user as a member in /etc/group (supervisord gives a program these too). */
export function supplementaryGroups(name: string, primaryGid: number, groupFile = '/etc/group'): number[] {
  let text = '';
  try {
    text = readRegularFile(groupFile).toString('utf8');
  } catch {
    return [primaryGid];
  }
  const gids = new Set<number>([primaryGid]);
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    if (f[3].split(',').map((m) => m.trim()).includes(name)) gids.add(Number(f[2]));
  }
  return [...gids];
}
