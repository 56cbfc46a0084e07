/** The state machine with a fake clock and fake processes. */
import { beforeEach, describe, expect, it } from 'vitest';
import { ProcessInstance, type InstanceHooks } from '../../../src/supervisor/instance.js';
import type { ProcessState } from '../../../src/supervisor/states.js';
import { FakeClock, FakeLauncher, spec } from '../../helpers/fakes.js';

let clock: FakeClock;
let launcher: FakeLauncher;
let trail: string[];
let signals: Array<[number, string, boolean]>;
let fatal: number;
let allowed: boolean;
/** Process groups that still have members (groupAlive). */
let liveGroups: Set<number>;

function hooks(): InstanceHooks {
  return {
    groupAlive: (pgid) => liveGroups.has(pgid),
    onState: (_i, _from, to: ProcessState) => trail.push(to),
    onExit: () => {},
    onSpawn: () => {},
    onFatal: () => fatal++,
    restartsAllowed: () => allowed,
    report: () => {},
  };
}

function make(over = {}): ProcessInstance {
  return new ProcessInstance(spec(over), launcher, clock, hooks(), (pid, sig, group) => signals.push([pid, sig, group]));
}

beforeEach(() => {
  clock = new FakeClock();
  launcher = new FakeLauncher(clock);
  trail = [];
  signals = [];
  fatal = 0;
  allowed = true;
  liveGroups = new Set();
});

describe('ProcessInstance', () => {
  it('goes STARTING -> RUNNING once up for startsecs', () => {
    const p = make({ startsecs: 2 });
    p.start();
    expect(p.state).toBe('STARTING');
    clock.advance(1999);
    expect(p.state).toBe('STARTING');
    clock.advance(1);
    expect(p.state).toBe('RUNNING');
  });

  it('is RUNNING at once with startsecs 0', () => {
    const p = make({ startsecs: 0 });
    p.start();
    expect(trail).toEqual(['STARTING', 'RUNNING']);
  });

  it('backs off 1, 2, 3 s on early exits, then FATAL after startretries', () => {
    const p = make({ startsecs: 1, startretries: 3 });
    p.start();
    for (let attempt = 1; attempt <= 3; attempt++) {
      launcher.last.exit(1);
      expect(p.state).toBe('BACKOFF');
      clock.advance(attempt * 1000 - 1);
      expect(p.state).toBe('BACKOFF');
      clock.advance(1);
      expect(p.state).toBe('STARTING');
    }
    launcher.last.exit(1);
    expect(p.state).toBe('FATAL');
    expect(fatal).toBe(1);
    expect(launcher.children).toHaveLength(4);
  });

  it('goes to BACKOFF then FATAL when the program cannot even be spawned', () => {
    launcher.failWith = "cannot run 'nope': command not found";
    const p = make({ startretries: 0 });
    p.start();
    expect(trail).toEqual(['STARTING', 'BACKOFF', 'FATAL']);
    expect(p.lastExit?.error).toMatch(/command not found/);
  });

  it('restarts an unexpected exit with autorestart=unexpected, not an expected one', () => {
    const p = make({ startsecs: 0, autorestart: 'unexpected', exitcodes: [0, 2] });
    p.start();
    launcher.last.exit(1);
    expect(p.state).toBe('RUNNING');
    expect(launcher.children).toHaveLength(2);
    launcher.last.exit(2);
    expect(p.state).toBe('EXITED');
    expect(launcher.children).toHaveLength(2);
  });

  it('never restarts with autorestart=false, always with true', () => {
    const never = make({ startsecs: 0, autorestart: 'false' });
    never.start();
    launcher.last.exit(1);
    expect(never.state).toBe('EXITED');
    const always = make({ startsecs: 0, autorestart: 'true' });
    always.start();
    launcher.last.exit(0);
    expect(always.state).toBe('RUNNING');
    expect(always.restarts).toBe(1);
  });

  it('does not restart while the run shuts down', () => {
    const p = make({ startsecs: 0, autorestart: 'true' });
    p.start();
    allowed = false;
    launcher.last.exit(1);
    expect(p.state).toBe('EXITED');
  });

  it('Procfile backoff: 100 ms doubling to 10 s, reset after 10 s of uptime', () => {
    const p = make({ startsecs: 0, autorestart: 'true', restartBackoff: { initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 } });
    p.start();
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      launcher.last.exit(1);
      const t0 = clock.now();
      const before = launcher.children.length;
      while (launcher.children.length === before) clock.advance(10);
      delays.push(clock.now() - t0);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    clock.advance(10_000); // a long uptime resets it
    launcher.last.exit(1);
    expect(p.restartPending).toBe(true);
    clock.advance(100);
    expect(p.state).toBe('RUNNING');
  });

  it('stops with its stop signal, then SIGKILL after stopwaitsecs, to the group when asked', async () => {
    const p = make({ startsecs: 0, stopsignal: 'INT', stopwaitsecs: 5, stopasgroup: true, killasgroup: true });
    p.start();
    const pid = launcher.last.pid;
    const stopped = p.stop();
    expect(p.state).toBe('STOPPING');
    expect(signals[0]).toEqual([pid, 'INT', true]);
    clock.advance(4999);
    expect(signals.map((s) => s[1])).not.toContain('KILL');
    clock.advance(1);
    expect(signals[signals.length - 1]).toEqual([pid, 'KILL', true]);
    expect(p.killed).toBe(true);
    launcher.last.exit(null, 'KILL');
    await stopped;
    expect(p.state).toBe('STOPPED');
  });

  it('stopasgroup: the rest of the group keeps its grace until stopwaitsecs after the leader exits', async () => {
    const p = make({ startsecs: 0, stopwaitsecs: 5, stopasgroup: true, killasgroup: true });
    p.start();
    const pid = launcher.last.pid;
    liveGroups.add(pid);
    let done = false;
    const stopped = p.stop().then(() => (done = true));
    expect(signals[0]).toEqual([pid, 'TERM', true]);
    clock.advance(1000);
    launcher.last.exit(null, 'TERM'); // the leader is gone, a member of its group is still cleaning up
    expect(p.state).toBe('STOPPED');
    clock.advance(3000);
    await Promise.resolve();
    expect(done).toBe(false);
    expect(signals.map((s) => s[1])).not.toContain('KILL');
    clock.advance(999);
    expect(signals.map((s) => s[1])).not.toContain('KILL');
    clock.advance(1); // 5 s after the stop signal
    expect(signals[signals.length - 1]).toEqual([pid, 'KILL', true]);
    await stopped;
    expect(p.killed).toBe(false);
  });

  it('stopasgroup: a group that empties within the grace ends the stop at once, without SIGKILL', async () => {
    const p = make({ startsecs: 0, stopwaitsecs: 5, stopasgroup: true, killasgroup: true });
    p.start();
    const pid = launcher.last.pid;
    liveGroups.add(pid);
    const stopped = p.stop();
    launcher.last.exit(null, 'TERM');
    clock.advance(200);
    liveGroups.delete(pid); // the last member finished its cleanup
    clock.advance(100);
    await stopped;
    expect(signals.map((s) => s[1])).not.toContain('KILL');
    expect(clock.pending()).toBe(0);
  });

  it('stop in BACKOFF cancels the retry', async () => {
    const p = make({ startsecs: 1 });
    p.start();
    launcher.last.exit(1);
    await p.stop();
    expect(p.state).toBe('STOPPED');
    clock.advance(60_000);
    expect(launcher.children).toHaveLength(1);
  });

  it('a stop while an auto-restart is pending cancels it', async () => {
    const p = make({ startsecs: 0, autorestart: 'true', restartBackoff: { initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 } });
    p.start();
    launcher.last.exit(1);
    expect(p.restartPending).toBe(true);
    await p.stop();
    expect(p.state).toBe('STOPPED');
    clock.advance(60_000);
    expect(launcher.children).toHaveLength(1);
  });

  it('wanted: STOPPED and expected EXITED are fine, FATAL and unexpected EXITED are not', () => {
    const p = make({ startsecs: 0, autorestart: 'false' });
    expect(p.wanted).toBe(false);
    p.start();
    launcher.last.exit(0);
    expect(p.wanted).toBe(false);
    p.start();
    launcher.last.exit(3);
    expect(p.wanted).toBe(true);
  });
});
