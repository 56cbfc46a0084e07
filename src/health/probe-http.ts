/**
 * http probe as kubelet's httpGet: GET the path, 200-399 passes, anything else (or no answer within the
 * timeout) fails. Written on a bare socket rather than node:http: one request per probe period per
 * instance, and only the status line matters, so the request is a few bytes and the answer is read only
 * up to its first line (at most 4 KiB), then the connection is closed; to an IP address over plain http the
 * whole exchange runs in the addon (native/probe.c), without a net.Socket. Redirects are not followed (a 3xx
 * already passes). https skips certificate checks, as kubelet does.
 */
import type { Socket } from 'node:net';
import type { ProbeSpec } from '../config/model.js';
import { failed, PASSED, type ProbeResult } from './probe-result.js';
import { nativeProbe } from './native-probe.js';

const MAX_STATUS_LINE = 4096;

export function probeHttp(spec: ProbeSpec, port: number): Promise<ProbeResult> {
  const host = spec.host;
  const where = `${spec.scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${spec.path}`;
  const hostHeader = spec.headers.Host ?? spec.headers.host ?? `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const extra = Object.entries(spec.headers)
    .filter(([k]) => k.toLowerCase() !== 'host')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = `GET ${spec.path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: procinit-probe\r\nAccept: */*\r\nConnection: close\r\n${extra}\r\n`;

  if (spec.scheme === 'http') {
    const native = nativeProbe(host, port, request, spec.timeoutMs);
    if (native) {
      return native.then(({ status, error }) => {
        if (error !== null) {
          const why = error === 'timeout' ? `no answer within ${spec.timeoutMs} ms` : error === 'closed' ? 'connection closed before an answer' : error === 'not http' ? 'not an HTTP answer' : error;
          return failed(`GET ${where}: ${why}`);
        }
        return status >= 200 && status < 400 ? PASSED : failed(`GET ${where}: HTTP ${status}`);
      });
    }
  }
  return new Promise((resolve) => {
    let socket: Socket;
    if (spec.scheme === 'https') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tls = require('node:tls') as typeof import('node:tls');
      socket = tls.connect({ host, port, rejectUnauthorized: false, servername: /^[\d.:]+$/.test(host) ? undefined : host });
      socket.once('secureConnect', () => socket.write(request));
    } else {
      // node:net on the first probe that needs it, not at every start
      socket = (require('node:net') as typeof import('node:net')).connect({ host, port });
      socket.once('connect', () => socket.write(request));
    }
    let head = '';
    const timer = setTimeout(() => finish(failed(`GET ${where}: no answer within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    const finish = (r: ProbeResult): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve(r);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      const eol = head.indexOf('\r\n');
      if (eol < 0 && head.length < MAX_STATUS_LINE) return;
      const line = eol < 0 ? head.slice(0, 80) : head.slice(0, eol);
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(line);
      if (!m) return finish(failed(`GET ${where}: not an HTTP answer`));
      const status = Number(m[1]);
      finish(status >= 200 && status < 400 ? PASSED : failed(`GET ${where}: HTTP ${status}`));
    });
    socket.once('end', () => finish(failed(`GET ${where}: connection closed before an answer`)));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failed(`GET ${where}: ${err.code ?? err.message}`)));
  });
}
