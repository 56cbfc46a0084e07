/**
 * `attach` (procinit connect): the slot where the connect command plugs in. Registered `exclusive`, so
 * the connection reads no JSON after the attach line; a handler that accepts calls ctx.writeOk(...) then
 * ctx.upgrade() and speaks frames (protocol.ts: FrameType, encodeFrame, FrameDecoder) on the socket.
 * Until then every attach is refused and the connection goes on with JSON.
 */
import { RequestError } from '../protocol.js';

export function attachUnavailable() {
  return async (): Promise<never> => {
    throw new RequestError('unsupported', 'procinit connect is not available in this build');
  };
}
