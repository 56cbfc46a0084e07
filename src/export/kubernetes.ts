/**
 * `procinit export kubernetes`: one Deployment per long-running process type (replicas = its instance
 * count, each container running `procinit up TYPE` from the given image), one Job per one-shot task
 * (release, migrate, autorestart=false, --can-die), PORT and a containerPort for types that use a port,
 * a Service for `web`, and terminationGracePeriodSeconds = procinit's grace + a margin; probes, resources
 * and a HorizontalPodAutoscaler from the health model (kubernetes-health.ts).
 *
 * The env files (.env, -e) are a Secret every container takes with envFrom; the export never writes
 * their values: the header says the `kubectl create secret` command that makes it. The config's own
 * environment needs nothing: procinit in the container reads the same config. Pure: RunSpec in, YAML out.
 */
import { Document } from 'yaml';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import { planContainers, type ContainerOptions, type ContainerPlan } from './container.js';
import { headerLines } from './header.js';
import { containerHealth, horizontalPodAutoscaler } from './kubernetes-health.js';

export interface KubernetesOptions extends ContainerOptions {
  /** The image every container runs (required: a placeholder would deploy nothing). */
  image: string;
  /** The app's name: prefix of every object name and the `app` label. */
  name: string;
  /** The env files (.env, -e) as the user names them, for the Secret's `kubectl create secret` line. */
  envFiles?: string[];
}

type Labels = Record<string, string>;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The port name containers and the Service use. */
const PORT_NAME = 'http';
const MAX_NAME = 63;

export function exportKubernetes(run: RunSpec, opts: KubernetesOptions): string {
  // YAML 1.1 quoting (a value `no` or `on` stays a string for every YAML reader kubectl may use)
  const docs = kubernetesObjects(run, opts).map((obj) => new Document(obj, { version: '1.1' }));
  const header = headerLines('kubernetes', run.file);
  for (const p of run.programs) {
    if (p.health.autoscale !== null && p.health.limits.cpu === null) {
      header.push(` ${p.name}: the HorizontalPodAutoscaler measures CPU against a request: set cpu for ${p.name} in procinit.toml`);
    }
  }
  const files = opts.envFiles ?? [];
  if (files.length > 0) {
    header.push(
      ` The env files' values are not written here; make the Secret the containers read first:`,
      `   kubectl create secret generic ${envSecretName(appName(opts))} ${files.map((f) => `--from-env-file=${f}`).join(' ')}`,
    );
  }
  docs[0].commentBefore = header.join('\n');
  return docs.map((d) => d.toString({ lineWidth: 0 })).join('---\n');
}

function appName(opts: KubernetesOptions): string {
  return dnsLabel(opts.name) || 'app';
}

export function kubernetesObjects(run: RunSpec, opts: KubernetesOptions): KubeObject[] {
  if (opts.image.trim() === '') throw new UsageError('export kubernetes: --image IMAGE is required (the image every container runs)');
  const app = appName(opts);
  const plans = planContainers(run, opts);
  checkUniqueNames(app, plans);

  const secret = (opts.envFiles ?? []).length > 0 ? envSecretName(app) : null;
  const objects: KubeObject[] = [];
  // The tasks first: `kubectl apply` creates objects in file order.
  for (const plan of plans) if (plan.oneShot && plan.replicas > 0) objects.push(job(app, plan, opts.image, secret));
  for (const plan of plans) if (!plan.oneShot) objects.push(deployment(app, plan, opts.image, secret));
  const web = plans.find((p) => p.type === 'web' && p.port !== null && !p.oneShot);
  if (web) objects.push(service(app, web));
  for (const plan of plans) {
    if (plan.oneShot) continue;
    const hpa = horizontalPodAutoscaler(plan, { name: objectName(app, plan.type), labels: labelsOf(app, plan.type) });
    if (hpa) objects.push(hpa as KubeObject);
  }
  return objects;
}

function containerOf(plan: ContainerPlan, image: string, secret: string | null): Record<string, unknown> {
  const container: Record<string, unknown> = { name: dnsLabel(plan.type) || 'process', image, command: plan.command };
  if (secret) container.envFrom = [{ secretRef: { name: secret } }];
  if (plan.port !== null) {
    container.env = [{ name: 'PORT', value: String(plan.port) }];
    container.ports = [{ name: PORT_NAME, containerPort: plan.port, protocol: 'TCP' }];
  }
  const health = containerHealth(plan);
  // a task's pod ends by itself: no probes, only its resources
  return { ...container, ...(plan.oneShot ? (health.resources ? { resources: health.resources } : {}) : health) };
}

function deployment(app: string, plan: ContainerPlan, image: string, secret: string | null): KubeObject {
  const labels = labelsOf(app, plan.type);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: objectName(app, plan.type), labels },
    spec: {
      // with a HorizontalPodAutoscaler the count is its business: a replicas here would fight it on each apply
      ...(plan.health.autoscale === null ? { replicas: plan.replicas } : {}),
      selector: { matchLabels: { ...labels } },
      template: podTemplate(labels, plan, image, secret, {}),
    },
  };
}

/** A one-shot task: runs to completion `replicas` times (a failed pod is retried, up to 3 times). */
function job(app: string, plan: ContainerPlan, image: string, secret: string | null): KubeObject {
  const labels = labelsOf(app, plan.type);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: objectName(app, plan.type), labels },
    spec: {
      completions: plan.replicas,
      parallelism: plan.replicas,
      backoffLimit: 3,
      template: podTemplate(labels, plan, image, secret, { restartPolicy: 'Never' }),
    },
  };
}

/** The pod a Deployment or a Job makes: the plan's one container, with the plan's grace period. */
function podTemplate(labels: Labels, plan: ContainerPlan, image: string, secret: string | null, extra: { restartPolicy?: 'Never' }): Record<string, unknown> {
  return {
    metadata: { labels: { ...labels } },
    spec: { ...extra, terminationGracePeriodSeconds: plan.terminationGraceSeconds, containers: [containerOf(plan, image, secret)] },
  };
}

function service(app: string, web: ContainerPlan): KubeObject {
  const labels = labelsOf(app, web.type);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: objectName(app, web.type), labels },
    spec: {
      selector: { ...labels },
      ports: [{ name: PORT_NAME, port: 80, targetPort: PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/** The Secret holding the env files' variables (made by `kubectl create secret`, never written here). */
function envSecretName(app: string): string {
  return `${app.slice(0, MAX_NAME - 4).replace(/-+$/, '')}-env`;
}

function labelsOf(app: string, type: string): Labels {
  return { app, process: labelValue(type) };
}

/** `<app>-<type>` as a DNS-1123 label (Service names must be one). */
function objectName(app: string, type: string): string {
  const t = dnsLabel(type) || 'process';
  return `${app.slice(0, Math.max(1, MAX_NAME - t.length - 1)).replace(/-+$/, '')}-${t}`.slice(0, MAX_NAME).replace(/-+$/, '');
}

/** Lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters. */
export function dnsLabel(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_NAME)
    .replace(/-+$/, '');
}

/** A label value: letters, digits, '-', '_', '.', alphanumeric at both ends, at most 63 characters. */
function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, MAX_NAME)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}

function checkUniqueNames(app: string, plans: ContainerPlan[]): void {
  const byName = new Map<string, string>();
  for (const plan of plans) {
    const name = objectName(app, plan.type);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new UsageError(`export kubernetes: process types '${other}' and '${plan.type}' would both be named '${name}'`);
    }
    byName.set(name, plan.type);
  }
}
