/** supervisord's restart sequence (src/cli/supervisord-restart.ts) with a fake supervisor and a recording log. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/config/errors.js';
import type { RunSpec } from '../../../src/config/model.js';
import { createSupervisordLogger } from '../../../src/output/supervisord-log.js';
import { supervisordRestarter, type RestartDeps } from '../../../src/cli/supervisord-restart.js';
import type { Supervisor } from '../../../src/supervisor/supervisor.js';

function setup(user: string | null, become: RestartDeps['becomeUser']) {
  const lines: string[] = [];
  const steps: string[] = [];
  const svLog = createSupervisordLogger({ level: 'info', stdout: { raw: (b) => lines.push(b.toString().replace(/^\S+ \S+ /, '').trimEnd()) }, file: null });
  const run = {
    pidfile: '/run/a.pid',
    warnings: [{ file: 'c.conf', line: 3, message: 'unknown key' }],
    notes: [],
    rpc: undefined,
    supervisordMode: { user, nocleanup: true, childlogdir: '/tmp', identifier: 'x' },
  } as unknown as RunSpec;
  const supervisor = { stopping: false, instances: [], run } as unknown as Supervisor;
  let started = false;
  const restart = supervisordRestarter({
    supervisor,
    log: svLog,
    svLog,
    restart: async (after) => {
      steps.push('stopped');
      run.pidfile = '/run/b.pid';
      started = (await after(run)) !== false;
    },
    applyLogSettings: () => steps.push('log settings'),
    movePidfile: (from, to) => steps.push(`pidfile ${from} -> ${to}`),
    stopping: () => steps.push('STOPPING'),
    restartEvents: () => steps.push('events'),
    reopenRpc: async () => svLog.info("RPC interface 'supervisor' initialized"),
    refuse: (msg) => steps.push(`refused: ${msg}`),
    becomeUser: become,
  });
  return { restart, lines, steps, started: () => started };
}

describe('supervisord restart', () => {
  it('makes the log again, says the start-up lines in supervisord order, moves the pidfile, adds the groups again', async () => {
    const t = setup('nobody', () => ({ level: 'info', msg: 'Set uid to user 65534 succeeded' }));
    await t.restart('SIGHUP');
    expect(t.steps).toEqual(['STOPPING', 'stopped', 'log settings', 'pidfile /run/a.pid -> /run/b.pid', 'events']);
    expect(t.lines.filter((l) => !l.startsWith('INFO waiting'))).toEqual([
      'WARN received SIGHUP indicating restart request',
      'WARN c.conf:3: unknown key',
      'INFO Set uid to user 65534 succeeded',
      "INFO RPC interface 'supervisor' initialized",
      `INFO supervisord started with pid ${process.pid}`,
    ]);
    expect(t.started()).toBe(true);
  });

  it('XML-RPC restart says nothing of a signal', async () => {
    const t = setup(null, () => null);
    await t.restart('rpc');
    expect(t.lines.some((l) => l.includes('SIGHUP'))).toBe(false);
  });

  it('a user procinit can no longer become ends the run (exit 2 in up.ts), nothing starts', async () => {
    const t = setup('nobody', () => {
      throw new UsageError("[supervisord] user=nobody: Can't drop privilege as nonroot user; not starting any program");
    });
    await t.restart('SIGHUP');
    expect(t.steps).toEqual(['STOPPING', 'stopped', "refused: [supervisord] user=nobody: Can't drop privilege as nonroot user; not starting any program"]);
    expect(t.started()).toBe(false);
  });

  it('a second SIGHUP during a restart is logged and joins it (no second restart)', async () => {
    const t = setup(null, () => null);
    const first = t.restart('SIGHUP');
    const second = t.restart('SIGHUP');
    await Promise.all([first, second]);
    expect(t.steps.filter((s) => s === 'stopped')).toHaveLength(1);
    expect(t.lines.filter((l) => l.includes('received SIGHUP'))).toHaveLength(2);
  });
});
