/**
 * `start`, `stop`, `restart`: act on the selected processes and answer once each has reached its result,
 * as supervisorctl does: start waits for RUNNING (after startsecs; through BACKOFF retries) or FATAL,
 * stop waits for the process to be gone (its stop signal, SIGKILL after stopwaitsecs).
 */
import { describeExit } from '../../supervisor/exit-info.js';
import type { ProcessInstance } from '../../supervisor/instance.js';
import type { ProcessState } from '../../supervisor/states.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { RequestError } from '../protocol.js';
import { requireSelectors, selectOrThrow, stringList } from './args.js';

/** One line of the answer (and of `start --json`). */
export interface ActionResult {
  name: string;
  ok: boolean;
  state: ProcessState;
  message: string;
}

export interface ActionsResult {
  results: ActionResult[];
}

function result(inst: ProcessInstance, ok: boolean, message: string): ActionResult {
  return { name: inst.name, ok, state: inst.state, message };
}

/** Start one process and wait for RUNNING or a failure. */
export function startAndWait(supervisor: Supervisor, inst: ProcessInstance): Promise<ActionResult> {
  return new Promise((resolve) => {
    if (inst.state === 'RUNNING') return resolve(result(inst, true, 'already running'));
    let done = false;
    const finish = (r: ActionResult): void => {
      if (done) return;
      done = true;
      supervisor.off('state', onState);
      supervisor.off('shutdown', onShutdown);
      resolve(r);
    };
    const settle = (to: ProcessState): void => {
      if (to === 'RUNNING') finish(result(inst, true, 'started'));
      else if (to === 'FATAL') finish(result(inst, false, `could not start: ${inst.lastExit ? describeExit(inst.lastExit) : 'spawn error'}`));
      else if (to === 'STOPPED') finish(result(inst, false, 'stopped before it was running'));
      else if (to === 'EXITED') finish(result(inst, false, `${inst.lastExit ? describeExit(inst.lastExit) : 'exited'} while starting`));
    };
    const onState = (i: ProcessInstance, _from: ProcessState, to: ProcessState): void => {
      if (i === inst) settle(to);
    };
    const onShutdown = (): void => finish(result(inst, false, 'procinit is shutting down'));
    supervisor.on('state', onState);
    supervisor.on('shutdown', onShutdown);
    const go = (): void => {
      if (done) return;
      if (supervisor.stopping) return onShutdown();
      inst.start();
      if (inst.state !== 'STARTING' && inst.state !== 'BACKOFF') settle(inst.state);
    };
    if (inst.state === 'STOPPING') void inst.stop().then(go);
    else if (inst.state === 'STARTING') return;
    else go();
  });
}

/** Stop one process and wait until it is gone. */
export async function stopAndWait(inst: ProcessInstance): Promise<ActionResult> {
  const alive = inst.state === 'STARTING' || inst.state === 'RUNNING' || inst.state === 'STOPPING' || inst.state === 'BACKOFF';
  const pending = inst.restartPending;
  if (!alive && !pending) return result(inst, true, 'not running');
  await inst.stop();
  if (inst.state !== 'STOPPED' && inst.state !== 'EXITED' && inst.state !== 'FATAL') {
    return result(inst, false, `still ${inst.state}`);
  }
  return result(inst, true, inst.killed ? `stopped (SIGKILL after ${inst.spec.stopwaitsecs}s)` : 'stopped');
}

function refuseWhileStopping(supervisor: Supervisor): void {
  if (supervisor.stopping) throw new RequestError('shutting_down', 'procinit is shutting down: nothing is started any more');
}

export function startHandler(supervisor: Supervisor) {
  return async (args: Record<string, unknown>): Promise<ActionsResult> => {
    const names = stringList(args, 'names');
    requireSelectors(names, 'start');
    const found = selectOrThrow(supervisor, names);
    refuseWhileStopping(supervisor);
    return { results: await Promise.all(found.map((i) => startAndWait(supervisor, i))) };
  };
}

export function stopHandler(supervisor: Supervisor) {
  return async (args: Record<string, unknown>): Promise<ActionsResult> => {
    const names = stringList(args, 'names');
    requireSelectors(names, 'stop');
    const found = selectOrThrow(supervisor, names);
    return { results: await Promise.all(found.map((i) => stopAndWait(i))) };
  };
}

/** Stop every selected process, then start them all (supervisorctl's restart). */
export function restartHandler(supervisor: Supervisor) {
  return async (args: Record<string, unknown>): Promise<ActionsResult> => {
    const names = stringList(args, 'names');
    requireSelectors(names, 'restart');
    const found = selectOrThrow(supervisor, names);
    refuseWhileStopping(supervisor);
    const stopped = await Promise.all(found.map((i) => stopAndWait(i)));
    const results = await Promise.all(
      found.map(async (inst, k) => {
        if (!stopped[k].ok) return stopped[k];
        const r = await startAndWait(supervisor, inst);
        return r.ok && r.message === 'started' ? { ...r, message: 'restarted' } : r;
      }),
    );
    return { results };
  };
}
