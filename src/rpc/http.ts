/**
 * The HTTP side of supervisord's interface, on one listening socket: POST /RPC2 (XML-RPC), GET
 * /logtail/NAME[/stderr] and /mainlogtail (follow a log file, as `supervisorctl tail -f` and `maintail -f`
 * read it), HTTP basic auth when the section sets username/password (password plain or `{SHA}hex`).
 *
 * Limits: a request body above MAX_BODY is refused with 413 before it is parsed; headers must arrive within
 * 10 s and a whole request within 30 s; at most MAX_CLIENTS connections per server. A malformed document is
 * 400 (supervisord's answer), an unknown method a fault; nothing a client sends reaches the event loop as a throw.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseCall, encodeFault, encodeResponse } from './codec.js';
import { RpcFault } from './faults.js';
import type { Dispatcher } from './dispatch.js';
import { followFile } from './logtail.js';

export const MAX_BODY = 2 * 1024 * 1024;
export const MAX_CLIENTS = 128;

export interface HttpDeps {
  dispatcher: Dispatcher;
  username: string | null;
  password: string | null;
  /** The log file of a process channel for /logtail, null when it has none (404). */
  logFile(name: string, channel: string): string | null;
  mainLog(): string | null;
  onInternalError(what: string, err: unknown): void;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** supervisord's encrypted_dictionary_authorizer. */
export function authorized(header: string | undefined, username: string | null, password: string | null): boolean {
  if (username === null || password === null) return true;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  if (!sameText(user, username)) return false;
  if (password.startsWith('{SHA}')) return sameText(createHash('sha1').update(pass).digest('hex'), password.slice(5));
  return sameText(pass, password);
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = `<html><head><title>Error response</title></head><body><h1>Error response</h1><p>Error code ${status}.</p><p>Message: ${text}.</p></body></html>`;
  res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** The body, or 'too-large' once it passes MAX_BODY: the rest is read and dropped (never kept), so that the
 * client, still writing, gets to read the 413 instead of a reset connection. requestTimeout bounds how long. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? NaN) > MAX_BODY;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', () => resolve('aborted'));
  });
}

async function handleRpc(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return plain(res, 400, 'Bad request');
  const body = await readBody(req);
  if (body === 'aborted') return void res.destroy();
  if (body === 'too-large') return plain(res, 413, 'Request Entity Too Large', { Connection: 'close' });
  let call;
  try {
    call = await parseCall(body);
  } catch {
    return plain(res, 400, 'Bad request');
  }
  if (!call.method) return plain(res, 400, 'Bad request');
  let xml: string;
  try {
    xml = encodeResponse(await deps.dispatcher.call(call.method, call.params));
  } catch (err) {
    if (err instanceof RpcFault) xml = encodeFault(err.code, err.text);
    else {
      deps.onInternalError(call.method, err);
      return plain(res, 500, 'Internal Server Error');
    }
  }
  if (res.destroyed) return;
  res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

function handleLogtail(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.method !== 'GET') return plain(res, 400, 'Bad request');
  let file: string | null;
  if (path === '/mainlogtail' || path.startsWith('/mainlogtail/')) file = deps.mainLog();
  else {
    let rest: string;
    try {
      rest = decodeURIComponent(path.slice('/logtail'.length)).replace(/^\/+/, '');
    } catch {
      return plain(res, 400, 'Bad request');
    }
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const channel = slash < 0 ? 'stdout' : rest.slice(slash + 1);
    file = deps.logFile(name, channel);
  }
  if (!file) return plain(res, 404, 'Not Found');
  followFile(file, req, res, (err) => deps.onInternalError('logtail', err));
}

export function createRpcHttpServer(deps: HttpDeps): Server {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (!authorized(req.headers.authorization, deps.username, deps.password)) {
      req.resume();
      return plain(res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="default"' });
    }
    const route = path.startsWith('/RPC2')
      ? handleRpc(deps, req, res)
      : path.startsWith('/logtail') || path.startsWith('/mainlogtail')
        ? Promise.resolve(handleLogtail(deps, req, res, path))
        : Promise.resolve((req.resume(), plain(res, 404, 'Not Found')));
    route.catch((err) => {
      deps.onInternalError(path, err);
      plain(res, 500, 'Internal Server Error');
    });
  });
  server.maxConnections = MAX_CLIENTS;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
