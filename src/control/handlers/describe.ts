/**
 * `describe`: one process type (program) as `drycc pts:describe` shows it: command, instances with their
 * status, and the health model (checks, readiness notification, depends_on, limits, autoscale).
 */
import type { HealthSpec } from '../../config/model.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { RequestError } from '../protocol.js';
import { knownNames } from './args.js';
import { processStatus, type ProcessStatus, type ResourceSource } from './status.js';

export interface DescribeResult {
  name: string;
  group: string;
  command: string;
  instances: ProcessStatus[];
  health: HealthSpec;
}

export function describeHandler(supervisor: Supervisor, resources: ResourceSource | null = null) {
  return async (args: Record<string, unknown>): Promise<DescribeResult> => {
    const name = args.name;
    if (typeof name !== 'string' || name === '') throw new RequestError('invalid_args', '"name" must be a process type or program name');
    const program = supervisor.program(name);
    if (!program) throw new RequestError('no_such_process', `no such process type '${name}' (known: ${knownNames(supervisor)})`);
    const now = Date.now();
    const instances = supervisor.instances.filter((i) => i.spec.program === name);
    return {
      name: program.name,
      group: program.group,
      command: instances[0]?.spec.command ?? program.instantiate(program.firstInstance).command,
      instances: instances.map((i) => processStatus(i, now, resources, supervisor.waitingFor(i))),
      health: program.health,
    };
  };
}
