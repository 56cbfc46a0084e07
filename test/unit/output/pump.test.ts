/**
 * Children's output read by native/pump.c (src/output/pump.ts) and, for comparison, without it (the
 * net.Socket path pipe.ts keeps for an addon without the pump): real child processes writing at once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogTarget } from '../../../src/config/model.js';
import { RecordFormatter } from '../../../src/output/format.js';
import { OutputHub } from '../../../src/output/hub.js';
import { outputAddon } from '../../../src/output/native.js';
import { outputPipePair } from '../../../src/output/pipe.js';
import { disablePumpForTests, outputPump, releaseOutputBuffers } from '../../../src/output/pump.js';
import { FdWriter } from '../../../src/output/writer.js';
import { tempDir } from '../../helpers/procinit.js';

const mux: LogTarget = { kind: 'mux' };
const text = () => new RecordFormatter({ format: 'text', color: false, timestamps: false });

/**
 * A child that writes `lines` lines "ID SEQ filler" to its stdout: in writes of `chunk` bytes that cut lines
 * anywhere (C stdio on a pipe), or, with chunk 0, 40 whole lines per write (under PIPE_BUF).
 */
const WRITER = `
const [id, lines, chunk] = process.argv.slice(1).map(Number);
const fs = require('fs');
let pending = '';
const put = (s) => { let off = 0; const b = Buffer.from(s); while (off < b.length) off += fs.writeSync(1, b, off); };
for (let i = 0; i < lines; i++) {
  pending += id + ' ' + i + ' ' + 'x'.repeat(40 + (i * 7 + id) % 50) + '\\n';
  if (chunk === 0 ? (i + 1) % 40 === 0 : pending.length >= chunk) {
    if (chunk === 0) { put(pending); pending = ''; }
    else { while (pending.length >= chunk) { put(pending.slice(0, chunk)); pending = pending.slice(chunk); } }
  }
}
put(pending);
`;

/** Resolves once cond() holds (checked every few ms; the tests' own timeouts bound it). */
function until(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => void (cond() ? resolve() : setTimeout(check, 5));
    check();
  });
}

function runWriter(id: number, lines: number, chunk: number, stdoutFd: number): Promise<void> {
  const child = spawn(process.execPath, ['-e', WRITER, String(id), String(lines), String(chunk)], { stdio: ['ignore', stdoutFd, 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${id} exited with ${code}`))));
  });
}

/** N writers through one hub into a file; returns the file's text and the hub. */
async function flood(opts: { raw: boolean; writers: number; lines: number; chunk: number }): Promise<{ out: string; hub: OutputHub }> {
  const file = join(tempDir(), 'out');
  const fd = openSync(file, 'w');
  const writer = new FdWriter(fd);
  const hub = new OutputHub(writer, text(), null, { raw: opts.raw });
  const runs: Array<Promise<void>> = [];
  for (let id = 1; id <= opts.writers; id++) {
    const [r, w] = outputPipePair()!;
    hub.attachPipe(`w${id}`, 'stdout', { fd: r }, mux);
    runs.push(runWriter(id, opts.lines, opts.chunk, w).finally(() => closeSync(w)));
  }
  await Promise.all(runs);
  expect(await hub.pipesDrained(30_000)).toBe(true);
  await writer.flush();
  closeSync(fd);
  return { out: readFileSync(file, 'latin1'), hub };
}

/** Every line whole, each writer's lines all there and in order (the first fault, if any). */
function checkLines(lines: string[], writers: number, count: number, prefixed: boolean): void {
  const next = new Array<number>(writers + 1).fill(0);
  const re = prefixed ? /^w(\d+) +\| (\d+) (\d+) (x+)$/ : /^()(\d+) (\d+) (x+)$/;
  let fault: string | null = null;
  for (const line of lines) {
    const m = re.exec(line);
    const id = m ? Number(m[2]) : 0;
    const seq = m ? Number(m[3]) : -1;
    if (!m || (prefixed && Number(m[1]) !== id) || m[4].length !== 40 + ((seq * 7 + id) % 50) || seq !== next[id]) {
      fault = `a torn, foreign or misplaced line: ${JSON.stringify(line.slice(0, 120))}`;
      break;
    }
    next[id]++;
  }
  expect(fault).toBeNull();
  expect(next.slice(1)).toEqual(new Array(writers).fill(count));
}

describe.each([
  ['the pump', false],
  ['net.Socket (an addon without the pump)', true],
])('children output read by %s', (_name, withoutPump) => {
  afterEach(() => disablePumpForTests(false));

  it('prefixes the lines of 6 programs writing at once, whole and in order, even when they write blocks that cut lines', async () => {
    disablePumpForTests(withoutPump);
    if (!withoutPump) expect(outputPump()).not.toBeNull();
    const { out, hub } = await flood({ raw: false, writers: 6, lines: 4000, chunk: 4096 });
    expect(out.endsWith('\n')).toBe(true);
    checkLines(out.slice(0, -1).split('\n'), 6, 4000, true);
    // the ring (logs, connect) holds each program's last lines, unprefixed
    const recent = hub.recent(['w3'], 5).map((r) => r.line.toString('latin1'));
    expect(recent.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['3 3995', '3 3996', '3 3997', '3 3998', '3 3999']);
  }, 60_000);

  it.each([false, true])('drain() at a program\'s exit delivers all it wrote, its unterminated last line too, at once (raw: %s)', async (raw) => {
    disablePumpForTests(withoutPump);
    const fd = openSync('/dev/null', 'w');
    const writer = new FdWriter(fd);
    const hub = new OutputHub(writer, text(), null, { raw });
    const [r, w] = outputPipePair()!;
    const source = hub.attachPipe('quick', 'stdout', { fd: r }, mux);
    const { writeSync } = await import('node:fs');
    writeSync(w, 'first\nlast');
    closeSync(w);
    // as the supervisor does when it sees the exit, before it says so: no turn of the event loop between
    source.drain();
    expect(hub.recent(['quick'], 10).map((x) => x.line.toString())).toEqual(['first', 'last']);
    expect(await hub.pipesDrained(0)).toBe(true);
    await writer.flush();
    closeSync(fd);
  });

  it('passes raw output through as written: whole lines from programs that write whole lines, each program in order', async () => {
    disablePumpForTests(withoutPump);
    const { out, hub } = await flood({ raw: true, writers: 6, lines: 4000, chunk: 0 });
    checkLines(out.slice(0, -1).split('\n'), 6, 4000, false);
    expect(hub.recent(['w6'], 1).map((r) => r.line.toString('latin1').split(' ').slice(0, 2).join(' '))).toEqual(['6 3999']);
  }, 60_000);
});

/** A child writing a file to its stdout in chunks of random sizes (seeded), so reads end anywhere. */
const CHUNKER = `
const fs = require('fs');
const data = fs.readFileSync(process.argv[1]);
let seed = Number(process.argv[2]);
const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
for (let off = 0; off < data.length; ) {
  const n = Math.min(data.length - off, 1 + rand(rand(4) === 0 ? 100000 : 3000));
  off += fs.writeSync(1, data, off, n);
}
`;

/** What a hub writes to a file for these bytes written by one program in random chunks. */
async function throughHub(bytes: Buffer, seed: number, withoutPump: boolean, raw: boolean, name = 'prog'): Promise<string> {
  return (await throughHubRing(bytes, seed, withoutPump, raw, name)).out;
}

/** The same, with the last `keep` lines the ring keeps, as text. */
async function throughHubRing(bytes: Buffer, seed: number, withoutPump: boolean, raw: boolean, name = 'prog', keep = 300): Promise<{ out: string; ring: string[] }> {
  disablePumpForTests(withoutPump);
  const dir = tempDir();
  const input = join(dir, 'in');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(input, bytes);
  const fd = openSync(join(dir, 'out'), 'w');
  const writer = new FdWriter(fd);
  const hub = new OutputHub(writer, text(), null, { raw });
  const [r, w] = outputPipePair()!;
  hub.attachPipe(name, 'stdout', { fd: r }, mux);
  const child = spawn(process.execPath, ['-e', CHUNKER, input, String(seed)], { stdio: ['ignore', w, 'inherit'] });
  await new Promise((resolve) => child.on('exit', resolve));
  closeSync(w);
  expect(await hub.pipesDrained(30_000)).toBe(true);
  await writer.flush();
  closeSync(fd);
  disablePumpForTests(false);
  return { out: readFileSync(join(dir, 'out'), 'latin1'), ring: hub.recent([name], keep).map((r) => r.line.toString('latin1')) };
}

describe('the pump', () => {
  it('hands JavaScript what its buffer cannot hold once prefixed (a 300-character name, 200,000 empty lines), in order', async () => {
    const name = 'n'.repeat(300);
    const bytes = Buffer.from('\n'.repeat(100_000) + 'middle\n' + '\n'.repeat(100_000), 'latin1');
    const viaPump = await throughHub(bytes, 11, false, false, name);
    expect(viaPump === (await throughHub(bytes, 13, true, false, name))).toBe(true);
    expect(viaPump.split('\n').length).toBe(200_002);
  }, 60_000);

  it('formats exactly as the JavaScript path: empty lines, long lines cut at 64 KiB, \\r\\n, an unterminated end, any chunking', async () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const parts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = rand(20);
      const len = kind === 0 ? 0 : kind === 1 ? 60000 + rand(150000) : rand(200);
      parts.push(String.fromCharCode(97 + (i % 26)).repeat(len) + (kind === 2 ? '\r\n' : '\n'));
    }
    parts.push('no newline at the end');
    const bytes = Buffer.from(parts.join(''), 'latin1');
    for (const raw of [false, true]) {
      const viaPump = await throughHubRing(bytes, 3, false, raw);
      const viaSocket = await throughHubRing(bytes, 5, true, raw);
      expect(viaPump.out.length).toBe(viaSocket.out.length);
      expect(viaPump.out === viaSocket.out).toBe(true);
      if (raw) expect(viaPump.out === bytes.toString('latin1')).toBe(true);
      // what `logs` and `connect` show: the same lines, the unterminated last one included
      expect(viaPump.ring.length).toBe(300);
      expect(viaPump.ring.join('\n') === viaSocket.ring.join('\n')).toBe(true);
      expect(viaPump.ring[299]).toBe('no newline at the end');
    }
  }, 60_000);

  it('keeps the last 1,000 lines in the ring when one read brings thousands (it copies only those), long lines too', async () => {
    let seed = 21;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const short = (i: number): string => String(i) + 'y'.repeat(rand(12)) + '\n';
    const inputs = [
      // short lines only: a read of a full pipe is far more than 1,000 lines
      Array.from({ length: 60_000 }, (_, i) => short(i)).join(''),
      // a line longer than maxLine (64 KiB) among the last 1,000: the pump cannot count parts by "\n" there
      Array.from({ length: 60_000 }, (_, i) => (i === 59_500 || i === 20_000 ? 'L'.repeat(100_000) + '\n' : short(i))).join(''),
      // \r\n line ends and an unterminated end
      Array.from({ length: 30_000 }, (_, i) => String(i) + '\r\n').join('') + 'end',
    ];
    for (const text of inputs) {
      const bytes = Buffer.from(text, 'latin1');
      const expected = text.split('\n').flatMap((l) => (l.length > 65536 ? [l.slice(0, 65536), l.slice(65536)] : [l]));
      if (text.endsWith('\n')) expected.pop();
      for (const raw of [false, true]) {
        const viaPump = await throughHubRing(bytes, 9, false, raw, 'prog', 1000);
        const viaSocket = await throughHubRing(bytes, 9, true, raw, 'prog', 1000);
        expect(viaPump.out === viaSocket.out).toBe(true);
        expect(viaPump.ring.length).toBe(1000);
        expect(viaPump.ring.join('\n') === expected.slice(-1000).join('\n')).toBe(true);
        expect(viaSocket.ring.join('\n') === expected.slice(-1000).join('\n')).toBe(true);
      }
    }
  }, 60_000);

  it('makes the pipe of a program that fills it 256 KiB (at most 32 such pipes at once), a quiet one stays at 64 KiB', async () => {
    const capacity = outputAddon()?.pipeCapacity;
    expect(capacity).toBeTypeOf('function');
    const fd = openSync('/dev/null', 'w');
    const writer = new FdWriter(fd);
    const hub = new OutputHub(writer, text(), null, { raw: true });
    const { writeSync } = await import('node:fs');
    const lines = Array.from({ length: 600 }, (_, i) => `${String(i).padStart(5, '0')} ${'z'.repeat(93)}\n`).join(''); // 60,000 bytes
    const pipes: Array<{ w: number; closed: boolean }> = [];
    const attach = (name: string): { w: number; closed: boolean } => {
      const [r, w] = outputPipePair()!;
      const p = { w, closed: false };
      hub.attachPipe(name, 'stdout', { fd: r }, mux, () => (p.closed = true));
      pipes.push(p);
      return p;
    };
    const quiet = attach('quiet');
    writeSync(quiet.w, 'hello\n');
    const floods = Array.from({ length: 40 }, (_, i) => attach(`f${i}`));
    for (const p of floods) writeSync(p.w, lines);
    await until(() => floods.every((_, i) => hub.recent([`f${i}`], 1)[0]?.line.toString().startsWith('00599')) && hub.recent(['quiet'], 1).length === 1);
    const sizes = () => floods.map((p) => capacity!(p.w));
    expect(sizes().filter((s) => s === 256 * 1024).length).toBe(32);
    expect(sizes().filter((s) => s === 64 * 1024).length).toBe(8);
    expect(capacity!(quiet.w)).toBe(64 * 1024);
    // a big pipe's end gives its place to the next program that fills its pipe
    const big = floods.filter((p) => capacity!(p.w) === 256 * 1024).slice(0, 4);
    for (const p of big) closeSync(p.w);
    await until(() => big.every((p) => p.closed));
    const small = floods.find((p) => capacity!(p.w) === 64 * 1024)!;
    writeSync(small.w, lines);
    await until(() => capacity!(small.w) === 256 * 1024);
    for (const p of pipes) if (!big.includes(p)) closeSync(p.w);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    await writer.flush();
    closeSync(fd);
  }, 30_000);

  it('keeps pipes at 64 KiB while a follower (logs -f, connect) is attached, big ones going back once empty', async () => {
    const capacity = outputAddon()!.pipeCapacity!;
    const fd = openSync('/dev/null', 'w');
    const writer = new FdWriter(fd);
    const hub = new OutputHub(writer, text(), null, { raw: true });
    const { writeSync } = await import('node:fs');
    const lines = (tag: string): string => Array.from({ length: 600 }, (_, i) => `${tag}${String(i).padStart(5, '0')} ${'z'.repeat(92)}\n`).join('');
    const [ra, wa] = outputPipePair()!;
    hub.attachPipe('a', 'stdout', { fd: ra }, mux);
    writeSync(wa, lines('a'));
    await until(() => capacity(wa) === 256 * 1024);
    const seen: string[] = [];
    const unfollow = hub.follow(null, (records) => records.forEach((r) => seen.push(r.line.toString())));
    writeSync(wa, 'one more\n'); // read with the pipe emptied: back to 64 KiB
    await until(() => seen.includes('one more'));
    expect(capacity(wa)).toBe(64 * 1024);
    const [rb, wb] = outputPipePair()!;
    hub.attachPipe('b', 'stdout', { fd: rb }, mux);
    writeSync(wb, lines('b'));
    await until(() => seen.includes(`b00599 ${'z'.repeat(92)}`));
    expect(capacity(wb)).toBe(64 * 1024); // filled, but followed
    unfollow();
    writeSync(wb, lines('c'));
    await until(() => capacity(wb) === 256 * 1024);
    closeSync(wa);
    closeSync(wb);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    await writer.flush();
    closeSync(fd);
  }, 30_000);

  it('gives the pages of its buffers back after a flood (the memory watch trims), and reads on as before after that', async () => {
    // empty lines behind a 300-byte prefix: every read fills the 4 MiB out buffer
    const empty = await throughHub(Buffer.from('\n'.repeat(100_000), 'latin1'), 17, false, false, 'n'.repeat(300));
    expect(empty.split('\n').length).toBe(100_001);
    const before = process.memoryUsage.rss();
    expect(releaseOutputBuffers()).toBeGreaterThanOrEqual(5 * 1024 * 1024 - 8192);
    expect(before - process.memoryUsage.rss()).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    const { out: again } = await flood({ raw: true, writers: 2, lines: 20_000, chunk: 0 });
    checkLines(again.slice(0, -1).split('\n'), 2, 20_000, false);
  }, 60_000);

  it('keeps an unterminated line until its end comes, across reads, and ends a pipe with it as is', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const writer = new FdWriter(fd);
    const hub = new OutputHub(writer, text());
    const [r, w] = outputPipePair()!;
    hub.attachPipe('web', 'stdout', { fd: r }, mux);
    const { writeSync } = await import('node:fs');
    writeSync(w, 'hel');
    // another program's line meanwhile: the unfinished line must not be cut by it
    const [r2, w2] = outputPipePair()!;
    hub.attachPipe('api', 'stdout', { fd: r2 }, mux);
    writeSync(w2, 'between\n');
    closeSync(w2);
    await until(() => hub.recent(['api'], 1).length === 1); // read: the pump holds "hel" meanwhile
    writeSync(w, 'lo\nlast without newline');
    closeSync(w);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    await writer.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('api      | between\nweb      | hello\nweb      | last without newline\n');
    expect(hub.recent(['web'], 10).map((x) => x.line.toString())).toEqual(['hello', 'last without newline']);
  });

  it('uses a wider prefix once the formatter learns a longer name', async () => {
    const file = join(tempDir(), 'out');
    const fd = openSync(file, 'w');
    const writer = new FdWriter(fd);
    const formatter = text();
    const hub = new OutputHub(writer, formatter);
    const [r, w] = outputPipePair()!;
    hub.attachPipe('web', 'stdout', { fd: r }, mux);
    const { writeSync } = await import('node:fs');
    writeSync(w, 'before\n');
    await until(() => hub.recent(['web'], 1).length === 1);
    formatter.setNames(['a-much-longer-name']);
    writeSync(w, 'after\n');
    closeSync(w);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    await writer.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(`web      | before\nweb${' '.repeat(15)} | after\n`);
  });

  it.each([
    ['a blocking pipe, prefixed lines', false, false],
    ['a non-blocking FIFO (the pump writes until EAGAIN, the writer queues the rest), raw output', true, true],
  ])('stops reading while stdout is blocked (%s): the programs wait, memory stays bounded, nothing is lost', async (_what, nonBlocking, raw) => {
    // procinit's stdout is a pipe nobody reads (a stopped log collector)
    let outR: number;
    let outW: number;
    if (nonBlocking) {
      const fifo = join(tempDir(), 'fifo');
      execFileSync('mkfifo', [fifo]);
      outR = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      outW = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } else {
      [outR, outW] = outputPipePair()!;
    }
    const highWater = 256 * 1024;
    const writer = new FdWriter(outW, highWater);
    const hub = new OutputHub(writer, text(), null, { raw });
    const [r, w] = outputPipePair()!;
    hub.attachPipe('w1', 'stdout', { fd: r }, mux);
    const lines = 60_000; // ~5 MiB prefixed: far more than the writer may hold plus the pipes
    let done = false;
    const run = runWriter(1, lines, 4096, w).finally(() => {
      closeSync(w);
      done = true;
    });
    await new Promise((resolve) => writer.once('congested', resolve));
    // a window to watch: the program must stay blocked and the queue must not grow past one pump batch
    let most = 0;
    for (let i = 0; i < 30; i++) {
      most = Math.max(most, writer.pendingBytes);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(done).toBe(false);
    expect(most).toBeLessThanOrEqual(highWater + 1024 * 1024);
    // the collector reads again: everything arrives, whole
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(256 * 1024);
    let finished = false;
    void run.then(() => hub.pipesDrained(30_000)).then(() => writer.flush()).then(() => (finished = true));
    for (;;) {
      let n = 0;
      try {
        n = readSync(outR, buf, 0, buf.length, null);
      } catch {
        n = -1; // EAGAIN: nothing for now
      }
      if (n > 0) chunks.push(Buffer.from(buf.subarray(0, n)));
      else if (finished) break;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    closeSync(outW);
    closeSync(outR);
    const out = Buffer.concat(chunks).toString('latin1');
    checkLines(out.slice(0, -1).split('\n'), 1, lines, !raw);
  }, 60_000);
});
