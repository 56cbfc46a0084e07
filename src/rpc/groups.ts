/**
 * supervisord's two-step config change, as supervisorctl's reread/update/add/remove drive it: reloadConfig
 * reads the config into a pending copy and names the groups added, changed and removed; addProcessGroup and
 * removeProcessGroup then move one group at a time from the pending config into the running supervisor.
 */
import { ConfigError, UsageError } from '../config/errors.js';
import type { ProcessSpec, ProgramSpec, RunSpec } from '../config/model.js';
import { effectiveSpec, stableStringify } from '../supervisor/reload.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { RpcFault } from './faults.js';
import { STOPPED_STATES } from './process-info.js';
import { signalNumber } from './signal-numbers.js';

export interface GroupChanges {
  /** Read the config again (never on the event loop: see GroupDeps.load); one at a time, in the order asked. */
  reread(): Promise<{ added: string[]; changed: string[]; removed: string[] }>;
  add(group: string): void;
  remove(group: string): void;
  configInfo(): Record<string, unknown>[];
}

export interface GroupDeps {
  supervisor: Supervisor;
  /**
   * Read the config again, as the run was loaded (rejects with ConfigError/UsageError): off the event loop,
   * each file's read bounded in time (a FIFO or a hung mount as the config must not stop PID 1).
   */
  load(): Promise<RunSpec>;
  /** New instances' names for the multiplexed output. */
  setNames(names: string[]): void;
  /** A group was added or removed (PROCESS_GROUP_ADDED/REMOVED for event listeners, as supervisord raises them). */
  groupChanged?(kind: 'ADDED' | 'REMOVED', group: string): void;
}

function groupNames(specs: ProcessSpec[]): string[] {
  return [...new Set(specs.map((s) => s.group))];
}

function groupKey(run: RunSpec, specs: ProcessSpec[]): string {
  return stableStringify(specs.map((s) => effectiveSpec(run, s)).sort((a, b) => String(a.name).localeCompare(String(b.name))));
}

export function createGroupChanges(deps: GroupDeps): GroupChanges {
  const { supervisor } = deps;
  /** The last config read (supervisord's process_group_configs): at first, the running one. */
  let pending: RunSpec | null = null;
  const configured = (): RunSpec => pending ?? supervisor.run;
  const activeSpecs = (): ProcessSpec[] => supervisor.instances.map((i) => i.spec);

  /** The rereads asked for, one after the other (a later one's pending config wins, as it would in supervisord). */
  let queue: Promise<unknown> = Promise.resolve();

  const reread = async (): Promise<{ added: string[]; changed: string[]; removed: string[] }> => {
    let next: RunSpec;
    try {
      next = await deps.load();
    } catch (err) {
      if (err instanceof ConfigError || err instanceof UsageError) throw new RpcFault('CANT_REREAD', err.message);
      throw err;
    }
    // compared with what runs now, after the load (a control-socket reload may have changed it meanwhile)
    pending = next;
    const active = activeSpecs();
    const fresh = next.programs.flatMap((p) => p.instances);
    const activeGroups = groupNames(active);
    const freshGroups = groupNames(fresh);
    const added = freshGroups.filter((g) => !activeGroups.includes(g));
    const removed = activeGroups.filter((g) => !freshGroups.includes(g));
    const changed = freshGroups.filter(
      (g) =>
        activeGroups.includes(g) &&
        groupKey(supervisor.run, active.filter((s) => s.group === g)) !== groupKey(next, fresh.filter((s) => s.group === g)),
    );
    return { added, changed, removed };
  };

  return {
    reread() {
      const mine = queue.then(reread, reread);
      queue = mine.catch(() => {});
      return mine;
    },

    add(group) {
      const run = configured();
      const programs = run.programs.filter((p) => p.group === group);
      if (programs.length === 0) throw new RpcFault('BAD_NAME', group);
      if (supervisor.instances.some((i) => i.spec.group === group)) throw new RpcFault('ALREADY_ADDED', group);
      if (run !== supervisor.run) {
        supervisor.run.programs = supervisor.run.programs.filter((p) => p.group !== group).concat(programs as ProgramSpec[]);
      }
      const added = programs.flatMap((p) => p.instances).map((spec) => supervisor.add(spec));
      deps.setNames(added.map((i) => i.name));
      deps.groupChanged?.('ADDED', group);
      for (const inst of added) if (inst.spec.autostart && !supervisor.stopping) inst.start();
    },

    remove(group) {
      const members = supervisor.instances.filter((i) => i.spec.group === group);
      if (members.length === 0) throw new RpcFault('BAD_NAME', group);
      if (members.some((i) => !STOPPED_STATES.has(i.state))) throw new RpcFault('STILL_RUNNING', group);
      for (const inst of members) {
        inst.dispose();
        supervisor.removeInstance(inst);
      }
      supervisor.run.programs = supervisor.run.programs.filter((p) => p.group !== group);
      deps.groupChanged?.('REMOVED', group);
    },

    configInfo() {
      const run = configured();
      const active = new Set(supervisor.instances.map((i) => i.spec.group));
      const groupPrio = (g: string): number => run.programs.filter((p) => p.group === g).flatMap((p) => p.instances).reduce((m, s) => Math.min(m, s.priority), Infinity);
      const path = (t: ProcessSpec['stdoutLog']): string => (t.kind === 'file' ? t.path : t.kind === 'mux' ? '/dev/stdout' : t.kind === 'stderr' ? '/dev/stderr' : 'none');
      const bytes = (t: ProcessSpec['stdoutLog']): number => (t.kind === 'file' ? t.maxBytes : 0);
      const backups = (t: ProcessSpec['stdoutLog']): number => (t.kind === 'file' ? t.backups : 0);
      const out = run.programs.flatMap((p) => p.instances).map((s) => ({
        autostart: s.autostart,
        directory: s.directory ?? 'none',
        uid: 'none',
        command: s.command,
        exitcodes: s.exitcodes,
        group: s.group,
        group_prio: groupPrio(s.group),
        inuse: active.has(s.group),
        killasgroup: s.killasgroup,
        name: s.name,
        process_prio: s.priority,
        redirect_stderr: s.redirect_stderr,
        startretries: s.startretries,
        startsecs: s.startsecs,
        stdout_capture_maxbytes: 0,
        stdout_events_enabled: false,
        stdout_logfile: path(s.stdoutLog),
        stdout_logfile_backups: backups(s.stdoutLog),
        stdout_logfile_maxbytes: bytes(s.stdoutLog),
        stdout_syslog: false,
        stopsignal: signalNumber(s.stopsignal),
        stopwaitsecs: s.stopwaitsecs,
        stderr_capture_maxbytes: 0,
        stderr_events_enabled: false,
        stderr_logfile: path(s.stderrLog),
        stderr_logfile_backups: backups(s.stderrLog),
        stderr_logfile_maxbytes: bytes(s.stderrLog),
        stderr_syslog: false,
        serverurl: 'auto',
      }));
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
}
