/**
 * Where procinit's own cgroups are, from /proc/self/cgroup and /proc/self/mountinfo (pure: the texts are
 * passed in, so a fake tree is only a different mountinfo). cgroup v1 has a hierarchy per controller, each
 * mounted somewhere (usually /sys/fs/cgroup/memory); cgroup v2 one unified hierarchy. A hybrid host (ours:
 * v1 memory and cpu, a v2 hierarchy without controllers) uses v1 for a controller v2 does not offer.
 */
import { posix } from 'node:path';

export interface CgroupMount {
  /** Where it is mounted. */
  mountPoint: string;
  /** Which cgroup of the hierarchy the mount shows at mountPoint (a container sees its own as "/"). */
  root: string;
  version: 1 | 2;
  /** v1: the controllers of this hierarchy (memory, cpu, cpuacct...). */
  controllers: string[];
}

/**
 * Mounts of type cgroup/cgroup2 in a mountinfo text, without those hidden by a later mount on the same
 * place (`docker run -v /sys/fs/cgroup/memory:/sys/fs/cgroup/memory` stacks the host's hierarchy over the
 * container's own: only the top one is reachable at that path).
 */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const all = allCgroupMounts(mountinfo);
  return all.filter((m, i) => !all.slice(i + 1).some((later) => later.mountPoint === m.mountPoint));
}

function allCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const [fstype, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({
      root: unescape(left[3] ?? '/'),
      mountPoint: unescape(left[4] ?? ''),
      version: fstype === 'cgroup2' ? 2 : 1,
      controllers: fstype === 'cgroup2' ? [] : superOptions.split(',').filter((o) => !['rw', 'ro'].includes(o) && !o.includes('=')),
    });
  }
  return out;
}

/** /proc/self/cgroup: hierarchy id:controllers:path. "0::/path" is the v2 line. */
export function selfCgroups(text: string): Array<{ controllers: string[]; path: string; v2: boolean }> {
  return text
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => {
      const first = l.indexOf(':');
      const second = l.indexOf(':', first + 1);
      const id = l.slice(0, first);
      const controllers = l.slice(first + 1, second);
      return { controllers: controllers === '' ? [] : controllers.split(','), path: l.slice(second + 1), v2: id === '0' && controllers === '' };
    });
}

/** The directory of a cgroup path under a mount that shows `root`; null when the mount does not show it. */
function dirUnder(mount: CgroupMount, path: string): string | null {
  const rel = posix.relative(mount.root, path);
  if (rel.startsWith('..')) return null;
  return posix.join(mount.mountPoint, rel);
}

/** procinit's own cgroup directory for a v1 controller, or null when that controller is not mounted. */
export function v1Dir(mountinfo: string, selfCgroup: string, controller: string): string | null {
  const own = selfCgroups(selfCgroup).find((c) => !c.v2 && c.controllers.includes(controller));
  if (!own) return null;
  for (const m of cgroupMounts(mountinfo)) {
    if (m.version !== 1 || !m.controllers.includes(controller)) continue;
    const dir = dirUnder(m, own.path);
    if (dir) return dir;
  }
  return null;
}

/** procinit's own cgroup directory in the v2 hierarchy, or null when there is none. */
export function v2Dir(mountinfo: string, selfCgroup: string): string | null {
  const own = selfCgroups(selfCgroup).find((c) => c.v2);
  if (!own) return null;
  for (const m of cgroupMounts(mountinfo)) {
    if (m.version !== 2) continue;
    const dir = dirUnder(m, own.path);
    if (dir) return dir;
  }
  return null;
}
