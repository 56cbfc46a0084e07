/**
 * What both control clients share, without Node's net: the errors, the hello's check and the failure
 * messages. ControlClient (client.ts, net) and NativeControl (native-client.ts, the addon) word every
 * failure with these, so a one-shot verb ends the same on either path.
 */
import { helloProblem, type ErrorBody, type ErrorCode, type Hello } from './protocol.js';

/** Answers can be large (a status of many processes, a long log line); bound them all the same. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** No procinit answers on the socket (missing, refused, timed out, hung up): exit 1. */
export class ControlUnavailable extends Error {
  override readonly name = 'ControlUnavailable';
}

/** procinit answered with an error. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The error an answer carries, as a RemoteError; null for an ok answer. */
export function remoteError(msg: Record<string, unknown>): RemoteError | null {
  if (!msg.error) return null;
  const e = msg.error as ErrorBody;
  return new RemoteError(e.code, e.message);
}

/** A line as a JSON object, or null when it is not JSON (ignored after the hello). */
export function parseLine(line: Buffer): Record<string, unknown> | null {
  try {
    return JSON.parse(line.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The first line procinit sends: its hello, or the error the client fails with (not JSON, refused, version). */
export function readHello(line: Buffer, path: string): Hello | Error {
  const msg = parseLine(line);
  if (msg === null) return new ControlUnavailable(`${path} does not speak procinit's protocol`);
  const refused = msg.error as Partial<ErrorBody> | undefined;
  if (refused && typeof refused.message === 'string') return new ControlUnavailable(`procinit on ${path} refused the connection: ${refused.message}`);
  const problem = helloProblem(msg, path);
  if (problem) return problem.versionMismatch ? new RemoteError('unsupported_version', problem.message) : new ControlUnavailable(problem.message);
  return msg as unknown as Hello;
}

/** The hello did not come within timeoutMs. */
export function helloTimeout(path: string, timeoutMs: number): ControlUnavailable {
  return new ControlUnavailable(`no procinit answering on ${path} (no answer within ${timeoutMs / 1000}s)`);
}

/** procinit closed the connection before the hello. */
export function closedBeforeHello(path: string): ControlUnavailable {
  return new ControlUnavailable(`no procinit answering on ${path} (it closed the connection)`);
}

/** procinit closed the connection after the hello (an answer is lost). */
export function closedAfterHello(path: string): ControlUnavailable {
  return new ControlUnavailable(`procinit closed the connection on ${path}`);
}

/**
 * After the hello a request may take long (stop waits for stopwaitsecs, start for startsecs), so there is
 * no deadline for its answer; instead a silent server is asked `hello` on the same connection (answered at
 * once, by id, beside the request) after silenceMs(timeoutMs) of silence, and the client gives up when
 * nothing at all came back within timeoutMs of that question: a procinit whose event loop is stuck, or a
 * server that accepts and says hello but never answers, ends the verb in bounded time.
 */
export function silenceMs(timeoutMs: number): number {
  return Math.max(1, Math.round(timeoutMs / 5));
}

/** The id of the `hello` a client asks a silent server (its own requests count up from 1). */
export const PING_ID = 'alive?';

/** Nothing came back, not even the answer to a hello, within silence + timeout. */
export function stoppedAnswering(path: string, timeoutMs: number): ControlUnavailable {
  const s = (silenceMs(timeoutMs) + timeoutMs) / 1000;
  return new ControlUnavailable(`procinit on ${path} stopped answering (nothing within ${s}s, not even an answer to a hello; what was asked may still be done)`);
}

/** A line longer than MAX_ANSWER_BYTES. */
export function answerTooLarge(path: string): ControlUnavailable {
  return new ControlUnavailable(`an answer from ${path} exceeded ${MAX_ANSWER_BYTES} bytes`);
}

export function unavailable(path: string, err: NodeJS.ErrnoException): ControlUnavailable {
  const how: Record<string, string> = {
    ENOENT: 'no socket there',
    ECONNREFUSED: 'a stale socket: nothing listens',
    EACCES: 'permission denied: the socket is 0600, run this as the user procinit runs as',
    ENOTSOCK: 'not a socket',
  };
  const detail = how[err.code ?? ''] ?? err.code ?? err.message;
  return new ControlUnavailable(`no procinit answering on ${path} (${detail}); is it running? (--socket PATH or $PROCINIT_SOCKET)`);
}

