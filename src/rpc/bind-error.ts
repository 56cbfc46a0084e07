/**
 * An HTTP server the config names could not be bound: one line for the user, exit 1. Its own file so that
 * src/cli/main.ts can recognise it without loading the XML-RPC server (node:http, node:crypto, the codec).
 */
export class RpcBindError extends Error {
  override readonly name = 'RpcBindError';
}
