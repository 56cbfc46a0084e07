/**
 * The health model (issue 15) in Kubernetes' words: probes as livenessProbe/readinessProbe/startupProbe,
 * limits as resources (requests = limits: the scheduler reserves what the program may use, and a
 * HorizontalPodAutoscaler measures CPU against the request), autoscale as an autoscaling/v2
 * HorizontalPodAutoscaler. Pure.
 */
import { UsageError } from '../config/errors.js';
import type { ProbeSpec } from '../config/model.js';
import { probePort, type ContainerPlan } from './container.js';

type Obj = Record<string, unknown>;

/** The container fields for the plan's probes and limits. */
export function containerHealth(plan: ContainerPlan): Obj {
  const out: Obj = {};
  const { liveness, readiness, startup } = plan.health.checks;
  if (liveness) out.livenessProbe = probe(liveness, plan, 'liveness');
  if (readiness) out.readinessProbe = probe(readiness, plan, 'readiness');
  if (startup) out.startupProbe = probe(startup, plan, 'startup');
  const resources = resourcesOf(plan);
  if (resources) out.resources = resources;
  return out;
}

/** Whole seconds, as the probe fields are (at least `min`). */
const seconds = (ms: number, min: number) => Math.max(min, Math.ceil(ms / 1000));

function probe(p: ProbeSpec, plan: ContainerPlan, role: string): Obj {
  const timing = {
    initialDelaySeconds: seconds(p.initialDelayMs, 0),
    periodSeconds: seconds(p.periodMs, 1),
    timeoutSeconds: seconds(p.timeoutMs, 1),
    successThreshold: p.successThreshold,
    failureThreshold: p.failureThreshold,
  };
  if (p.kind === 'exec') return { exec: { command: p.command ?? [] }, ...timing };
  const port = probePort(p, plan);
  if (port === null) {
    throw new UsageError(`export kubernetes: ${plan.type}'s ${role} probe has no port (its config sets none and ${plan.type} has no PORT): set port in procinit.toml`);
  }
  // host is left to kubelet (the pod's IP): a program bound to 127.0.0.1 only is unreachable in a pod anyway
  if (p.kind === 'tcp') return { tcpSocket: { port }, ...timing };
  const get: Obj = { path: p.path, port, scheme: p.scheme.toUpperCase() };
  const headers = Object.entries(p.headers);
  if (headers.length > 0) get.httpHeaders = headers.map(([name, value]) => ({ name, value }));
  return { httpGet: get, ...timing };
}

function resourcesOf(plan: ContainerPlan): Obj | null {
  const { memoryBytes, cpu } = plan.health.limits;
  const limits: Record<string, string> = {};
  if (cpu !== null) limits.cpu = cpuQuantity(cpu);
  if (memoryBytes !== null) limits.memory = memoryQuantity(memoryBytes);
  if (Object.keys(limits).length === 0) return null;
  return { requests: { ...limits }, limits };
}

/** Cores as a Kubernetes quantity: whole cores as a number, else millicores ("500m"). */
export function cpuQuantity(cores: number): string {
  const milli = Math.max(1, Math.round(cores * 1000));
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes as a Kubernetes quantity: Gi, Mi or Ki when exact, else bytes. */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** An autoscaling/v2 HorizontalPodAutoscaler for a Deployment whose type has `autoscale`. */
export function horizontalPodAutoscaler(plan: ContainerPlan, deployment: { name: string; labels: Record<string, string> }): Obj | null {
  const a = plan.health.autoscale;
  if (a === null) return null;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: deployment.name, labels: { ...deployment.labels } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name },
      minReplicas: a.min,
      maxReplicas: a.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuPercent } } }],
    },
  };
}
