/**
 * How procinit ends on an error, for both entries (main.ts and client-entry.ts): one line for errors a user
 * can act on (exit 2 for usage and config errors), never a stack trace unless PROCINIT_DEBUG asks for it.
 */
import { ConfigError, oneLine, UsageError } from '../config/errors.js';
import { NativeLoadError } from '../pid1/native.js';
import { ControlSocketError } from '../control/socket-path.js';
import { RpcBindError } from '../rpc/bind-error.js';

/** One line for errors a user can act on; a short line plus the stack only for internal errors. */
export function reportError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError) {
    const hint = err instanceof UsageError ? " (see 'procinit --help')" : '';
    process.stderr.write(`procinit: ${oneLine(err.message)}${hint}\n`);
    return 2;
  }
  if (err instanceof NativeLoadError || err instanceof ControlSocketError || err instanceof RpcBindError) {
    process.stderr.write(`procinit: ${oneLine(err.message)}\n`);
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`procinit: internal error: ${oneLine(e?.message ?? String(err))}\n`);
  if (process.env.PROCINIT_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return 1;
}
