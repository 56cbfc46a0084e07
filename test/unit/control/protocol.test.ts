import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeResize,
  encode,
  encodeFrame,
  encodeResize,
  FrameDecoder,
  FrameTooLarge,
  FrameType,
  LineReader,
  MAX_FRAME_BYTES,
  parseRequest,
  PROTOCOL_VERSION,
  RequestError,
  RequestIdError,
} from '../../../src/control/protocol.js';

function reader(max = 1024) {
  const lines: string[] = [];
  let overflows = 0;
  const r = new LineReader((l) => lines.push(l.toString()), () => overflows++, max);
  return { r, lines, overflows: () => overflows };
}

describe('LineReader', () => {
  it('splits lines across chunks, drops CR before LF and blank lines', () => {
    const { r, lines } = reader();
    r.push(Buffer.from('{"a":1}\n{"b"'));
    r.push(Buffer.from(':2}\r\n\n\n{"c":3}'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    r.end();
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('gives the same lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z{}":0-9]{1,20}$/), { maxLength: 20 }), fc.array(fc.nat(30), { maxLength: 10 }), (items, cuts) => {
        const text = items.map((s) => s + '\n').join('');
        const buf = Buffer.from(text);
        const { r, lines } = reader();
        let pos = 0;
        for (const c of cuts) {
          const end = Math.min(buf.length, pos + c);
          r.push(buf.subarray(pos, end));
          pos = end;
        }
        r.push(buf.subarray(pos));
        expect(lines).toEqual(items);
      }),
    );
  });

  it('stops at a line longer than the cap, holding no more than the cap', () => {
    const { r, lines, overflows } = reader(100);
    r.push(Buffer.from('{"ok":1}\n'));
    for (let i = 0; i < 50; i++) {
      r.push(Buffer.alloc(30, 'x'));
      expect(r.pending).toBeLessThanOrEqual(100);
    }
    expect(overflows()).toBe(1);
    expect(r.stopped).toBe(true);
    r.push(Buffer.from('\n{"after":1}\n'));
    expect(lines).toEqual(['{"ok":1}']);
  });

  it('accepts a line of exactly the cap', () => {
    const { r, lines, overflows } = reader(10);
    r.push(Buffer.from('0123456789\n'));
    expect(lines).toEqual(['0123456789']);
    expect(overflows()).toBe(0);
  });

  it('leaves the bytes after a line at which the caller stops', () => {
    const { r, lines } = reader();
    let stop = false;
    const rest = r.push(Buffer.from('{"cmd":"attach"}\n\x01\x00\x00\x00\x01A'), () => {
      stop = lines.length === 1;
      return stop;
    });
    expect(lines).toEqual(['{"cmd":"attach"}']);
    expect(rest).toEqual(Buffer.from('\x01\x00\x00\x00\x01A'));
  });
});

describe('parseRequest', () => {
  it('reads a full request', () => {
    expect(parseRequest('{"v":1,"id":7,"cmd":"status","args":{"names":["web"]}}')).toEqual({
      v: 1,
      id: 7,
      cmd: 'status',
      args: { names: ['web'] },
    });
  });

  it('defaults v, id and args', () => {
    expect(parseRequest('{"cmd":"status"}')).toEqual({ v: PROTOCOL_VERSION, id: null, cmd: 'status', args: {} });
  });

  it.each([
    ['not json', 'bad_request'],
    ['[1,2]', 'bad_request'],
    ['null', 'bad_request'],
    ['"status"', 'bad_request'],
    ['{"id":{},"cmd":"x"}', 'bad_request'],
    ['{"id":1}', 'bad_request'],
    ['{"id":1,"cmd":""}', 'bad_request'],
    ['{"id":1,"cmd":"x","args":[1]}', 'bad_request'],
    ['{"v":2,"id":1,"cmd":"status"}', 'unsupported_version'],
  ])('refuses %s with %s', (line, code) => {
    let err: unknown;
    try {
      parseRequest(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).code).toBe(code);
  });

  it('keeps the id of a refused request when it can read it', () => {
    try {
      parseRequest('{"v":9,"id":"abc","cmd":"status"}');
    } catch (e) {
      expect(e).toBeInstanceOf(RequestIdError);
      expect((e as RequestIdError).id).toBe('abc');
    }
  });

  it('never throws anything but RequestError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array().map((a) => Buffer.from(a).toString('latin1'))), (s) => {
        try {
          parseRequest(s);
        } catch (e) {
          expect(e).toBeInstanceOf(RequestError);
        }
      }),
    );
  });

  it('encodes one message per line', () => {
    expect(encode({ id: 1, ok: true, result: { a: 'x\ny' } }).toString()).toBe('{"id":1,"ok":true,"result":{"a":"x\\ny"}}\n');
  });
});

describe('frames', () => {
  it('round-trip through any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(FrameType.Data, FrameType.Resize, FrameType.Detach), payload: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type, Buffer.from(f.payload))));
          const dec = new FrameDecoder();
          const got: Array<{ type: number; payload: Buffer }> = [];
          let pos = 0;
          let k = 0;
          while (pos < bytes.length) {
            const end = Math.min(bytes.length, pos + cuts[k++ % cuts.length]);
            got.push(...dec.push(bytes.subarray(pos, end)));
            pos = end;
          }
          expect(got.map((f) => ({ type: f.type, payload: [...f.payload] }))).toEqual(frames.map((f) => ({ type: f.type, payload: [...f.payload] })));
        },
      ),
    );
  });

  it('carries a terminal size', () => {
    const [frame] = new FrameDecoder().push(encodeResize(132, 43));
    expect(frame.type).toBe(FrameType.Resize);
    expect(decodeResize(frame.payload)).toEqual({ cols: 132, rows: 43 });
    expect(decodeResize(Buffer.alloc(3))).toBeNull();
  });

  it('refuses a frame announcing more than the cap', () => {
    const header = Buffer.from([FrameType.Data, 0, 0, 0, 0]);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 1);
    expect(() => new FrameDecoder().push(header)).toThrow(FrameTooLarge);
    expect(() => encodeFrame(FrameType.Data, Buffer.alloc(MAX_FRAME_BYTES + 1))).toThrow(RangeError);
  });
});
