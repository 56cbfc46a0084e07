/**
 * native/source.c's externalSource: the single executable's bundle is compiled from a string over its SEA
 * asset, not from a copy on V8's heap (build/sea-main.cjs). The string must read the buffer's own bytes.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../src/pid1/native.js';

type ExternalSource = (buffer: unknown) => string | undefined;
const externalSource = (loadAddon('procinit') as { externalSource: ExternalSource }).externalSource;

describe('externalSource', () => {
  it('makes a one-byte string with the buffer\'s text', () => {
    const text = "'use strict';\n(function (exports, require) { return 42; })\n".repeat(1000);
    const ab = new ArrayBuffer(text.length);
    Buffer.from(ab).write(text, 'latin1');
    const s = externalSource(ab);
    expect(s).toBe(text);
    expect(Buffer.from(ab).length).toBe(text.length); // the buffer stays alive beside the string
  });

  it('reads the buffer itself, not a copy: a byte changed afterwards is seen through the string', () => {
    const ab = new ArrayBuffer(64);
    const bytes = Buffer.from(ab);
    bytes.fill('a');
    const s = externalSource(ab) as string;
    expect(s.charCodeAt(10)).toBe(0x61);
    bytes[10] = 0x62;
    expect(s.charCodeAt(10)).toBe(0x62);
  });

  it('answers undefined for an empty buffer or something that is not an ArrayBuffer (the caller copies)', () => {
    expect(externalSource(new ArrayBuffer(0))).toBeUndefined();
    expect(externalSource('text')).toBeUndefined();
    expect(externalSource(undefined)).toBeUndefined();
    expect(externalSource(Buffer.from('x'))).toBeUndefined();
  });
});
