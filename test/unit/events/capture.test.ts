import { describe, expect, it } from 'vitest';
import { OutputChannel, prefixAtEnd, BEGIN_TOKEN } from '../../../src/events/capture.js';

function channel(captureMaxBytes: number): { c: OutputChannel; logs: string[]; comms: string[] } {
  const logs: string[] = [];
  const comms: string[] = [];
  const c = new OutputChannel({ captureMaxBytes, eventsEnabled: true, onLog: (d) => logs.push(d.toString()), onCommunication: (d) => comms.push(d.toString()) });
  return { c, logs, comms };
}

describe('capture mode (POutputDispatcher.record_output)', () => {
  it('keeps what is between the tokens out of the log, even split across reads', () => {
    const { c, logs, comms } = channel(100);
    let passed = '';
    for (const part of ['before <!--XSUPERVISOR:BEG', 'IN-->hello', ' world<!--XSUPERVISOR:END--> after\n']) passed += c.push(Buffer.from(part)).toString();
    // as supervisord, a tail no longer than a token waits for more output; at end-of-file it is flushed
    expect(passed).toBe('before ');
    expect(comms).toEqual(['hello world']);
    expect(logs).toEqual(['before ', 'hello world']);
    expect(c.flush().toString()).toBe(' after\n');
  });
  it('the same messages and output however the reads cut them, from a read buffer overwritten after each read', () => {
    const text = Buffer.from(
      Array.from({ length: 12 }, (_, i) => `line ${i} <!--XSUPERVISOR:BEGIN-->message ${i} é<!--XSUPERVISOR:END--> rest ${i}\n`).join('') + 'tail <!--XSUPER',
    );
    const run = (cut: number): { passed: string; comms: string[]; logged: string } => {
      const { c, logs, comms } = channel(100);
      const shared = Buffer.alloc(text.length);
      let passed = '';
      for (let at = 0; at < text.length; at += cut) {
        const n = text.copy(shared, 0, at, Math.min(at + cut, text.length));
        passed += c.push(shared.subarray(0, n)).toString();
        shared.fill(0x58); // the next read overwrites it: whatever the channel kept must be its own copy
      }
      passed += c.flush().toString();
      return { passed, comms, logged: logs.join('') };
    };
    const whole = run(text.length);
    expect(whole.comms).toHaveLength(12);
    expect(whole.comms[11]).toBe('message 11 é');
    expect(whole.passed).toBe(Array.from({ length: 12 }, (_, i) => `line ${i}  rest ${i}\n`).join('') + 'tail <!--XSUPER');
    for (const cut of [1, 2, 7, 23, 24, 25, 64, 100]) expect(run(cut), `reads of ${cut} bytes`).toEqual(whole);
  });
  it('bounds what it captures as BoundIO does', () => {
    const { c, comms } = channel(4);
    c.push(Buffer.from('<!--XSUPERVISOR:BEGIN-->abc'));
    c.push(Buffer.from('defg<!--XSUPERVISOR:END-->..'));
    // one write longer than the bound drops what was there and keeps all of itself (BoundIO.write)
    expect(comms).toEqual(['abcdefg']);
    c.push(Buffer.from('<!--XSUPERVISOR:BEGIN-->abc'.repeat(1)));
    c.push(Buffer.from('defghijklmnopqrstuvwxyz0'));
    c.push(Buffer.from('12<!--XSUPERVISOR:END-->..'));
    expect(comms[1]).toBe('cdefghijklmnopqrstuvwxyz012'); // 2 bytes more: the first 2 go
  });
  it('without capture, passes every chunk through and logs it', () => {
    const { c, logs } = channel(0);
    expect(c.push(Buffer.from('<!--XSUPERVISOR:BEGIN-->x')).toString()).toBe('<!--XSUPERVISOR:BEGIN-->x');
    expect(logs).toEqual(['<!--XSUPERVISOR:BEGIN-->x']);
  });
  it('finds a token prefix at the end', () => {
    expect(prefixAtEnd(Buffer.from('ab<!--XS'), BEGIN_TOKEN)).toBe(6);
    expect(prefixAtEnd(Buffer.from('ab'), BEGIN_TOKEN)).toBe(0);
  });
});
