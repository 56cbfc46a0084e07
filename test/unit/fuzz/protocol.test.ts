/**
 * Fuzz: the control protocol's request side.
 * - parseRequest on request-shaped JSON and on mutated request lines: a Request with the documented shape,
 *   or a RequestError with a documented code; nothing else.
 * - LineReader on random bytes in random chunks, against a reference model of its rules (split at LF, drop a
 *   CR before it and blank lines, stop at a line over the cap, deliver a non-blank tail at the end).
 * - FrameDecoder on random frames in random chunks (the same frames back) and on garbage (frames or
 *   FrameTooLarge, nothing else).
 * - A live ControlServer with procinit's real command handlers over a Supervisor of fake processes: random
 *   and mutated requests on real sockets each get an answer (ok, or an error with a documented code, never
 *   `internal`), and the server keeps answering.
 */
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import type { RunSpec } from '../../../src/config/model.js';
import { ControlServer } from '../../../src/control/server.js';
import { createControlService } from '../../../src/control/service.js';
import {
  encodeFrame,
  ERROR_CODES,
  FrameDecoder,
  FrameTooLarge,
  LineReader,
  parseRequest,
  RequestError,
  type Frame,
  type Hello,
} from '../../../src/control/protocol.js';
import { RecordFormatter } from '../../../src/output/format.js';
import { OutputHub } from '../../../src/output/hub.js';
import { silentLogger } from '../../../src/output/log.js';
import { FdWriter } from '../../../src/output/writer.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { tempDir } from '../../helpers/procinit.js';
import { RawClient } from '../../reliability/support/socket-client.js';
import { FakeClock, FakeLauncher } from '../control/fakes.js';
import { mutated, params } from './support.js';

const CODES = new Set<string>(ERROR_CODES);
const COMMANDS = ['hello', 'status', 'start', 'stop', 'restart', 'signal', 'logs', 'scale', 'reload', 'shutdown', 'attach'];
const NAMES = ['web', 'web.1', 'web.2', 'worker', 'worker.1', 'all', 'web:*', 'group:*', 'nope', '', ' ', 'web\n.1', '__proto__', 'constructor'];

/** Plausible and implausible argument values. */
const argValue = fc.oneof(
  fc.array(fc.constantFrom(...NAMES), { maxLength: 4 }),
  fc.constantFrom('TERM', 'SIGUSR1', 'usr2', '15', '0', '99', 'KILL', 'HUP', 'bogus', ''),
  fc.integer({ min: -5, max: 1_000_001 }),
  fc.constantFrom(true, false, null, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.dictionary(fc.constantFrom('web', 'worker', 'all', 'nope', '__proto__'), fc.oneof(fc.integer({ min: -2, max: 1002 }), fc.constantFrom('2', null, 1.5))),
  fc.jsonValue({ maxDepth: 3 }),
);
const args = fc.dictionary(fc.constantFrom('names', 'lines', 'follow', 'signal', 'counts', 'n', 'wait', 'x', '__proto__'), argValue, { maxKeys: 4 });
const requestObject = fc.record(
  {
    v: fc.oneof(fc.constant(1), fc.constantFrom(0, 2, '1', null, 1.0)),
    id: fc.oneof(fc.nat(), fc.string({ maxLength: 8 }), fc.constantFrom(null, true, [], {}, 1.5)),
    cmd: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(1, null, [], '')) }),
    args: fc.oneof({ weight: 6, arbitrary: args }, { weight: 1, arbitrary: fc.constantFrom(null, [], 'x', 3) }),
  },
  { requiredKeys: ['cmd'] },
);
const requestLine = fc.oneof(
  { weight: 4, arbitrary: requestObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: mutated(requestObject.map((o) => JSON.stringify(o))) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.json()) },
);

function checkRequestOrError(line: string): 'ok' | 'error' {
  try {
    const req = parseRequest(line);
    expect(req.v).toBe(1);
    expect(typeof req.cmd === 'string' && req.cmd !== '').toBe(true);
    expect(req.id === null || typeof req.id === 'string' || typeof req.id === 'number').toBe(true);
    expect(typeof req.args === 'object' && req.args !== null && !Array.isArray(req.args)).toBe(true);
    return 'ok';
  } catch (err) {
    expect(err, `for ${JSON.stringify(line)}`).toBeInstanceOf(RequestError);
    expect(CODES.has((err as RequestError).code)).toBe(true);
    expect((err as RequestError).message).not.toMatch(/[\n\r]/);
    return 'error';
  }
}

describe('fuzz: parseRequest', () => {
  it('request-shaped JSON and mutated request lines: a Request or a RequestError', () => {
    const seen = { ok: 0, error: 0 };
    fc.assert(fc.property(requestLine, (line) => void seen[checkRequestOrError(line)]++), params(6000));
    // eslint-disable-next-line no-console
    console.log(`[fuzz] parseRequest: 6000 lines, ${seen.ok} accepted, ${seen.error} refused`);
    expect(seen.ok).toBeGreaterThan(1000);
  });
});

/** LineReader's rules, written plainly: what it must deliver for these bytes. */
function referenceLines(bytes: Buffer, max: number): { lines: string[]; overflow: boolean } {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    if (end - start > max) return { lines, overflow: true };
    if (nl < 0) {
      const tail = bytes.subarray(start);
      if (tail.toString('utf8').trim() !== '') lines.push(tail.toString('latin1'));
      return { lines, overflow: false };
    }
    let line = bytes.subarray(start, nl);
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    if (line.length > 0) lines.push(line.toString('latin1'));
    start = nl + 1;
  }
}

describe('fuzz: LineReader', () => {
  it('random bytes in random chunks: the lines of a reference model, or the overflow at the same place', () => {
    const bytes = fc.array(fc.oneof(fc.constantFrom(10, 13, 32, 9, 0), fc.integer({ min: 0, max: 255 })), { maxLength: 400 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(bytes, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 80 }), (buf, cuts, max) => {
        const got: string[] = [];
        let overflowed = false;
        const reader = new LineReader((l) => got.push(l.toString('latin1')), () => (overflowed = true), max);
        let at = 0;
        let k = 0;
        while (at < buf.length && !overflowed) {
          const n = cuts[k++ % cuts.length];
          reader.push(buf.subarray(at, at + n));
          at += n;
        }
        if (!overflowed) reader.end();
        const want = referenceLines(buf, max);
        expect(overflowed).toBe(want.overflow);
        expect(got).toEqual(want.lines);
      }),
      params(5000),
    );
  });
});

describe('fuzz: FrameDecoder', () => {
  it('frames cut at random places come back whole', () => {
    const frames = fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 12 });
    fc.assert(
      fc.property(frames, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), (fs, cuts) => {
        const wire = Buffer.concat(fs.map((f) => encodeFrame(f.type, Buffer.from(f.payload))));
        const d = new FrameDecoder();
        const got: Frame[] = [];
        let at = 0;
        let k = 0;
        while (at < wire.length) {
          const n = cuts[k++ % cuts.length];
          got.push(...d.push(wire.subarray(at, at + n)).map((f) => ({ type: f.type, payload: Buffer.from(f.payload) })));
          at += n;
        }
        expect(got.map((f) => [f.type, f.payload.toString('hex')])).toEqual(fs.map((f) => [f.type, Buffer.from(f.payload).toString('hex')]));
      }),
      params(2000),
    );
  });

  it('garbage: frames or FrameTooLarge, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 100 }), (bytes, cut) => {
        const d = new FrameDecoder();
        let payloadBytes = 0;
        try {
          for (let at = 0; at < bytes.length; at += cut) for (const f of d.push(Buffer.from(bytes.subarray(at, at + cut)))) payloadBytes += f.payload.length;
        } catch (err) {
          expect(err).toBeInstanceOf(FrameTooLarge);
        }
        expect(payloadBytes).toBeLessThanOrEqual(bytes.length);
      }),
      params(3000),
    );
  });
});

describe('fuzz: the live control server with the real handlers', () => {
  const internal: string[] = [];
  let dir: string;
  let server: ControlServer;
  let sup: Supervisor;

  async function boot(): Promise<void> {
    dir = tempDir();
    writeFileSync(join(dir, 'Procfile'), 'web: serve\nworker: work\n');
    const load = defaultLoadOptions({ cwd: dir, env: {}, canDie: 'all', formation: 'web=2' });
    const run: RunSpec = loadRun(load);
    const clock = new FakeClock();
    const launcher = new FakeLauncher(() => sup.run, () => clock.now());
    sup = new Supervisor(run, { launcher, clock, log: silentLogger(), signal: launcher.signal });
    const hub = new OutputHub(new FdWriter(openSync('/dev/null', 'w')), new RecordFormatter({ format: 'text', color: false, timestamps: false }));
    const hello: Hello = { hello: 'procinit', v: 1, version: 'fuzz', pid: process.pid };
    const service = createControlService({ supervisor: sup, hub, log: silentLogger(), load }, hello);
    server = await ControlServer.listen({
      path: join(dir, 'sock'),
      hello,
      commands: service.commands,
      onInternalError: (cmd, err) => internal.push(`${cmd}: ${(err as Error)?.stack ?? String(err)}`),
    });
    sup.start();
  }

  beforeAll(boot);
  afterAll(async () => {
    await server.close();
  });

  it('answers every random request with ok or a documented error, never internal, and keeps serving', async () => {
    const lines = fc.sample(requestLine, { numRuns: 1500, seed: 424242 });
    let answered = 0;
    let errors = 0;
    let reconnects = 0;
    let c = await RawClient.open(join(dir, 'sock'));
    let open = true;
    void c.closed.then(() => (open = false));
    for (let i = 0; i < lines.length; i++) {
      if (sup.stopping) {
        c.destroy();
        await server.close();
        await boot(); // a fuzzed `shutdown` ended that run: a fresh one for what follows
      }
      if (!open || c.socket.destroyed) {
        // the server closes a connection after 10 bad lines in a row (random bytes are not a client)
        c = await RawClient.open(join(dir, 'sock'));
        open = true;
        void c.closed.then(() => (open = false));
        reconnects++;
      }
      // a fresh numeric id on every JSON object, so that its answer can be found; others are answered with id null
      let line = lines[i].replace(/\n/g, ' ');
      let id: number | null = null;
      try {
        const obj = JSON.parse(line) as unknown;
        if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
          id = i;
          line = JSON.stringify({ ...obj, id });
        }
      } catch {
        /* not JSON */
      }
      if (line.trim() === '') continue; // blank lines are skipped by the server, not answered
      const from = c.messages.length;
      c.socket.write(line + '\n');
      const isAnswer = (m: { id?: unknown; ok?: unknown; error?: unknown }): boolean => (m.id === id || m.id === null) && (m.ok !== undefined || m.error !== undefined);
      const answer = await Promise.race([
        c.waitFor(isAnswer, 10_000, from).catch(() => {
          throw new Error(`no answer to ${JSON.stringify(line)}`);
        }),
        c.closed.then(() => c.messages.slice(from).find(isAnswer)),
      ]);
      if (!answer) continue; // closed by the bad-lines cap before answering: checked below
      answered++;
      if (answer.error) {
        errors++;
        expect(CODES.has(answer.error.code), JSON.stringify(answer)).toBe(true);
        expect(answer.error.code, `${line} -> ${JSON.stringify(answer)}`).not.toBe('internal');
      }
    }
    c.destroy();
    expect(internal).toEqual([]);
    // still serving, correctly
    const last = await RawClient.open(join(dir, 'sock'));
    const st = await last.request(1, 'hello');
    expect(st.ok).toBe(true);
    last.destroy();
    // eslint-disable-next-line no-console
    console.log(`[fuzz] control server: ${lines.length} lines, ${answered} answered (${errors} errors), ${reconnects} connections closed by the bad-lines cap, no internal error`);
    expect(answered).toBeGreaterThan(lines.length * 0.9);
  }, 120_000);
});
