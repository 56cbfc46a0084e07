import { describe, expect, it } from 'vitest';
import { ListenerProtocol, MAX_PENDING, pyInt, type ListenerState } from '../../../src/events/protocol.js';

function make(): { p: ListenerProtocol; log: string[] } {
  const log: string[] = [];
  const p: ListenerProtocol = new ListenerProtocol({
    onState: (from, to) => log.push(`${from}->${to}`),
    onResult: (r) => {
      log.push(`result:${r.toString()}`);
      p.change('ACKNOWLEDGED');
    },
    onBadResultLine: (l) => log.push(`bad:${l.toString()}`),
    onOverflow: () => log.push('overflow'),
  });
  return { p, log };
}
const busy = (p: ListenerProtocol): ListenerState => (p.state = 'BUSY');

describe('eventlistener protocol (PEventListenerDispatcher)', () => {
  it('READY, then a result split across reads, then READY in the same read as the result (OKREADY)', () => {
    const { p, log } = make();
    p.push(Buffer.from('REA'));
    expect(p.state).toBe('ACKNOWLEDGED');
    p.push(Buffer.from('DY\n'));
    expect(p.state).toBe('READY');
    busy(p);
    p.push(Buffer.from('RESULT 2\nO'));
    expect(p.state).toBe('BUSY');
    p.push(Buffer.from('KREADY\n'));
    expect(log).toEqual(['ACKNOWLEDGED->READY', 'result:OK', 'BUSY->ACKNOWLEDGED', 'ACKNOWLEDGED->READY']);
    expect(p.state).toBe('READY');
  });

  it('garbage instead of READY, or data while READY, is UNKNOWN for good', () => {
    const a = make();
    a.p.push(Buffer.from('hello there\n'));
    expect(a.p.state).toBe('UNKNOWN');
    a.p.push(Buffer.from('READY\n'));
    expect(a.p.state).toBe('UNKNOWN');
    const b = make();
    b.p.push(Buffer.from('READY\nREADY\n'));
    expect(b.log).toEqual(['ACKNOWLEDGED->READY', 'READY->UNKNOWN']);
  });

  it('a result line that is not an integer is a bad result line', () => {
    const { p, log } = make();
    busy(p);
    p.push(Buffer.from('RESULT two\nOK'));
    expect(p.state).toBe('UNKNOWN');
    expect(log).toEqual(['BUSY->UNKNOWN', 'bad:RESULT two']);
  });

  it('takes the length after the first 7 bytes as Python int() does (whitespace, sign, underscores)', () => {
    expect(pyInt(Buffer.from(' 1_0 \t'))).toBe(10);
    expect(pyInt(Buffer.from('+4'))).toBe(4);
    expect(pyInt(Buffer.from('1__0'))).toBeNull();
    expect(pyInt(Buffer.from(''))).toBeNull();
    const { p, log } = make();
    busy(p);
    p.push(Buffer.from('XXXXXXX4\nFAIL'));
    expect(log).toEqual(['result:FAIL', 'BUSY->ACKNOWLEDGED']);
  });

  it('a huge RESULT length or an endless result line is refused instead of held', () => {
    const a = make();
    busy(a.p);
    a.p.push(Buffer.from(`RESULT ${MAX_PENDING + 1}\n`));
    expect(a.p.state).toBe('UNKNOWN');
    expect(a.log).toContain('overflow');
    const b = make();
    busy(b.p);
    b.p.push(Buffer.alloc(MAX_PENDING + 10, 0x41));
    expect(b.p.state).toBe('UNKNOWN');
    expect(b.log).toContain('overflow');
  });
});
