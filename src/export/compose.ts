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
  depends_on?: Record<string, { condition: 'service_completed_successfully' }>;
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
  // Every service waits for the one-shot tasks that run at all (Heroku's release phase, a migration).
  const tasks = plans.filter((p) => p.oneShot && p.replicas > 0).map((p) => serviceName(p.type));
  const entries = plans.map((plan): [string, ComposeService] => [serviceName(plan.type), service(plan, opts, plan.oneShot ? [] : tasks)]);
  return { services: Object.fromEntries(entries) };
}

function service(plan: ContainerPlan, opts: ComposeOptions, waitFor: string[]): ComposeService {
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
    ...(waitFor.length > 0
      ? { depends_on: Object.fromEntries(waitFor.map((t) => [t, { condition: 'service_completed_successfully' as const }])) }
      : {}),
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
