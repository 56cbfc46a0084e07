/** [supervisord] user=: giving up root as supervisord's drop_privileges does, with fake system calls. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPrivileges, type PrivilegeCalls } from '../../../src/pid1/privileges.js';

const dir = mkdtempSync(join(tmpdir(), 'privileges-'));
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');
writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
writeFileSync(group, 'app:x:1000:\nextra:x:2000:app,other\nnone:x:3000:other\n');

function calls(uid: number, fail: string | null = null): PrivilegeCalls & { trail: string[] } {
  const trail: string[] = [];
  const call = (name: string) => (v: unknown): void => {
    if (fail === name) throw new Error('EPERM');
    trail.push(`${name}(${JSON.stringify(v)})`);
  };
  return { trail, getuid: () => uid, setgroups: call('setgroups'), setgid: call('setgid'), setuid: call('setuid') };
}

describe('dropPrivileges', () => {
  it('as root: supplementary groups, then the group, then the user', () => {
    const c = calls(0);
    expect(dropPrivileges('app', c, passwd, group)).toEqual({ dropped: true, uid: 1000 });
    expect(c.trail).toEqual(['setgroups([1000,2000])', 'setgid(1000)', 'setuid(1000)']);
  });

  it('already that user: nothing to do', () => {
    const c = calls(1000);
    expect(dropPrivileges('1000', c, passwd, group)).toEqual({ dropped: false, reason: 'same-user', uid: 1000 });
    expect(c.trail).toEqual([]);
  });

  it("refuses in supervisord's words: not root, unknown user, a failing call", () => {
    expect(dropPrivileges('root', calls(1000), passwd, group)).toEqual({ error: "Can't drop privilege as nonroot user" });
    expect(dropPrivileges('ghost', calls(0), passwd, group)).toEqual({ error: "Can't find username 'ghost'" });
    expect(dropPrivileges('4242', calls(0), join(dir, 'missing'), group)).toEqual({ dropped: true, uid: 4242 });
    expect(dropPrivileges('app', calls(0, 'setgid'), passwd, group)).toEqual({ error: 'Could not set group id of effective user' });
    expect(dropPrivileges('app', calls(0, 'setuid'), passwd, group)).toEqual({ error: 'Could not set user id of effective user' });
  });
});
