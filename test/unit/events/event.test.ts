import { describe, expect, it } from 'vitest';
import { processLogEvent, processStateEvent, pyBytesRepr, pyLen, tickEvent, processGroupEvent, remoteCommunicationEvent } from '../../../src/events/event.js';
import { envelope } from '../../../src/events/envelope.js';
import { isSubtype } from '../../../src/events/types.js';

describe('event payloads (supervisor/events.py)', () => {
  const base = { name: 'web', group: 'g', tries: 0, expected: false, pid: 42 };
  it('PROCESS_STATE_* carry the extra values of their type', () => {
    expect(processStateEvent({ ...base, from: 'STOPPED', to: 'STARTING' }).payload).toBe('processname:web groupname:g from_state:STOPPED tries:0');
    expect(processStateEvent({ ...base, from: 'STARTING', to: 'BACKOFF', tries: 2 }).payload).toBe('processname:web groupname:g from_state:STARTING tries:2');
    expect(processStateEvent({ ...base, from: 'STARTING', to: 'RUNNING' }).payload).toBe('processname:web groupname:g from_state:STARTING pid:42');
    expect(processStateEvent({ ...base, from: 'RUNNING', to: 'EXITED', expected: true })).toEqual({
      type: 'PROCESS_STATE_EXITED',
      payload: 'processname:web groupname:g from_state:RUNNING expected:1 pid:42',
    });
    expect(processStateEvent({ ...base, from: 'BACKOFF', to: 'FATAL' }).payload).toBe('processname:web groupname:g from_state:BACKOFF');
  });
  it('PROCESS_LOG: undecodable bytes as Python repr', () => {
    expect(processLogEvent('w', 'g', 7, 'stderr', Buffer.from([0x88, 0x0a])).payload).toBe("processname:w groupname:g pid:7 channel:stderr\nUndecodable: b'\\x88\\n'");
    expect(pyBytesRepr(Buffer.from("it's"))).toBe(`b"it's"`);
  });
  it('others', () => {
    expect(tickEvent('TICK_60', 120).payload).toBe('when:120');
    expect(processGroupEvent('ADDED', 'web').payload).toBe('groupname:web\n');
    expect(remoteCommunicationEvent('t', 'd')).toEqual({ type: 'REMOTE_COMMUNICATION', payload: 'type:t\nd' });
  });
  it('the header line counts code points, as Python len() of a str', () => {
    expect(pyLen('Malmö 😀')).toBe(7);
    const q = { event: remoteCommunicationEvent('x', 'ö'), serial: 3, poolSerials: new Map([['p', 1]]) };
    expect(envelope(q, 'p', 'supervisor')).toBe('ver:3.0 server:supervisor serial:3 pool:p poolserial:1 eventname:REMOTE_COMMUNICATION len:8\ntype:x\nö');
  });
  it('types form supervisord hierarchy', () => {
    expect(isSubtype('PROCESS_STATE_EXITED', 'PROCESS_STATE')).toBe(true);
    expect(isSubtype('TICK_5', 'EVENT')).toBe(true);
    expect(isSubtype('TICK_5', 'PROCESS_STATE')).toBe(false);
  });
});
