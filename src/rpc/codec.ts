/**
 * XML-RPC on the wire, through the `xmlrpc` package's (de)serializer (sax underneath: no DTD, no entity
 * expansion beyond XML's five and numeric references). The HTTP layer caps the request size before anything
 * is parsed. Strings are cleaned of characters XML 1.0 cannot carry (a program's log may hold ESC or NUL),
 * which supervisord would send raw and its own client could not parse.
 */
import { PassThrough } from 'node:stream';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: the package ships no types
import Deserializer from 'xmlrpc/lib/deserializer.js';
// @ts-ignore: the package ships no types
import * as serializer from 'xmlrpc/lib/serializer.js';
import { fastParseCall, fastResponse } from './fast-xml.js';

export interface MethodCall {
  method: string;
  params: unknown[];
}

/** Parse a methodCall document; rejects with a one-line reason when it is not one. */
export function parseCall(body: Buffer): Promise<MethodCall> {
  const fast = fastParseCall(body.toString('utf8'));
  if (fast === null) return parseCallWithPackage(body);
  if ('error' in fast) return Promise.reject(new Error(fast.error.message.split('\n')[0]));
  return Promise.resolve({ method: fast.method, params: fast.params });
}

/** The package's own way, sax and all (what the fast path leaves to it; tests compare the two). */
export function parseCallWithPackage(body: Buffer): Promise<MethodCall> {
  return new Promise((resolve, reject) => {
    const stream = new PassThrough();
    let settled = false;
    const d = new Deserializer('utf8');
    d.deserializeMethodCall(stream, (err: Error | null, method: string, params: unknown[]) => {
      if (settled) return;
      settled = true;
      if (err) reject(new Error(err.message.split('\n')[0]));
      else resolve({ method, params: params ?? [] });
    });
    stream.end(body);
  });
}

// Characters XML 1.0 allows: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
// eslint-disable-next-line no-control-regex
const NOT_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// eslint-disable-next-line no-control-regex
const HAS_NOT_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return HAS_NOT_XML.test(value) ? value.replace(NOT_XML, '\uFFFD') : value;
  if (depth > 64 || value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clean(v, depth + 1);
  return out;
}

export function encodeResponse(value: unknown): string {
  return fastResponse(value) ?? encodeResponseWithPackage(value);
}

/** The package's own serializer (xmlbuilder), after cleaning (tests compare the two). */
export function encodeResponseWithPackage(value: unknown): string {
  return serializer.serializeMethodResponse(clean(value));
}

export function encodeFault(code: number, text: string): string {
  return serializer.serializeFault({ faultCode: code, faultString: clean(text) });
}

export function encodeCall(method: string, params: unknown[]): string {
  return serializer.serializeMethodCall(method, clean(params));
}

/** Parse a methodResponse (the client side: supervisorctl personality). Faults reject with faultCode/faultString. */
export function parseResponse(body: Buffer): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const stream = new PassThrough();
    const d = new Deserializer('utf8');
    d.deserializeMethodResponse(stream, (err: Error | null, value: unknown) => (err ? reject(err) : resolve(value)));
    stream.end(body);
  });
}
