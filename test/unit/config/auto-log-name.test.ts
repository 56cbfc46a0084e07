/** supervisord's AUTO child log names. */
import { describe, expect, it } from 'vitest';
import { autoLogName, isAutoLogName } from '../../../src/config/auto-log-name.js';

describe('AUTO child log names', () => {
  it('NAME-CHANNEL---IDENTIFIER-XXXXXXXX.log, the same for the life of procinit (a reload changes nothing)', () => {
    const a = autoLogName('/var/log/supervisor', 'web', 'stdout', 'supervisor');
    expect(a).toMatch(/^\/var\/log\/supervisor\/web-stdout---supervisor-[a-z0-9_]{8}\.log$/);
    expect(autoLogName('/var/log/supervisor', 'web', 'stdout', 'supervisor')).toBe(a);
    expect(autoLogName('/var/log/supervisor', 'web', 'stderr', 'supervisor')).not.toBe(a.replace('stdout', 'stderr'));
  });

  it("matches clear_autochildlogdir's pattern: this identifier's AUTO logs and their backups only", () => {
    expect(isAutoLogName('web-stdout---supervisor-abcd1234.log', 'supervisor')).toBe(true);
    expect(isAutoLogName('web-stdout---supervisor-abcd1234.log.3', 'supervisor')).toBe(true);
    expect(isAutoLogName('web-stdout---other-abcd1234.log', 'supervisor')).toBe(false);
    expect(isAutoLogName('app.log', 'supervisor')).toBe(false);
    expect(isAutoLogName('x---a.b-1.log', 'a.b')).toBe(true);
    expect(isAutoLogName('x---aXb-1.log', 'a.b')).toBe(false);
  });
});
