import { closeSync, openSync, writeSync } from 'node:fs';
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
    const hub = new OutputHub(new FdWriter(devNull), new RecordFormatter({ format: 'text', color: false, timestamps: false }));
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
    closeSync(devNull);
  });
});
