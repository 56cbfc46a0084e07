/**
 * The probes against real servers on loopback: http (in the addon for an IP, net.Socket for a name), tcp,
 * exec. Kubernetes' rules: 200-399 passes, anything else, no answer in time, or a refused connection fails.
 */
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../../src/config/model.js';
import { probeExec } from '../../../src/health/probe-exec.js';
import { probeHttp } from '../../../src/health/probe-http.js';
import { probeTcp } from '../../../src/health/probe-tcp.js';
import { nativeProbe } from '../../../src/health/native-probe.js';

let http: Server;
let port = 0;
let garbagePort = 0;
let silentPort = 0;
const closers: Array<() => void> = [];
const seen: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  http = createHttp((req, res) => {
    seen.push(req.headers);
    const code = Number(req.url?.slice(1)) || 200;
    res.writeHead(code, code === 301 ? { Location: '/elsewhere' } : {});
    res.end('x');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
  const garbage = createTcp((s) => s.end('SSH-2.0-OpenSSH\r\n'));
  const silent = createTcp(() => {});
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  garbagePort = (garbage.address() as AddressInfo).port;
  silentPort = (silent.address() as AddressInfo).port;
  closers.push(() => garbage.close(), () => silent.close(), () => http.close());
});
afterAll(() => {
  http.closeAllConnections();
  closers.forEach((c) => c());
});

const spec = (o: Partial<ProbeSpec> = {}): ProbeSpec => ({
  kind: 'http', scheme: 'http', host: '127.0.0.1', path: '/', port: null, headers: {}, command: null,
  initialDelayMs: 0, periodMs: 1000, timeoutMs: 500, successThreshold: 1, failureThreshold: 3, source: { file: 'x', line: 1 }, ...o,
});

describe.each([['127.0.0.1 (addon)'], ['localhost (net.Socket)']])('http probe to %s', (label) => {
  const host = label.split(' ')[0];
  it('passes on 200-399, fails on 400+ with the status', async () => {
    // the addon's path is the one taken for an IP literal, the net.Socket one for a name
    expect(nativeProbe(host, port, '', 500) === null).toBe(host === 'localhost');
    expect(await probeHttp(spec({ host, path: '/200' }), port)).toEqual({ ok: true });
    expect(await probeHttp(spec({ host, path: '/301' }), port)).toEqual({ ok: true });
    expect(await probeHttp(spec({ host, path: '/500' }), port)).toEqual({ ok: false, error: `GET http://${host}:${port}/500: HTTP 500` });
    expect(await probeHttp(spec({ host, path: '/404' }), port)).toMatchObject({ ok: false });
  });

  it('sends the configured headers', async () => {
    seen.length = 0;
    await probeHttp(spec({ host, headers: { 'X-Probe': 'yes' } }), port);
    expect(seen[0]?.['x-probe']).toBe('yes');
    expect(seen[0]?.['user-agent']).toBe('procinit-probe');
  });

  it('fails on a refused connection, an answer that is not HTTP, and no answer in time', async () => {
    const closed = createTcp();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await probeHttp(spec({ host }), dead)).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await probeHttp(spec({ host }), garbagePort)).toMatchObject({ ok: false, error: expect.stringMatching(/not an HTTP answer/) });
    const t0 = Date.now();
    expect(await probeHttp(spec({ host, timeoutMs: 300 }), silentPort)).toMatchObject({ ok: false, error: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

describe('tcp and exec probes', () => {
  it('tcp: a listening port passes, a closed one fails', async () => {
    expect(await probeTcp('127.0.0.1', port, 500)).toEqual({ ok: true });
    expect(await probeTcp('localhost', port, 500)).toEqual({ ok: true });
    expect(await probeTcp('127.0.0.1', 1, 500)).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("exec: exit 0 passes in the program's environment; a failure says its code and last line; a hang is killed", async () => {
    expect(await probeExec(['/bin/sh', '-c', 'test "$PS" = web.1'], { PS: 'web.1', PATH: '/usr/bin:/bin' }, '/', 1000)).toEqual({ ok: true });
    expect(await probeExec(['/bin/sh', '-c', 'echo db down; exit 2'], { PATH: '/usr/bin:/bin' }, '/', 1000)).toEqual({ ok: false, error: 'exec echo db down; exit 2: exit 2: db down' });
    expect(await probeExec(['/bin/sh', '-c', 'sleep 5'], { PATH: '/usr/bin:/bin' }, '/', 200)).toEqual({ ok: false, error: 'exec sleep 5: no exit within 200 ms' });
    expect(await probeExec(['/no/such/probe'], {}, '/', 1000)).toEqual({ ok: false, error: 'exec /no/such/probe: command not found' });
  });
});
