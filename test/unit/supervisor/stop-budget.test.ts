import { describe, expect, it } from 'vitest';
import { stopBudget, stopTimeoutWarning } from '../../../src/supervisor/stop-budget.js';
import type { ProcessSpec } from '../../../src/config/model.js';

const spec = (program: string, stopwaitsecs: number, priority = 999): ProcessSpec => ({ program, name: `${program}.1`, stopwaitsecs, priority }) as ProcessSpec;

describe('stop budget against the container stop timeout', () => {
  it('adds the longest grace of each priority level (they stop one after another) and procinit\'s own second', () => {
    expect(stopBudget([spec('web', 5), spec('worker', 3)]).worst).toBe(6);
    expect(stopBudget([spec('db', 4, 1), spec('web', 5, 10), spec('worker', 3, 10)])).toEqual({ worst: 10, slowest: [{ name: 'db', stopwaitsecs: 4 }, { name: 'web', stopwaitsecs: 5 }] });
  });

  it('warns when supervisord\'s default stopwaitsecs=10 meets docker stop\'s 10 s, and says what to do', () => {
    const w = stopTimeoutWarning([spec('app', 10)], 10)!;
    expect(w).toBe(
      "stopping can take 11s (grace app 10s + 1s for procinit), more than the container's stop timeout of 10s: a program that ignores its stop signal is SIGKILLed by the runtime with everything else (exit 137). Give the container more time (docker stop -t 11, compose stop_grace_period: 11s, Kubernetes terminationGracePeriodSeconds: 11) and tell procinit (--stop-timeout 11 or PROCINIT_STOP_TIMEOUT=11), or lower the grace (stopwaitsecs, -t)",
    );
    expect(stopTimeoutWarning([spec('app', 10)], 11)).toBeNull();
    expect(stopTimeoutWarning([spec('web', 5)], 10)).toBeNull();
    expect(stopTimeoutWarning([spec('db', 6, 1), spec('web', 5, 2)], 10)).toMatch(/^stopping can take 12s \(grace db 6s \+ web 5s \(priority levels stop one after another\)/);
    expect(stopTimeoutWarning([], 0)).toBeNull();
  });
});
