/**
 * When the whole run ends, and with which exit code (container-native semantics, documented in README):
 * - Procfile: a process that exits and is neither auto-restarted nor allowed to die ends the run with its code.
 * - supervisord: a FATAL program ends the run (unless `[procinit] on_fatal = keep`).
 * - Any format: once no process is alive or about to restart, and none was stopped by request, the run ends.
 */
import type { RunSpec } from '../config/model.js';
import { exitStatus, type ExitInfo } from './exit-info.js';
import type { ProcessInstance } from './instance.js';

export type RunDecision = { end: false } | { end: true; code: number; reason: string };

const CONTINUE: RunDecision = { end: false };

export function decideOnExit(inst: ProcessInstance, info: ExitInfo, willRestart: boolean): RunDecision {
  if (willRestart || !inst.spec.exitEndsRun) return CONTINUE;
  // a one-shot task others wait on (a migration): its success is its job done, not the end of the run
  if (inst.completesForOthers && info.code === 0) return CONTINUE;
  return { end: true, code: exitStatus(info), reason: `${inst.name} ended` };
}

export function decideOnFatal(run: RunSpec, inst: ProcessInstance): RunDecision {
  if (run.onFatal === 'keep') return CONTINUE;
  const code = inst.lastExit ? exitStatus(inst.lastExit) : 1;
  return { end: true, code: code === 0 ? 1 : code, reason: `${inst.name} is FATAL` };
}

/** Nothing left to supervise: every instance ended by itself and nothing will restart. */
export function decideWhenIdle(instances: readonly ProcessInstance[], run: RunSpec | null = null): RunDecision {
  if (instances.length === 0 || run?.onIdle === 'keep') return CONTINUE;
  const settled = instances.every((i) => (i.state === 'EXITED' && !i.restartPending) || i.state === 'FATAL');
  if (!settled) return CONTINUE;
  const failed = instances.find((i) => i.state === 'FATAL' || (i.lastExit !== null && exitStatus(i.lastExit) !== 0 && !i.spec.exitcodes.includes(i.lastExit.code ?? -1)));
  return { end: true, code: failed?.lastExit ? exitStatus(failed.lastExit) || 1 : 0, reason: 'every process has ended' };
}
