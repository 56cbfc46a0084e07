import { describe, expect, it } from 'vitest';
import { parseNotify } from '../../../src/health/notify-message.js';

describe('parseNotify (sd_notify datagrams)', () => {
  it('reads READY, STATUS, WATCHDOG and WATCHDOG_USEC; ignores the rest', () => {
    expect(parseNotify('READY=1\nSTATUS=Processing requests...\nMAINPID=4711')).toEqual({ ready: true, status: 'Processing requests...' });
    expect(parseNotify('WATCHDOG=1')).toEqual({ watchdogPing: true });
    expect(parseNotify('WATCHDOG=trigger')).toEqual({ watchdogTrigger: true });
    expect(parseNotify('WATCHDOG_USEC=2500000')).toEqual({ watchdogMs: 2500 });
    expect(parseNotify('RELOADING=1')).toEqual({ ready: false });
    expect(parseNotify('STOPPING=1')).toEqual({ ready: false });
    expect(parseNotify('READY=0\nERRNO=2\n=x\nnonsense')).toEqual({});
  });

  it('keeps a STATUS= short and on one line', () => {
    const m = parseNotify(`STATUS=${'a\x1b[31m'.repeat(100)}`);
    expect(m.status).toHaveLength(200);
    expect(m.status).not.toMatch(/[\x00-\x1f]/);
  });
});
