/**
 * Resource limits wired to a running supervisor: the monitor gets each instance's limits from the model,
 * the launcher asks it where each child goes, the supervisor's 'spawn' events feed it.
 */
import { readFileSync } from 'node:fs';
import type { ProcessSpec } from '../../config/model.js';
import type { ProcessInstance } from '../../supervisor/instance.js';
import type { ProcessLauncher, LaunchedChild } from '../../supervisor/spawn.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { detectCgroups } from './cgroup.js';
import { NO_LIMITS, type ResourceLimits } from './limits.js';
import { LimitMonitor } from './monitor.js';

/** The model's limits of an instance's program (ProgramSpec.health.limits), read when it starts. */
export function modelLimits(supervisor: Supervisor, spec: ProcessSpec): ResourceLimits {
  const l = supervisor.program(spec.program)?.health.limits;
  if (!l) return NO_LIMITS;
  return { memoryBytes: l.memoryBytes, cpu: l.cpu };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export interface LimitsOptions {
  /** RSS sampling period (and the CPU % window), ms. */
  periodMs?: number;
  /** Never use cgroups (PROCINIT_LIMITS=rss): sample RSS. */
  forceRss?: boolean;
}

export function startLimits(
  supervisor: Supervisor,
  launcher: ProcessLauncher,
  log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  opts: LimitsOptions = {},
): LimitMonitor {
  const monitor = new LimitMonitor({
    limitsOf: (spec) => modelLimits(supervisor, spec),
    detect: () =>
      opts.forceRss
        ? { ok: false, reason: 'PROCINIT_LIMITS=rss' }
        : detectCgroups({ mountinfo: readOr('/proc/self/mountinfo'), selfCgroup: readOr('/proc/self/cgroup'), pid: process.pid }),
    log,
    kill: (pid, signal, group) => {
      try {
        process.kill(group ? -pid : pid, `SIG${signal}`);
      } catch {
        /* gone already */
      }
    },
    periodMs: opts.periodMs ?? 1000,
    now: () => Date.now(),
  });
  launcher.placeChildren(monitor.placement);
  supervisor.on('spawn', (inst: ProcessInstance, child: LaunchedChild) => monitor.onSpawn(inst, child));
  return monitor;
}
