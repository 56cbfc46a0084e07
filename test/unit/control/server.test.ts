/** The socket server and client in-process, over a real Unix socket, with small fake commands. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, probeSocket } from '../../../src/control/server.js';
import type { CommandEntry, Stream } from '../../../src/control/connection.js';
import { ControlClient, ControlUnavailable, RemoteError } from '../../../src/control/client.js';
import { ControlSocketError } from '../../../src/control/socket-path.js';
import { encodeFrame, FrameDecoder, FrameType, RequestError, type Hello } from '../../../src/control/protocol.js';

const hello: Hello = { hello: 'procinit', v: 1, version: 'test', pid: 4242 };

let dir: string;
let path: string;
let server: ControlServer | null;
let internal: string[];
let streamEnded: number;
let openStreams: Stream[];

function commands(): Map<string, CommandEntry> {
  return new Map<string, CommandEntry>([
    ['echo', { handler: async (args) => ({ echo: args }) }],
    ['slow', { handler: (args) => new Promise((r) => setTimeout(() => r({ slow: args.n }), Number(args.ms ?? 50))) }],
    ['fail', { handler: async () => { throw new RequestError('no_such_process', 'nope'); } }],
    ['bug', { handler: async () => { throw new Error('kaboom'); } }],
    [
      'count',
      {
        handler: async (args, ctx) => {
          const s = ctx.beginStream({ n: args.n });
          openStreams.push(s);
          s.onEnd(() => streamEnded++);
          for (let i = 0; i < Number(args.n); i++) s.event({ i });
          if (!args.follow) s.end();
        },
      },
    ],
    [
      'attach',
      {
        exclusive: true,
        handler: async (args, ctx) => {
          await new Promise((r) => setTimeout(r, 20)); // validation takes a while: bytes pile up meanwhile
          if (args.refuse) throw new RequestError('unsupported', 'no');
          ctx.writeOk({ framed: true });
          const { socket, rest } = ctx.upgrade();
          const dec = new FrameDecoder();
          const onFrames = (b: Buffer): void => {
            for (const f of dec.push(b)) {
              if (f.type === FrameType.Detach) return void socket.end(encodeFrame(FrameType.Detach));
              socket.write(encodeFrame(FrameType.Data, Buffer.from(f.payload.toString().toUpperCase())));
            }
          };
          if (rest.length) onFrames(rest);
          socket.on('data', onFrames);
          socket.resume();
        },
      },
    ],
  ]);
}

async function listen(): Promise<ControlServer> {
  server = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: (cmd) => internal.push(cmd) });
  return server;
}

/** A raw connection that collects parsed lines. */
function raw(): { sock: Socket; lines: Array<Record<string, unknown>>; next(n?: number): Promise<Array<Record<string, unknown>>>; closed: Promise<void> } {
  const sock = connect(path);
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  const waiters: Array<() => void> = [];
  sock.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  const next = async (n = 1): Promise<Array<Record<string, unknown>>> => {
    while (lines.length < n) await Promise.race([new Promise<void>((r) => waiters.push(r)), closed.then(() => { throw new Error(`closed after ${JSON.stringify(lines)}`); })]);
    return lines;
  };
  return { sock, lines, next, closed };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procinit-ctl-'));
  path = join(dir, 'ctl.sock');
  server = null;
  internal = [];
  streamEnded = 0;
  openStreams = [];
});

afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ControlServer', () => {
  it('creates the socket 0600, greets with a hello, answers by id, removes the socket on close', async () => {
    await listen();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const c = raw();
    await c.next(1);
    expect(c.lines[0]).toEqual(hello);
    c.sock.write('{"v":1,"id":"a","cmd":"echo","args":{"x":1}}\n{"id":2,"cmd":"nosuch"}\n');
    await c.next(3);
    expect(c.lines.find((l) => l.id === 'a')).toEqual({ id: 'a', ok: true, result: { echo: { x: 1 } } });
    expect(c.lines.find((l) => l.id === 2)).toMatchObject({ id: 2, error: { code: 'unknown_command' } });
    await server!.close();
    server = null;
    expect(existsSync(path)).toBe(false);
    await c.closed;
  });

  it('with deferAccept: the socket exists (0600) at once, a client waits in the backlog until serve()', async () => {
    server = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {}, deferAccept: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const c = raw();
    await new Promise<void>((r) => c.sock.once('connect', () => r()));
    // connected (the kernel queued it) but not accepted: no hello while procinit starts its programs
    await new Promise((r) => setImmediate(r));
    expect(c.lines).toEqual([]);
    server.serve();
    server.serve(); // once is enough; twice does no harm
    await c.next(1);
    expect(c.lines[0]).toEqual(hello);
    c.sock.write('{"id":1,"cmd":"echo","args":{"y":2}}\n');
    await c.next(2);
    expect(c.lines[1]).toEqual({ id: 1, ok: true, result: { echo: { y: 2 } } });
  });

  it('closed before it served: the socket file goes and a waiting client is dropped', async () => {
    server = await ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {}, deferAccept: true });
    const c = raw();
    await new Promise<void>((r) => c.sock.once('connect', () => r()));
    await server.close();
    server = null;
    expect(existsSync(path)).toBe(false);
    await c.closed;
    expect(c.lines).toEqual([]);
  });

  it('answers pipelined requests by id, the fast one first', async () => {
    await listen();
    const c = raw();
    c.sock.write('{"id":1,"cmd":"slow","args":{"n":1,"ms":80}}\n{"id":2,"cmd":"slow","args":{"n":2,"ms":1}}\n');
    await c.next(3);
    expect(c.lines.slice(1).map((l) => l.id)).toEqual([2, 1]);
  });

  it('works on at most 32 requests of one connection at once, and answers all 200 sent in one write', async () => {
    let now = 0;
    let peak = 0;
    const cmds = commands();
    cmds.set('tick', {
      handler: async () => {
        peak = Math.max(peak, ++now);
        await new Promise((res) => setTimeout(res, 5));
        now--;
        return 'tock';
      },
    });
    server = await ControlServer.listen({ path, hello, commands: cmds, onInternalError: () => {} });
    const c = raw();
    c.sock.write(Array.from({ length: 200 }, (_, i) => `{"id":${i},"cmd":"tick"}\n`).join('') + '{"id":"last","cmd":"echo"}\n');
    await c.next(202);
    expect(new Set(c.lines.slice(1).map((l) => l.id)).size).toBe(201);
    expect(peak).toBe(32);
  });

  it('answers a bad line and goes on; closes after 10 bad lines in a row', async () => {
    await listen();
    const c = raw();
    c.sock.write('garbage\n{"id":1,"cmd":"echo"}\n');
    await c.next(3);
    expect(c.lines[1]).toMatchObject({ id: null, error: { code: 'bad_request' } });
    expect(c.lines[2]).toMatchObject({ id: 1, ok: true });
    c.sock.write('x\n'.repeat(20));
    await c.closed;
    expect(c.lines.filter((l) => l.error).length).toBeGreaterThanOrEqual(10);
  });

  it('turns RequestError into its code and a bug into "internal", and keeps serving', async () => {
    await listen();
    const c = raw();
    c.sock.write('{"id":1,"cmd":"fail"}\n{"id":2,"cmd":"bug"}\n{"id":3,"cmd":"echo"}\n');
    await c.next(4);
    expect(c.lines[1]).toEqual({ id: 1, error: { code: 'no_such_process', message: 'nope' } });
    expect(c.lines[2]).toMatchObject({ id: 2, error: { code: 'internal' } });
    expect(c.lines[3]).toMatchObject({ id: 3, ok: true });
    expect(internal).toEqual(['bug']);
  });

  it('answers a line over 1 MiB with too_large and closes only that connection', async () => {
    await listen();
    const c = raw();
    await c.next(1);
    const big = Buffer.alloc(4 * 1024 * 1024, 'a');
    c.sock.write(big);
    await c.closed;
    expect(c.lines[1]).toMatchObject({ id: null, error: { code: 'too_large' } });
    const client = await ControlClient.connect(path);
    expect(await client.request('echo', { ok: 1 })).toEqual({ echo: { ok: 1 } });
    client.close();
  });

  it('answers a request whose sender has already shut its write side, then closes', async () => {
    await listen();
    const c = raw();
    c.sock.end('{"id":1,"cmd":"slow","args":{"n":5,"ms":30}}'); // no newline either
    await c.closed;
    expect(c.lines[1]).toEqual({ id: 1, ok: true, result: { slow: 5 } });
  });

  it('streams events until end; a client that vanishes ends only its stream', async () => {
    await listen();
    const client = await ControlClient.connect(path);
    const got: unknown[] = [];
    const call = client.stream('count', { n: 3 }, { onEvent: (e) => got.push(e) });
    expect(await call.result).toEqual({ n: 3 });
    await call.done;
    expect(got).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);

    const c = raw();
    c.sock.write('{"id":9,"cmd":"count","args":{"n":1,"follow":true}}\n');
    await c.next(3);
    expect(openStreams).toHaveLength(2);
    c.sock.destroy();
    await new Promise<void>((r) => openStreams[1].onEnd(() => r()));
    expect(await client.request('echo', {})).toEqual({ echo: {} });
    client.close();
  });

  it('ends open streams with {"end":true} when it closes', async () => {
    await listen();
    const c = raw();
    c.sock.write('{"id":1,"cmd":"count","args":{"n":0,"follow":true}}\n');
    await c.next(2);
    const closing = server!.close();
    await c.closed;
    await closing;
    server = null;
    expect(c.lines.at(-1)).toEqual({ id: 1, end: true });
  });

  it('upgrades an exclusive request to frames; bytes sent right after the request are not lost', async () => {
    await listen();
    const c = connect(path);
    const dec = new FrameDecoder();
    let text = '';
    const frames: number[] = [];
    let jsonPart = Buffer.alloc(0);
    let framed = false;
    const done = new Promise<void>((resolve) => {
      c.on('data', (d: Buffer) => {
        if (!framed) {
          jsonPart = Buffer.concat([jsonPart, d]);
          const lines = jsonPart.toString('latin1').split('\n');
          if (lines.length >= 3) {
            framed = true;
            const consumed = Buffer.byteLength(lines[0] + '\n' + lines[1] + '\n', 'latin1');
            d = jsonPart.subarray(consumed);
            expect(JSON.parse(lines[1])).toEqual({ id: 1, ok: true, result: { framed: true } });
          } else return;
        }
        for (const f of dec.push(d)) {
          frames.push(f.type);
          if (f.type === FrameType.Data) text += f.payload.toString();
          if (f.type === FrameType.Detach) resolve();
        }
      });
    });
    // the client here misbehaves on purpose: frames follow the request in the same write
    c.write(Buffer.concat([Buffer.from('{"id":1,"cmd":"attach","args":{}}\n'), encodeFrame(FrameType.Data, Buffer.from('abc'))]));
    await new Promise((r) => setTimeout(r, 50));
    c.write(Buffer.concat([encodeFrame(FrameType.Data, Buffer.from('def')), encodeFrame(FrameType.Detach)]));
    await done;
    expect(text).toBe('ABCDEF');
    c.destroy();
  });

  it('goes on with JSON after a refused exclusive request', async () => {
    await listen();
    const c = raw();
    c.sock.write('{"id":1,"cmd":"attach","args":{"refuse":true}}\n{"id":2,"cmd":"echo"}\n');
    await c.next(3);
    expect(c.lines[1]).toMatchObject({ id: 1, error: { code: 'unsupported' } });
    expect(c.lines[2]).toMatchObject({ id: 2, ok: true });
  });
});

describe('claiming the socket path', () => {
  it('replaces a stale socket', async () => {
    // a socket file nobody listens on: bind, then drop the fd without unlinking (as a SIGKILLed procinit leaves it)
    const { spawnSync } = await import('node:child_process');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`], { stdio: 'ignore' });
    expect(existsSync(path)).toBe(true);
    expect(await probeSocket(path)).toEqual({ state: 'stale' });
    await listen();
    const client = await ControlClient.connect(path);
    expect(client.hello.pid).toBe(4242);
    client.close();
  }, 20_000);

  it('refuses a live procinit, naming its pid, and leaves it alone', async () => {
    await listen();
    const second = ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {} });
    await expect(second).rejects.toThrow(ControlSocketError);
    // the pid the kernel gives (SO_PEERCRED of the listener), not the hello's: no wait for a hello
    await expect(second).rejects.toThrow(new RegExp(`another procinit \\(pid ${process.pid}\\) is already listening on .*ctl\\.sock`));
    const client = await ControlClient.connect(path);
    expect(await client.request('echo', {})).toEqual({ echo: {} });
    client.close();
  });

  it('refuses a live socket of some other program', async () => {
    const other = createServer((s) => s.end());
    await new Promise<void>((r) => other.listen(path, () => r()));
    try {
      await expect(ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {} })).rejects.toThrow(/another process is already listening/);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('refuses a file that is not a socket and does not touch it', async () => {
    writeFileSync(path, 'precious');
    await expect(ControlServer.listen({ path, hello, commands: commands(), onInternalError: () => {} })).rejects.toThrow(/exists and is not a socket/);
    expect(statSync(path).size).toBe(8);
  });

  it('names the path and the reason when the socket cannot be made there', async () => {
    const missing = join(dir, 'no-such-dir', 'ctl.sock');
    const err = await ControlServer.listen({ path: missing, hello, commands: commands(), onInternalError: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlSocketError);
    expect((err as ControlSocketError).message).toBe(`cannot use the control socket ${missing}: its folder ${join(dir, 'no-such-dir')} does not exist`);
    expect((err as ControlSocketError).kind).toBe('unusable');
  });
});

describe('ControlClient', () => {
  it('upgrade: hands over the socket after the ok answer, frames flow both ways; a refusal is a RemoteError', async () => {
    await listen();
    const client = await ControlClient.connect(path);
    const { result, socket, rest } = await client.upgrade<{ framed: boolean }>('attach', {});
    expect(result).toEqual({ framed: true });
    const dec = new FrameDecoder();
    const seen: string[] = [];
    const got = new Promise<void>((resolve) => {
      const take = (b: Buffer): void => {
        for (const f of dec.push(b)) seen.push(f.payload.toString());
        if (seen.join('') === 'HELLO') resolve();
      };
      if (rest.length) take(rest);
      socket.on('data', take);
      socket.resume();
    });
    socket.write(encodeFrame(FrameType.Data, Buffer.from('hello')));
    await got;
    client.close(); // the socket is the caller's now: close() leaves it alone
    expect(socket.destroyed).toBe(false);
    socket.end(encodeFrame(FrameType.Detach));

    const other = await ControlClient.connect(path);
    await expect(other.upgrade('attach', { refuse: true })).rejects.toMatchObject({ name: 'RemoteError', code: 'unsupported' });
    other.close();
  });

  it('says nobody answers when there is no socket, or a stale one', async () => {
    await expect(ControlClient.connect(path)).rejects.toThrow(ControlUnavailable);
    await expect(ControlClient.connect(path)).rejects.toThrow(/no socket there/);
  });

  it('rejects with RemoteError carrying the code', async () => {
    await listen();
    const client = await ControlClient.connect(path);
    await expect(client.request('fail')).rejects.toMatchObject({ code: 'no_such_process' });
    await expect(client.request('fail')).rejects.toBeInstanceOf(RemoteError);
    client.close();
  });

  it('rejects pending requests when procinit goes away', async () => {
    await listen();
    const client = await ControlClient.connect(path);
    const pending = client.request('slow', { ms: 5000 });
    const closing = server!.close();
    server = null;
    await expect(pending).rejects.toBeInstanceOf(ControlUnavailable);
    await closing;
  }, 15_000);
});

describe('a client that does not read', () => {
  it('has its stream dropped once too much waits for it; memory stays bounded', async () => {
    let sentBytes = 0;
    let dropped: (() => void) | null = null;
    const droppedP = new Promise<void>((r) => (dropped = r));
    const cmds = commands();
    cmds.set('flood', {
      handler: async (_args, ctx) => {
        const s = ctx.beginStream(null);
        const line = 'x'.repeat(1024);
        const pump = (): void => {
          for (let i = 0; i < 256; i++) {
            if (!s.event({ line })) return dropped!();
            sentBytes += line.length;
          }
          setImmediate(pump);
        };
        pump();
      },
    });
    server = await ControlServer.listen({ path, hello, commands: cmds, onInternalError: () => {} });
    const c = connect(path);
    c.on('error', () => {});
    c.write('{"id":1,"cmd":"flood"}\n');
    c.pause(); // never read
    await droppedP;
    expect(sentBytes).toBeLessThan(16 * 1024 * 1024);
    c.destroy();
  }, 30_000);
});
