/**
 * `procinit export kubernetes`: one Deployment per process type (replicas = its instance count, each
 * container running `procinit up TYPE` from the given image), the run's environment as one ConfigMap
 * every container takes with envFrom, PORT and a containerPort for types that use a port, a Service for
 * `web`, and terminationGracePeriodSeconds = procinit's grace + a margin. Pure: RunSpec in, YAML out.
 */
import { Document } from 'yaml';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import { planContainers, type ContainerOptions, type ContainerPlan } from './container.js';
import { headerLines } from './header.js';

export interface KubernetesOptions extends ContainerOptions {
  /** The image every container runs (required: a placeholder would deploy nothing). */
  image: string;
  /** The app's name: prefix of every object name and the `app` label. */
  name: string;
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
  const docs = kubernetesObjects(run, opts).map((obj) => new Document(obj));
  docs[0].commentBefore = headerLines('kubernetes', run.file).join('\n');
  return docs.map((d) => d.toString({ lineWidth: 0 })).join('---\n');
}

export function kubernetesObjects(run: RunSpec, opts: KubernetesOptions): KubeObject[] {
  if (opts.image.trim() === '') throw new UsageError('export kubernetes: --image IMAGE is required (the image every container runs)');
  const app = dnsLabel(opts.name) || 'app';
  const plans = planContainers(run, opts);
  checkUniqueNames(app, plans);

  const objects: KubeObject[] = [];
  const configMap = envConfigMap(app, run);
  if (configMap) objects.push(configMap);
  for (const plan of plans) objects.push(deployment(app, plan, opts.image, configMap?.metadata.name ?? null));
  const web = plans.find((p) => p.type === 'web' && p.port !== null);
  if (web) objects.push(service(app, web));
  return objects;
}

function deployment(app: string, plan: ContainerPlan, image: string, configMap: string | null): KubeObject {
  const labels = labelsOf(app, plan.type);
  const container: Record<string, unknown> = { name: dnsLabel(plan.type), image, command: plan.command };
  if (configMap) container.envFrom = [{ configMapRef: { name: configMap } }];
  if (plan.port !== null) {
    container.env = [{ name: 'PORT', value: String(plan.port) }];
    container.ports = [{ name: PORT_NAME, containerPort: plan.port, protocol: 'TCP' }];
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: objectName(app, plan.type), labels },
    spec: {
      replicas: plan.replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: { terminationGracePeriodSeconds: plan.terminationGraceSeconds, containers: [container] },
      },
    },
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

/** The run's environment (.env, -e files, the config's env table) for envFrom; null when empty. */
function envConfigMap(app: string, run: RunSpec): KubeObject | null {
  const keys = Object.keys(run.environment);
  if (keys.length === 0) return null;
  const bad = keys.filter((k) => !/^[-._a-zA-Z0-9]+$/.test(k));
  if (bad.length > 0) {
    throw new UsageError(`export kubernetes: environment names ${bad.map((k) => `'${k}'`).join(', ')} cannot be ConfigMap keys`);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${app.slice(0, MAX_NAME - 4).replace(/-+$/, '')}-env`,
      labels: { app },
      annotations: { 'procinit/note': 'from .env, -e files and the config; move secrets to a Secret' },
    },
    data: Object.fromEntries(keys.map((k) => [k, run.environment[k]])),
  };
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
