/**
 * `procinit export compose`: one docker compose service per process type, each running
 * `procinit up TYPE` from the given image, `deploy.replicas` = its instance count, the env files by
 * `env_file:` (never their values), PORT and the port for types that use one (published for `web`),
 * stop_grace_period = procinit's grace + a margin. One-shot tasks (release, migrate, autorestart=false,
 * --can-die) get `restart: "no"` and the services wait for them to complete successfully.
 *
 * Valid for docker-compose 1.29 (Debian's, v1) and `docker compose` (v2): no top-level `name:` (v1
 * rejects it; the project name is `-p NAME` or the folder's), no `version:` (v2 warns it is obsolete).
 * Pure: RunSpec in, YAML out.
 */
import { Document } from 'yaml';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import { planContainers, type ContainerOptions, type ContainerPlan } from './container.js';
import { CONDITIONS, composeLimits, healthcheck, type ComposeCondition, type ComposeHealthcheck } from './compose-health.js';
import { headerLines } from './header.js';

export interface ComposeOptions extends ContainerOptions {
  /** The image every service runs (required). */
  image: string;
  /** The compose project name (for the `-p NAME` the header suggests). */
  name: string;
  /** The env files (.env, -e), as paths relative to the folder the compose file is written to. */
  envFiles?: string[];
}

export interface ComposeService {
  image: string;
  command: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  restart: 'no' | 'unless-stopped';
  depends_on?: Record<string, { condition: ComposeCondition }>;
  healthcheck?: ComposeHealthcheck;
  mem_limit?: string;
  cpus?: number;
  stop_grace_period: string;
  deploy: { replicas: number };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function exportCompose(run: RunSpec, opts: ComposeOptions): string {
  // YAML 1.1 quoting: docker-compose v1 reads with PyYAML, where a bare `no` is false, not a string.
  const doc = new Document(composeFile(run, opts), { version: '1.1' });
  doc.commentBefore = [
    ...headerLines('compose', run.file),
    ` Run: docker compose -p ${projectName(opts.name)} up   (or docker-compose, v1.29+)`,
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

export function composeFile(run: RunSpec, opts: ComposeOptions): ComposeFile {
  if (opts.image.trim() === '') throw new UsageError('export compose: --image IMAGE is required (the image every service runs)');
  const plans = planContainers(run, opts);
  const names = plans.map((p) => serviceName(p.type));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`export compose: two process types would both be service '${twice}'`);
  const deps = dependencies(plans);
  const awaited = new Set(Object.values(deps).flatMap((d) => Object.entries(d).filter(([, c]) => c.condition === 'service_healthy').map(([t]) => t)));
  const entries = plans.map((plan): [string, ComposeService] => {
    const name = serviceName(plan.type);
    return [name, service(plan, opts, deps[name] ?? {}, awaited.has(name))];
  });
  return { services: Object.fromEntries(entries) };
}

type Deps = Record<string, Record<string, { condition: ComposeCondition }>>;

/**
 * depends_on per service: the config's own (depends_on in procinit.toml: started, ready, completed_successfully),
 * and every long-running service waits for the one-shot tasks that run at all (Heroku's release phase, a
 * migration), unless that task itself waits for the service (a migration that needs the database ready).
 */
function dependencies(plans: ContainerPlan[]): Deps {
  const byType = new Map(plans.map((p) => [p.type, p]));
  const deps: Deps = {};
  const explicit = new Map<string, string[]>();
  for (const plan of plans) {
    const own = plan.health.dependsOn.filter((d) => byType.has(d.program)); // a type left out of the export cannot be waited for
    explicit.set(plan.type, own.map((d) => d.program));
    for (const d of own) (deps[serviceName(plan.type)] ??= {})[serviceName(d.program)] = { condition: CONDITIONS[d.condition] };
  }
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (explicit.get(from) ?? []).some((next) => reaches(next, to, seen));
  };
  const tasks = plans.filter((p) => p.oneShot && p.replicas > 0);
  for (const plan of plans) {
    if (plan.oneShot) continue;
    for (const task of tasks) {
      if (reaches(task.type, plan.type)) continue;
      const mine = (deps[serviceName(plan.type)] ??= {});
      mine[serviceName(task.type)] ??= { condition: 'service_completed_successfully' };
    }
  }
  return deps;
}

function service(plan: ContainerPlan, opts: ComposeOptions, waitFor: Record<string, { condition: ComposeCondition }>, awaited: boolean): ComposeService {
  const check = plan.oneShot ? null : healthcheck(plan.health, awaited);
  const environment: Record<string, string> = plan.port !== null ? { PORT: String(plan.port) } : {};
  const published = plan.port !== null && plan.type === 'web';
  const envFiles = opts.envFiles ?? [];
  return {
    image: opts.image,
    command: plan.command,
    ...(envFiles.length > 0 ? { env_file: [...envFiles] } : {}),
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    // A fixed host port fits one replica only; more replicas get ephemeral host ports.
    ...(published ? { ports: [plan.replicas <= 1 ? `${plan.port}:${plan.port}` : `${plan.port}`] } : {}),
    ...(plan.port !== null && !published ? { expose: [String(plan.port)] } : {}),
    restart: plan.oneShot ? 'no' : 'unless-stopped',
    ...(Object.keys(waitFor).length > 0 ? { depends_on: waitFor } : {}),
    ...(check ? { healthcheck: check } : {}),
    ...composeLimits(plan.health),
    stop_grace_period: `${plan.terminationGraceSeconds}s`,
    deploy: { replicas: plan.replicas },
  };
}

/** Compose service names: letters, digits, '_', '.', '-', starting alphanumeric. */
function serviceName(type: string): string {
  return type.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'process';
}

/** Compose project names: lowercase letters, digits, '_', '-', starting alphanumeric. */
export function projectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'app';
}
