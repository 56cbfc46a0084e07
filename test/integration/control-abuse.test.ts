/**
 * Garbage on a real procinit's socket: random bytes, a 100 MB line, half a request then hang-up,
 * clients vanishing mid-stream, 200 concurrent clients. After each, procinit answers correctly, its
 * memory has not grown with the garbage, and the connections are gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ControlClient } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/handlers/status.js';
import { until } from '../helpers/procinit.js';
import { startRun, type Run } from './control-harness.js';

let r: Run;

beforeAll(async () => {
  r = await startRun({ Procfile: 'web: while true; do echo "web tick"; sleep 0.1; done\nworker: exec sleep 1000\n' }, ['-t', '1', '-m', 'web=2']);
});

afterAll(async () => {
  const exit = await r.stop();
  expect(exit.code).toBe(0);
});

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** procinit still answers, correctly. */
async function healthy(): Promise<void> {
  const client = await ControlClient.connect(r.sock);
  try {
    const st = await client.request<StatusResult>('status', { names: [] });
    expect(st.processes.map((p) => `${p.name}:${p.state}`)).toEqual(['web.1:RUNNING', 'web.2:RUNNING', 'worker.1:RUNNING']);
  } finally {
    client.close();
  }
  const cli = await r.ctl('status', 'worker');
  expect(cli.code).toBe(0);
  expect(r.w.child.exitCode).toBeNull();
}

function rawConnect(): Promise<{ sock: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = connect(r.sock);
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', () => {});
    const closed = new Promise<void>((res) => sock.on('close', () => res()));
    sock.once('connect', () => resolve({ sock, received: () => data, closed }));
    sock.once('error', reject);
  });
}

describe('garbage on the socket', () => {
  it('a raw request over the socket gets a JSON answer; an unknown command an error', async () => {
    const c = await rawConnect();
    c.sock.write('{"v":1,"id":1,"cmd":"status","args":{"names":["worker"]}}\n{"v":1,"id":2,"cmd":"launch-missiles"}\n');
    await until(() => c.received().split('\n').length >= 4, 10_000, 'two answers');
    const [hello, ...answers] = c.received().trim().split('\n').map((l) => JSON.parse(l));
    expect(hello).toMatchObject({ hello: 'procinit', v: 1, pid: r.w.pid });
    const byId = Object.fromEntries(answers.map((a) => [a.id, a]));
    expect(byId[1]).toMatchObject({ ok: true, result: { processes: [{ name: 'worker.1', state: 'RUNNING' }], unknown: [] } });
    expect(byId[2]).toMatchObject({ error: { code: 'unknown_command' } });
    c.sock.destroy();
  });

  it('random bytes', async () => {
    for (let round = 0; round < 20; round++) {
      const c = await rawConnect();
      c.sock.write(randomBytes(64 * 1024));
      c.sock.end();
      await c.closed;
    }
    await healthy();
  });

  it('a 100 MB line: answered too_large, the connection closed, memory not grown', async () => {
    await healthy();
    const before = rssKiB(r.w.pid);
    const c = await rawConnect();
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    chunk.write('{"v":1,"id":1,"cmd":"status","args":{"pad":"', 0);
    let sent = 0;
    let closed = false;
    void c.closed.then(() => (closed = true));
    // like a real client, stop sending once answered (procinit keeps reading and dropping until then)
    const answered = (): boolean => /too_large/.test(c.received());
    while (sent < 100 * 1024 * 1024 && !closed && !answered()) {
      if (!c.sock.write(chunk)) await Promise.race([new Promise((res) => c.sock.once('drain', res)), c.closed]);
      sent += chunk.length;
    }
    c.sock.end();
    await c.closed;
    expect(c.received()).toMatch(/"error":\{"code":"too_large"/);
    const after = rssKiB(r.w.pid);
    expect(after - before).toBeLessThan(48 * 1024);
    await healthy();
  }, 120_000);

  it('half a request, then hang-up', async () => {
    for (let i = 0; i < 50; i++) {
      const c = await rawConnect();
      c.sock.write('{"v":1,"id":1,"cmd":"sta');
      c.sock.destroy();
    }
    const c = await rawConnect();
    c.sock.write('{"v":1,"id":1,"cmd":"restart","args":{"names":["wor');
    c.sock.end();
    await c.closed;
    expect(c.received()).toMatch(/"error":\{"code":"bad_request"/); // the unterminated tail is read at EOF, and refused
    await healthy();
  });

  it('clients that vanish mid-stream cost only their streams', async () => {
    const fdsBefore = fdCount(r.w.pid);
    for (let i = 0; i < 30; i++) {
      const c = await rawConnect();
      c.sock.write('{"v":1,"id":1,"cmd":"logs","args":{"follow":true,"lines":5}}\n');
      await until(() => c.received().includes('"event"'), 10_000, 'log events');
      c.sock.destroy();
    }
    await until(() => fdCount(r.w.pid) <= fdsBefore + 1, 10_000, 'connections to close');
    await healthy();
  });

  it('200 concurrent clients all get the right answer', async () => {
    const fdsBefore = fdCount(r.w.pid);
    const clients = await Promise.all(Array.from({ length: 200 }, () => ControlClient.connect(r.sock, 30_000)));
    const answers = await Promise.all(clients.map((c, i) => c.request<StatusResult>('status', { names: [i % 2 ? 'web' : 'worker'] })));
    answers.forEach((a, i) => expect(a.processes.map((p) => p.name)).toEqual(i % 2 ? ['web.1', 'web.2'] : ['worker.1']));
    // and 200 followers at once, then all gone
    const streams = clients.map((c) => c.stream('logs', { follow: true, lines: 1, names: ['web'] }, { onEvent: () => {} }));
    await Promise.all(streams.map((s) => s.result));
    clients.forEach((c) => c.close());
    await until(() => fdCount(r.w.pid) <= fdsBefore + 1, 20_000, 'connections to close');
    await healthy();
  }, 120_000);
});
