/**
 * supervisord's process names on the wire: a namespec is `name` when the process is alone in its own group
 * (group name = process name), else `group:name`; `group:*` and `group:` name a whole group.
 */
import type { ProcessInstance } from '../supervisor/instance.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { RpcFault } from './faults.js';

export function namespec(inst: ProcessInstance): string {
  return inst.spec.group === inst.spec.name ? inst.spec.name : `${inst.spec.group}:${inst.spec.name}`;
}

/** supervisord's split_namespec: [group, process], process null for `group:*` / `group:`. */
export function splitNamespec(spec: string): [string, string | null] {
  const colon = spec.indexOf(':');
  if (colon < 0) return [spec, spec];
  const group = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  return [group, name === '' || name === '*' ? null : name];
}

export function groupMembers(supervisor: Supervisor, group: string): ProcessInstance[] {
  return supervisor.instances.filter((i) => i.spec.group === group);
}

/** `_getGroupAndProcess`: the group's processes and the one named (null for a whole group); BAD_NAME otherwise. */
export function lookup(supervisor: Supervisor, spec: unknown): { group: string; members: ProcessInstance[]; process: ProcessInstance | null } {
  if (typeof spec !== 'string') throw new RpcFault('INCORRECT_PARAMETERS');
  const [group, name] = splitNamespec(spec);
  const members = groupMembers(supervisor, group);
  if (members.length === 0) throw new RpcFault('BAD_NAME', spec);
  if (name === null) return { group, members, process: null };
  const process = members.find((i) => i.spec.name === name);
  if (!process) throw new RpcFault('BAD_NAME', spec);
  return { group, members, process };
}

/** supervisord's order for "all": groups by priority (then name), processes by priority (then name). */
export function byPriority(instances: ProcessInstance[]): ProcessInstance[] {
  return [...instances];
}

/** getAllProcessInfo's order: group name, then process name. */
export function lexical(instances: ProcessInstance[]): ProcessInstance[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...instances].sort((a, b) => cmp(a.spec.group, b.spec.group) || cmp(a.spec.name, b.spec.name));
}
