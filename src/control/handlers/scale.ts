/** `scale TYPE=N...`: change the number of instances of programs at run time (Supervisor.scale). */
import type { Supervisor } from '../../supervisor/supervisor.js';
import { RequestError } from '../protocol.js';
import { knownNames } from './args.js';

/** More instances than this of one program is a typo, not a formation. */
export const MAX_SCALE = 1000;

export interface ScaleChange {
  name: string;
  from: number;
  to: number;
  started: string[];
  stopped: string[];
}

export interface ScaleResult {
  programs: ScaleChange[];
}

export type ScaleOne = (program: string, count: number) => Promise<{ started: string[]; stopped: string[] }>;

/** Check {"counts":{"web":2}} (or "all") against the programs; returns [program, count] pairs. */
export function scaleTargets(supervisor: Supervisor, raw: unknown): Array<[string, number]> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new RequestError('invalid_args', '"counts" must be an object like {"web":2,"worker":0}');
  }
  const counts = raw as Record<string, unknown>;
  const programs = supervisor.run.programs.map((p) => p.name);
  const out = new Map<string, number>();
  for (const [name, n] of Object.entries(counts)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SCALE) {
      throw new RequestError('invalid_args', `${name}: the count must be a whole number from 0 to ${MAX_SCALE}`);
    }
    if (name === 'all') continue;
    if (!programs.includes(name)) throw new RequestError('no_such_process', `no such process type '${name}' (known: ${knownNames(supervisor)})`);
    out.set(name, n);
  }
  const all = counts.all;
  if (typeof all === 'number') for (const p of programs) if (!out.has(p)) out.set(p, all);
  return programs.filter((p) => out.has(p)).map((p) => [p, out.get(p)!]);
}

export function scaleHandler(supervisor: Supervisor, scaleOne: ScaleOne) {
  return async (args: Record<string, unknown>): Promise<ScaleResult> => {
    const targets = scaleTargets(supervisor, args.counts);
    if (supervisor.stopping) throw new RequestError('shutting_down', 'procinit is shutting down');
    const changes: ScaleChange[] = [];
    for (const [name, to] of targets) {
      const from = supervisor.instances.filter((i) => i.spec.program === name).length;
      const { started, stopped } = await scaleOne(name, to);
      changes.push({ name, from, to, started, stopped });
    }
    return { programs: changes };
  };
}
