import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/procinit.js';
import { describe, expect, it } from 'vitest';
import type { LogTarget } from '../../../src/config/model.js';
import { OutputHub } from '../../../src/output/hub.js';
import { RecordFormatter } from '../../../src/output/format.js';
import { outputPipePair } from '../../../src/output/pipe.js';
import { FdWriter } from '../../../src/output/writer.js';

const stdoutTarget: LogTarget = { kind: 'mux' };

describe('OutputHub', () => {
  it('waits for every pipe to reach end-of-file before a run ends, and delivers what was still in them', async () => {
    const devNull = openSync('/dev/null', 'w');
    const writer = new FdWriter(devNull);
    const hub = new OutputHub(writer, new RecordFormatter({ format: 'text', color: false, timestamps: false }));
    const [r, w] = outputPipePair()!;
    hub.attachPipe('web.1', 'stdout', { fd: r }, stdoutTarget);
    writeSync(w, 'one\ntwo\nthree');
    // the writer end is still open (a program that has not exited): not drained
    expect(await hub.pipesDrained(200)).toBe(false);
    writeSync(w, ' and a half\n');
    closeSync(w);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    expect(hub.recent(['web.1'], 10).map((x) => x.line.toString())).toEqual(['one', 'two', 'three and a half']);
    expect(await hub.pipesDrained(0)).toBe(true);
    // the writer's last batch must be out before its fd is closed (and its number given to another file)
    await writer.flush();
    closeSync(devNull);
  });
});

describe('OutputHub, raw (a supervisord.conf)', () => {
  it('passes /dev/stdout bytes through as read: no prefix, no added newline, still lines for the ring and the echo', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'hub-raw-')), 'out');
    const fd = openSync(file, 'w');
    const writer = new FdWriter(fd);
    const echoed: string[] = [];
    const hub = new OutputHub(writer, new RecordFormatter({ format: 'text', color: false, timestamps: false }), null, {
      raw: true,
      echo: (name, stream, chunk) => echoed.push(`${name}/${stream}:${chunk.toString()}`),
    });
    const [r, w] = outputPipePair()!;
    hub.attachPipe('web', 'stdout', { fd: r }, stdoutTarget);
    writeSync(w, '{"level":"info"}\r\nno newline');
    closeSync(w);
    expect(await hub.pipesDrained(10_000)).toBe(true);
    await writer.flush();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('{"level":"info"}\r\nno newline');
    expect(echoed.join('')).toBe('web/stdout:{"level":"info"}\r\nno newline');
    expect(hub.recent(['web'], 10).map((x) => x.line.toString())).toEqual(['{"level":"info"}\r', 'no newline']);
  });
});

describe('OutputHub: a log file that cannot be written', () => {
  it("sends that stream's lines to stdout, reports once, and leaves other files alone", async () => {
    const dir = tempDir();
    const outFile = join(dir, 'stdout.txt');
    const fd = openSync(outFile, 'w');
    const stdout = new FdWriter(fd);
    const hub = new OutputHub(stdout, new RecordFormatter({ format: 'text', color: false, timestamps: false }));
    const reports: string[] = [];
    hub.onFault((level, msg) => reports.push(`${level}: ${msg}`));
    const full: LogTarget = { kind: 'file', path: '/dev/full', maxBytes: 0, backups: 0 };
    const good: LogTarget = { kind: 'file', path: join(dir, 'good.log'), maxBytes: 0, backups: 0 };
    const batch = (text: string) => [{ data: Buffer.from(text), maxLine: 65536, stripCR: false }];
    hub.deliver('web.1', 'stdout', full, batch('one\ntwo\n'));
    hub.deliver('worker.1', 'stdout', good, batch('fine\n'));
    hub.deliver('web.1', 'stdout', full, batch('three\n'));
    await stdout.flush();
    closeSync(fd);
    expect(readFileSync(outFile, 'utf8')).toMatch(/^web\.1 +\| one\nweb\.1 +\| two\nweb\.1 +\| three\n$/);
    expect(readFileSync(join(dir, 'good.log'), 'utf8')).toBe('fine\n');
    expect(reports).toEqual([
      "warn: cannot write stdout_logfile /dev/full of web.1: ENOSPC (no space left on the device); its lines go to procinit's stdout until it can be written again",
    ]);
    expect(hub.logFileFaults).toEqual({ faults: 1, linesToStdout: 3 });
  });
});
