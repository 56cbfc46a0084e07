/**
 * Calling a method by name, as supervisord's `traverse` does: exactly `namespace.method`, no leading
 * underscore, the right number of parameters (else INCORRECT_PARAMETERS); plus the `system.*` namespace
 * (listMethods, methodHelp, methodSignature, multicall).
 */
import { RpcFault } from './faults.js';
import { supervisorMethods, type MethodEntry, type RpcContext } from './supervisor-api.js';

export interface Dispatcher {
  call(method: string, params: unknown[]): Promise<unknown>;
}

/** A fault as multicall reports it inside its result array. */
function faultStruct(err: RpcFault): { faultCode: number; faultString: string } {
  return { faultCode: err.code, faultString: err.text };
}

export function createDispatcher(ctx: RpcContext, onInternalError: (method: string, err: unknown) => void): Dispatcher {
  const methods = new Map<string, MethodEntry>(supervisorMethods());
  const system = (name: string, signature: string[], help: string, fn: (p: unknown[]) => unknown): void => {
    methods.set(`system.${name}`, { fn: (_ctx, p) => fn(p), signature, help });
  };
  const entry = (name: unknown): MethodEntry => {
    const e = typeof name === 'string' ? methods.get(name) : undefined;
    if (!e) throw new RpcFault('SIGNATURE_UNSUPPORTED');
    return e;
  };
  system('listMethods', ['array'], 'Return an array listing the available method names', () => [...methods.keys()].sort());
  system('methodHelp', ['string', 'string'], "Return a string showing the method's documentation", (p) => entry(p[0]).help);
  system('methodSignature', ['array', 'string'], "Return an array describing the method signature in the form [rtype, ptype, ptype...]", (p) => entry(p[0]).signature);
  system('multicall', ['array', 'array'], 'Process an array of calls, and return an array of results.', async (p) => {
    const calls = p[0];
    if (!Array.isArray(calls)) throw new RpcFault('INCORRECT_PARAMETERS');
    const results: unknown[] = [];
    for (const c of calls) {
      try {
        const name = c && typeof c === 'object' ? (c as Record<string, unknown>).methodName : undefined;
        const params = c && typeof c === 'object' ? ((c as Record<string, unknown>).params ?? []) : [];
        if (typeof name !== 'string') throw new RpcFault('INCORRECT_PARAMETERS', 'No methodName');
        if (name === 'system.multicall') throw new RpcFault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden');
        results.push(await call(name, Array.isArray(params) ? params : [params]));
      } catch (err) {
        if (err instanceof RpcFault) results.push(faultStruct(err));
        else {
          onInternalError('system.multicall', err);
          results.push({ faultCode: 30, faultString: `FAILED: ${(err as Error)?.message ?? String(err)}` });
        }
      }
    }
    return results;
  });

  async function call(method: string, params: unknown[]): Promise<unknown> {
    const parts = method.split('.');
    if (parts.length !== 2 || parts[1].startsWith('_')) throw new RpcFault('UNKNOWN_METHOD');
    const e = methods.get(method);
    if (!e) throw new RpcFault('UNKNOWN_METHOD');
    const max = e.signature.length - 1;
    const min = max - (e.optional ?? 0);
    if (params.length < min || params.length > max) throw new RpcFault('INCORRECT_PARAMETERS');
    return e.fn(ctx, params);
  }
  return { call };
}
