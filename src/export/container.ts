/**
 * How one process type runs as containers of the app's image once one machine is outgrown:
 * each container runs `procinit up TYPE` (one instance), the platform runs `replicas` of them.
 * Shared by the Kubernetes and compose exports so both say the same thing.
 */
import { basename, dirname, isAbsolute, relative } from 'node:path';
import type { ProcessSpec, ProgramSpec, RunSpec } from '../config/model.js';

/** Seconds the platform waits beyond procinit's own grace (its SIGKILL step, then its exit). */
export const GRACE_MARGIN_SECONDS = 5;

export interface ContainerOptions {
  /** The base port the export was read with (`-p`, PORT...): passed on so the container computes the same PORT. */
  basePort: number | null;
  /** `-t/--timeout` when given: passed on to procinit in the container. */
  timeout: number | null;
  /** `--app` when given (manifest). */
  app: string | null;
}

export interface ContainerPlan {
  /** Process type (program) name as procinit knows it. */
  type: string;
  /** Number of containers (the formation). */
  replicas: number;
  /** The container's command: procinit running this one type. */
  command: string[];
  /** The port the process listens on, for types that use PORT (and `web`); null otherwise. */
  port: number | null;
  /** Seconds to give a stopping container: procinit's grace + GRACE_MARGIN_SECONDS. */
  terminationGraceSeconds: number;
}

export function planContainers(run: RunSpec, opts: ContainerOptions): ContainerPlan[] {
  return run.programs.map((program) => planContainer(run, program, opts));
}

function planContainer(run: RunSpec, program: ProgramSpec, opts: ContainerOptions): ContainerPlan {
  const sample = program.instances[0] ?? program.instantiate(program.firstInstance);
  const assigned = portNumber(sample.environment.PORT); // procinit's PORT arithmetic (Procfile-like formats)
  const uses = program.name === 'web' || program.instances.concat(sample).some((p) => /\bPORT\b/.test(p.command));
  const port = uses ? (assigned ?? portNumber(run.environment.PORT)) : null;

  const command = ['procinit', 'up', program.name, ...configArgs(run, opts)];
  // Manifests and supervisord configs carry their own instance counts: the platform scales instead.
  if (run.format === 'manifest' || run.format === 'supervisord') command.push('--formation', `${program.name}=1`);
  if (assigned !== null && port !== null && opts.basePort !== null) command.push('--port', String(opts.basePort));
  if (opts.timeout !== null) command.push('--timeout', String(opts.timeout));

  const grace = Math.max(...program.instances.concat(sample).map((p: ProcessSpec) => p.stopwaitsecs));
  return {
    type: program.name,
    replicas: program.instances.length,
    command,
    port,
    terminationGraceSeconds: Math.ceil(grace) + GRACE_MARGIN_SECONDS,
  };
}

/** How procinit in the container finds the same config: nothing for ./Procfile, else -f/-c relative to the root. */
function configArgs(run: RunSpec, opts: ContainerOptions): string[] {
  const rel = relative(run.root, run.file);
  const path = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? run.file : rel;
  const args: string[] = [];
  if (run.format === 'procfile') {
    if (!(basename(run.file) === 'Procfile' && dirname(run.file) === run.root)) args.push('--procfile', path);
  } else {
    args.push('--config', path);
  }
  if (run.format === 'manifest' && opts.app !== null) args.push('--app', opts.app);
  return args;
}

function portNumber(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : null;
}
