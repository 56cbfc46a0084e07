/**
 * `procinit check --json`: one object per process instance, with exactly supervisord's keys and types,
 * and one per program with its health model (checks, readiness notification, depends_on, limits, autoscale).
 */
import type { HealthSpec, ProcessSpec, RunSpec } from './model.js';

export interface CheckProcess {
  group: string;
  name: string;
  command: string;
  directory: string | null;
  user: string | null;
  umask: number | null;
  environment: Record<string, string>;
  autostart: boolean;
  autorestart: 'true' | 'false' | 'unexpected';
  exitcodes: number[];
  startsecs: number;
  startretries: number;
  stopwaitsecs: number;
  priority: number;
  stopsignal: string;
  stopasgroup: boolean;
  killasgroup: boolean;
  redirect_stderr: boolean;
}

/** A program's health model (checks, notify, dependsOn, limits, autoscale), as the supervisor runs it. */
export interface CheckProgram {
  name: string;
  group: string;
  instances: number;
  health: HealthSpec;
}

export interface CheckJson {
  format: 'supervisord' | 'procfile' | 'fly' | 'manifest';
  processes: CheckProcess[];
  programs: CheckProgram[];
}

export function toCheckProcess(p: ProcessSpec): CheckProcess {
  return {
    group: p.group,
    name: p.name,
    command: p.command,
    directory: p.directory,
    user: p.user,
    umask: p.umask,
    environment: { ...p.environment },
    autostart: p.autostart,
    autorestart: p.autorestart,
    exitcodes: [...p.exitcodes],
    startsecs: p.startsecs,
    startretries: p.startretries,
    stopwaitsecs: p.stopwaitsecs,
    priority: p.priority,
    stopsignal: p.stopsignal,
    stopasgroup: p.stopasgroup,
    killasgroup: p.killasgroup,
    redirect_stderr: p.redirect_stderr,
  };
}

export function toCheckJson(run: RunSpec): CheckJson {
  return {
    format: run.format,
    processes: run.programs.flatMap((p) => p.instances.map(toCheckProcess)),
    programs: run.programs.map((p) => ({ name: p.name, group: p.group, instances: p.instances.length, health: structuredClone(p.health) })),
  };
}
