/**
 * The one-shot control client over procinit's addon (src/control/native-client.ts, native/ctl.c) against
 * servers that misbehave in every way the net client (ControlClient) handles: both must end the same,
 * with the same message. The servers run in a child process, as NativeControl blocks this one while it
 * waits. And `procinit status` takes the native path against a real procinit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { ctlAddon, NativeControl } from '../../src/control/native-client.js';
import { fixtureDir, startProcinit } from '../helpers/procinit.js';

const SERVER = String.raw`
const net = require('node:net');
const [path, mode] = process.argv.slice(1);
const hello = JSON.stringify({ hello: 'procinit', v: 1, version: 'test', pid: process.pid }) + '\n';
const server = net.createServer((s) => {
  s.on('error', () => {});
  if (mode === 'silent') return;
  if (mode === 'close') return s.destroy();
  if (mode === 'garbage') return void s.write('HTTP/1.1 400 Bad Request\n');
  if (mode === 'refuse') return void s.end(JSON.stringify({ error: { code: 'busy', message: 'too many clients' } }) + '\n');
  if (mode === 'oldver') return void s.write(JSON.stringify({ hello: 'procinit', v: 99 }) + '\n');
  if (mode === 'huge-hello') return void s.write('{"x":"' + 'a'.repeat(65 * 1024 * 1024));
  if (mode === 'split') {
    s.write(hello.slice(0, 5));
    setTimeout(() => s.write(hello.slice(5)), 50);
  } else s.write(hello);
  let buf = '';
  if (mode === 'slow') {
    // alive but slow: a hello asked meanwhile is answered at once, the request after 1.5 s
    return void s.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const req = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const answer = JSON.stringify({ id: req.id, ok: true, result: { cmd: req.cmd, args: req.args } }) + '\n';
        if (req.cmd === 'hello') s.write(answer);
        else setTimeout(() => s.write(answer), 1500);
      }
    });
  }
  s.on('data', (d) => {
    buf += d;
    if (!buf.includes('\n')) return;
    const req = JSON.parse(buf.slice(0, buf.indexOf('\n')));
    if (mode === 'hangup') return s.destroy();
    if (mode === 'error') return void s.write(JSON.stringify({ id: req.id, error: { code: 'no_such_process', message: 'no process nope' } }) + '\n');
    if (mode === 'mute') return;
    // other ids and a line that is not JSON first, then a 3 MB answer in pieces
    s.write(JSON.stringify({ id: 7, ok: true, result: 'not yours' }) + '\nnot json\n');
    const body = JSON.stringify({ id: req.id, ok: true, result: { cmd: req.cmd, args: req.args, pad: 'x'.repeat(3 * 1024 * 1024) } }) + '\n';
    let at = 0;
    const more = () => { s.write(body.slice(at, at + 100000)); at += 100000; if (at < body.length) setImmediate(more); };
    more();
  });
});
server.listen(path.startsWith('@') ? '\0' + path.slice(1) : path, () => process.stdout.write('ready\n'));
`;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

async function serve(mode: string, path = join(mkdtempSync(join(tmpdir(), 'pi-ctl-')), 's.sock')): Promise<string> {
  const child = spawn(process.execPath, ['-e', SERVER, path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return path;
}

type Outcome = { ok: unknown } | { error: string; message: string };

async function viaNet(path: string, timeoutMs: number): Promise<Outcome> {
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(path, timeoutMs);
    return { ok: await client.request('status', { names: ['a'] }) };
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  } finally {
    client?.close();
  }
}

async function viaNative(path: string, timeoutMs: number): Promise<Outcome> {
  let client: NativeControl | null = null;
  try {
    client = NativeControl.connect(path, timeoutMs);
    if (client === null) throw new Error('the native path was not taken');
    return { ok: await client.request('status', { names: ['a'] }) };
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  } finally {
    client?.close();
  }
}

describe('NativeControl, the one-shot client over the addon', () => {
  it('the addon has the control-client calls', () => {
    expect(ctlAddon()).not.toBeNull();
  });

  for (const mode of ['answer', 'split', 'error', 'hangup', 'close', 'garbage', 'refuse', 'oldver', 'huge-hello']) {
    it(`ends as the net client does: ${mode}`, async () => {
      const path = await serve(mode);
      const native = await viaNative(path, 5000);
      expect(native).toEqual(await viaNet(path, 5000));
      if (mode === 'answer' || mode === 'split') expect(native).toMatchObject({ ok: { cmd: 'status', args: { names: ['a'] } } });
      else expect(native).toHaveProperty('error');
    }, 30_000);
  }

  it('a server that accepts and never says hello: the same timeout error, in bounded time', async () => {
    const path = await serve('silent');
    const t0 = Date.now();
    const native = await viaNative(path, 400);
    const took = Date.now() - t0;
    expect(native).toEqual({ error: 'ControlUnavailable', message: `no procinit answering on ${path} (no answer within 0.4s)` });
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(5000);
    expect(native).toEqual(await viaNet(path, 400));
  });

  it('a server that says hello, then never answers (mute): the same one line from both, in bounded time', async () => {
    const path = await serve('mute');
    const t0 = Date.now();
    const native = await viaNative(path, 400);
    const took = Date.now() - t0;
    // silence 80 ms, then a hello asked, then 400 ms
    const line = `procinit on ${path} stopped answering (nothing within 0.48s, not even an answer to a hello; what was asked may still be done)`;
    expect(native).toEqual({ error: 'ControlUnavailable', message: line });
    expect(took).toBeGreaterThanOrEqual(470);
    expect(took).toBeLessThan(5000);
    expect(await viaNet(path, 400)).toEqual(native);
  });

  it('a live server that takes longer than that to answer: both wait for the answer (the hello asked meanwhile is answered)', async () => {
    const path = await serve('slow');
    const native = await viaNative(path, 400);
    expect(native).toEqual({ ok: { cmd: 'status', args: { names: ['a'] } } });
    expect(await viaNet(path, 400)).toEqual(native);
  });

  it('an abstract socket (@name)', async () => {
    const path = await serve('answer', `@pi-ctl-test-${process.pid}`);
    expect(await viaNative(path, 5000)).toMatchObject({ ok: { cmd: 'status' } });
  });

  it('connect(2) failing leaves the wording to the net client (null)', () => {
    expect(NativeControl.connect(join(tmpdir(), `pi-ctl-nothing-${process.pid}.sock`), 1000)).toBeNull();
  });

  it('`procinit status` against a silent server: exit 1, the timeout line (10 s)', async () => {
    const path = await serve('silent');
    const t0 = Date.now();
    const p = startProcinit(['status', '-s', path], { cwd: fixtureDir({}) });
    expect((await p.exit()).code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(p.stderr).toBe(`procinit: no procinit answering on ${path} (no answer within 10s)\n`);
  }, 30_000);

  it('connect (attach, an upgrade: no hello may follow it) and logs -f: their opening answer is bounded the same way', async () => {
    const path = await serve('mute');
    const line = `procinit on ${path} stopped answering (nothing within 0.48s, not even an answer to a hello; what was asked may still be done)`;
    const attach = await ControlClient.connect(path, 400);
    const t0 = Date.now();
    await expect(attach.upgrade('attach', { name: 'web' })).rejects.toThrow(line);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(470);
    const logs = await ControlClient.connect(path, 400);
    const call = logs.stream('logs', { follow: true }, { onEvent: () => {} });
    await expect(call.result).rejects.toThrow(line);
    await expect(call.done).rejects.toThrow(line);
  });

  // every client verb against a server that says hello and then nothing: one line, exit 1, in 12 s (2 s of
  // silence, a hello asked, 10 s); status takes the addon's path, the others net's; logs -f waits for its
  // stream's opening answer the same way (connect needs a terminal: its client is tested above)
  const verbs: Array<[string, string[]]> = [
    ['status', []],
    ['stop', ['web']],
    ['start', ['web']],
    ['restart', ['web']],
    ['signal', ['HUP', 'web']],
    ['scale', ['web=2']],
    ['reload', []],
    ['shutdown', []],
    ['describe', ['web']],
    ['logs', ['-f']],
    ['top', ['-n', '1']],
  ];
  it('every client verb against a server that never answers after its hello: exit 1, one line, within 12 s (all at once)', async () => {
    const path = await serve('mute');
    const line = `procinit: procinit on ${path} stopped answering (nothing within 12s, not even an answer to a hello; what was asked may still be done)\n`;
    const ends = await Promise.all(
      verbs.map(async ([verb, rest]) => {
        const t0 = Date.now();
        const p = startProcinit([verb, ...rest, '-s', path], { cwd: fixtureDir({}) });
        const { code } = await p.exit(40_000);
        return { verb, code, took: Date.now() - t0, stderr: p.stderr };
      }),
    );
    for (const e of ends) {
      expect(e).toMatchObject({ verb: e.verb, code: 1, stderr: line });
      expect(e.took).toBeGreaterThanOrEqual(11_500);
      expect(e.took).toBeLessThan(30_000);
    }
  }, 60_000);
});
