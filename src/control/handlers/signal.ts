/** `signal SIG NAME...`: send a signal to each selected process (its group where the config says so). */
import { normalizeSignal } from '../../config/errors.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { RequestError } from '../protocol.js';
import { requireSelectors, requiredString, selectOrThrow, stringList } from './args.js';
import type { ActionsResult } from './start-stop.js';

export function signalHandler(supervisor: Supervisor) {
  return async (args: Record<string, unknown>): Promise<ActionsResult> => {
    const raw = requiredString(args, 'signal');
    const signal = normalizeSignal(raw);
    if (signal === null) throw new RequestError('invalid_args', `unknown signal '${raw}' (a name like TERM, SIGUSR1 or a number)`);
    const names = stringList(args, 'names');
    requireSelectors(names, 'signal');
    const found = selectOrThrow(supervisor, names);
    return {
      results: found.map((inst) => {
        const sent = inst.sendSignal(signal);
        return { name: inst.name, ok: sent, state: inst.state, message: sent ? `sent SIG${signal}` : 'not running' };
      }),
    };
  };
}
