import { describe, expect, it } from 'vitest';
import { canTransition, STATES, TRANSITIONS } from '../../../src/supervisor/states.js';

describe('the transition table', () => {
  it('has a row for every state and only names known states', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATES].sort());
    for (const to of Object.values(TRANSITIONS).flat()) expect(STATES).toContain(to);
  });

  it("holds supervisord's transitions", () => {
    expect(canTransition('STOPPED', 'STARTING')).toBe(true);
    expect(canTransition('STARTING', 'RUNNING')).toBe(true);
    expect(canTransition('STARTING', 'BACKOFF')).toBe(true);
    expect(canTransition('BACKOFF', 'FATAL')).toBe(true);
    expect(canTransition('RUNNING', 'EXITED')).toBe(true);
    expect(canTransition('STOPPING', 'STOPPED')).toBe(true);
  });

  it('refuses what supervisord refuses', () => {
    expect(canTransition('STOPPED', 'RUNNING')).toBe(false);
    expect(canTransition('RUNNING', 'BACKOFF')).toBe(false);
    expect(canTransition('FATAL', 'RUNNING')).toBe(false);
    expect(canTransition('STOPPING', 'RUNNING')).toBe(false);
  });
});
