/**
 * `procinit export compose`: one docker compose service per process type, each running
 * `procinit up TYPE` from the given image, `deploy.replicas` = its instance count, the run's environment,
 * PORT and the port for types that use one (published for `web`), stop_grace_period = procinit's grace
 * + a margin. Pure: RunSpec in, YAML out.
 */
import { Document } from 'yaml';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import { planContainers, type ContainerOptions, type ContainerPlan } from './container.js';
import { headerLines } from './header.js';

export interface ComposeOptions extends ContainerOptions {
  /** The image every service runs (required). */
  image: string;
  /** The compose project name. */
  name: string;
}

export interface ComposeService {
  image: string;
  command: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  stop_grace_period: string;
  deploy: { replicas: number };
}

export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
}

export function exportCompose(run: RunSpec, opts: ComposeOptions): string {
  const doc = new Document(composeFile(run, opts));
  doc.commentBefore = headerLines('compose', run.file).join('\n');
  return doc.toString({ lineWidth: 0 });
}

export function composeFile(run: RunSpec, opts: ComposeOptions): ComposeFile {
  if (opts.image.trim() === '') throw new UsageError('export compose: --image IMAGE is required (the image every service runs)');
  const entries = planContainers(run, opts).map((plan): [string, ComposeService] => [
    serviceName(plan.type),
    service(run, plan, opts.image),
  ]);
  const names = entries.map(([name]) => name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`export compose: two process types would both be service '${twice}'`);
  return { name: projectName(opts.name), services: Object.fromEntries(entries) };
}

function service(run: RunSpec, plan: ContainerPlan, image: string): ComposeService {
  const environment = { ...run.environment, ...(plan.port !== null ? { PORT: String(plan.port) } : {}) };
  const published = plan.port !== null && plan.type === 'web';
  return {
    image,
    command: plan.command,
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    // A fixed host port fits one replica only; more replicas get ephemeral host ports.
    ...(published ? { ports: [plan.replicas <= 1 ? `${plan.port}:${plan.port}` : `${plan.port}`] } : {}),
    ...(plan.port !== null && !published ? { expose: [String(plan.port)] } : {}),
    stop_grace_period: `${plan.terminationGraceSeconds}s`,
    deploy: { replicas: plan.replicas },
  };
}

/** Compose service names: letters, digits, '_', '.', '-', starting alphanumeric. */
function serviceName(type: string): string {
  return type.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'process';
}

/** Compose project names: lowercase letters, digits, '_', '-', starting alphanumeric. */
function projectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'app';
}
