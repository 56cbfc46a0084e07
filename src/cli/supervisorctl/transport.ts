/**
 * supervisorctl's connection to supervisord: XML-RPC POSTs to /RPC2 over `unix:///path` or `http://host:port`,
 * with HTTP basic auth when a username is given, and GET /logtail/... streams for `tail -f`.
 */
import { request, type IncomingMessage } from 'node:http';
import { encodeCall, parseResponse } from '../../rpc/codec.js';

export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** A fault from the server: faultCode and faultString. */
export class Fault extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

export interface ServerRef {
  url: string;
  username: string | null;
  password: string | null;
}

function target(url: string): { socketPath?: string; host?: string; port?: number } {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) };
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 80) };
}

function headers(ref: ServerRef, extra: Record<string, string | number> = {}): Record<string, string | number> {
  const h: Record<string, string | number> = { Host: 'localhost', ...extra };
  if (ref.username !== null) h.Authorization = `Basic ${Buffer.from(`${ref.username}:${ref.password ?? ''}`).toString('base64')}`;
  return h;
}

export function call(ref: ServerRef, method: string, params: unknown[] = []): Promise<unknown> {
  const body = Buffer.from(encodeCall(method, params));
  return new Promise((resolve, reject) => {
    const req = request(
      { ...target(ref.url), method: 'POST', path: '/RPC2', headers: headers(ref, { 'Content-Type': 'text/xml', 'Content-Length': body.length }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new HttpStatusError(res.statusCode ?? 0));
          parseResponse(Buffer.concat(chunks)).then(resolve, (err: { faultCode?: number; faultString?: string; message: string }) => {
            if (typeof err.faultCode === 'number') reject(new Fault(err.faultCode, err.faultString ?? ''));
            else reject(err);
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** GET a streaming path; resolves with the response (status checked by the caller). */
export function stream(ref: ServerRef, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target(ref.url), method: 'GET', path, headers: headers(ref) }, resolve);
    req.on('error', reject);
    req.end();
  });
}
