/**
 * How one process type runs as containers of the app's image once one machine is outgrown:
 * each container runs `procinit up TYPE` (one instance), the platform runs `replicas` of them.
 * Shared by the Kubernetes, compose and fly exports so all three say the same thing.
 *
 * The image is assumed to hold the app's folder as its WORKDIR (`-d`, default the config's folder):
 * the config is named relative to it, or where `--config-in-image` says.
 */
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { UsageError } from '../config/errors.js';
import type { HealthSpec, ProbeSpec, ProcessSpec, ProgramSpec, RunSpec } from '../config/model.js';

/** Seconds the platform waits beyond procinit's own grace (its SIGKILL step, then its exit). */
export const GRACE_MARGIN_SECONDS = 5;

/** Process types that are one-shot tasks by convention (Heroku's release phase, migrations). */
const ONE_SHOT_NAMES = /^(release|migrate|migrations?)$/;

export interface ContainerOptions {
  /** The base port the export was read with (`-p`, PORT...): passed on so the container computes the same PORT. */
  basePort: number | null;
  /** `-t/--timeout` when given: passed on to procinit in the container. */
  timeout: number | null;
  /** `--app` when given (manifest). */
  app: string | null;
  /** The host folder that is the image's WORKDIR (`-d`, else the config's folder); null = the config's folder. */
  imageRoot?: string | null;
  /** `--config-in-image PATH`: where the config is inside the image (absolute, or relative to WORKDIR). */
  configInImage?: string | null;
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
  /** A task that runs to completion (release, migrate, autorestart=false, --can-die), not a service. */
  oneShot: boolean;
  /** Checks, start order, limits and autoscaling from the config and procinit.toml. */
  health: HealthSpec;
}

export function planContainers(run: RunSpec, opts: ContainerOptions): ContainerPlan[] {
  const config = configArgs(run, opts);
  return run.programs.map((program) => planContainer(run, program, opts, config));
}

function planContainer(run: RunSpec, program: ProgramSpec, opts: ContainerOptions, config: string[]): ContainerPlan {
  const sample = program.instances[0] ?? program.instantiate(program.firstInstance);
  const assigned = portNumber(sample.environment.PORT); // procinit's PORT arithmetic (Procfile-like formats)
  const oneShot = isOneShot(run, program, sample);
  const probesPort = probes(program.health).some((p) => p.kind !== 'exec' && p.port === null);
  const uses = !oneShot && (program.name === 'web' || probesPort || program.instances.concat(sample).some((p) => /\bPORT\b/.test(p.command)));
  const port = uses ? (assigned ?? portNumber(run.environment.PORT)) : null;

  const command = upCommand(run, opts, config, [program.name], assigned !== null && port !== null);

  const grace = program.instances.concat(sample).reduce((g, p: ProcessSpec) => Math.max(g, p.stopwaitsecs), -Infinity);
  return {
    type: program.name,
    replicas: program.instances.length,
    command,
    port,
    terminationGraceSeconds: Math.ceil(grace) + GRACE_MARGIN_SECONDS,
    oneShot,
    health: program.health,
  };
}

/** The probes a program has (liveness, readiness, startup; the ones set). */
export function probes(health: HealthSpec): ProbeSpec[] {
  const { liveness, readiness, startup } = health.checks;
  return [liveness, readiness, startup].filter((p): p is ProbeSpec => p !== null);
}

/** The port a probe connects to: its own, else the instance's PORT; null when neither is known. */
export function probePort(probe: ProbeSpec, plan: ContainerPlan): number | null {
  return probe.port ?? plan.port;
}

/** `procinit up TYPE... <config>`: the types in one container, one instance each. */
function upCommand(run: RunSpec, opts: ContainerOptions, config: string[], types: string[], withPort: boolean): string[] {
  const command = ['procinit', 'up', ...types, ...config];
  // Manifests and supervisord configs carry their own instance counts: the platform scales instead.
  if (run.format === 'manifest' || run.format === 'supervisord') command.push('--formation', types.map((t) => `${t}=1`).join(','));
  // Several one-shot tasks in one container (fly's single release_command): each may end without ending the others.
  if (types.length > 1 && run.format !== 'supervisord') command.push('--can-die', types.join(','));
  if (withPort && opts.basePort !== null) command.push('--port', String(opts.basePort));
  if (opts.timeout !== null) command.push('--timeout', String(opts.timeout));
  return command;
}

/** The command that runs these one-shot types together in one container, to completion. */
export function tasksCommand(run: RunSpec, opts: ContainerOptions, types: string[]): string[] {
  return upCommand(run, opts, configArgs(run, opts), types, false);
}

/**
 * A one-shot task: supervisord's autorestart=false, a type named by --can-die, or a Procfile-like type
 * named release/migrate/migrations (these end by design; a Deployment would restart them forever).
 */
function isOneShot(run: RunSpec, program: ProgramSpec, sample: ProcessSpec): boolean {
  if (sample.autorestart !== 'false') return false;
  // supervisord: autorestart=false. Procfile-like: --can-die (its exit does not end the run), or the name.
  return run.format === 'supervisord' || !sample.exitEndsRun || ONE_SHOT_NAMES.test(program.name);
}

/** How procinit in the container finds the same config: nothing for ./Procfile, else -f/-c as the image has it. */
function configArgs(run: RunSpec, opts: ContainerOptions): string[] {
  const path = configInImage(run, opts);
  const args: string[] = [];
  if (run.format === 'procfile') {
    if (path !== 'Procfile') args.push('--procfile', path);
  } else {
    args.push('--config', path);
  }
  if (run.format === 'manifest' && opts.app !== null) args.push('--app', opts.app);
  return args;
}

/** `--config-in-image`, else the config's path relative to the image root (WORKDIR), '/'-separated. */
export function configInImage(run: RunSpec, opts: ContainerOptions): string {
  const given = opts.configInImage ?? null;
  if (given !== null) {
    if (given.trim() === '' || /[\0\n]/.test(given)) throw new UsageError('--config-in-image: expected a path inside the image');
    return given;
  }
  const root = opts.imageRoot ?? dirname(run.file);
  const rel = relative(root, run.file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(
      `export: ${run.file} is not inside ${root} (the folder that is the image's WORKDIR, -d); say where the image has it with --config-in-image PATH`,
    );
  }
  return rel.split(sep).join('/');
}

function portNumber(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : null;
}
