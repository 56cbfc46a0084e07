/**
 * The health model (issue 15) in fly.toml's words: web's http readiness probe as `[[http_service.checks]]`
 * (fly routes only to machines that pass it), every other http/tcp probe as a top-level `[checks.NAME]`
 * with its `processes` (a startup probe's budget becomes their grace_period: fly has no startup checks),
 * and limits as one `[[vm]]` per process group. fly has no command checks: procinit
 * in the machine runs exec probes itself (the same config and procinit.toml are in the image), and the
 * output says so. Pure.
 */
import type { ProbeSpec } from '../config/model.js';
import { probePort, type ContainerPlan } from './container.js';

/** fly's smallest machine memory, in MB. */
export const FLY_MIN_MEMORY_MB = 256;

type Table = Record<string, unknown>;

export interface FlyHealth {
  /** top-level [checks.NAME] */
  checks: Record<string, Table>;
  /** [[http_service.checks]] for web */
  httpServiceChecks: Table[];
  /** [[vm]] */
  vms: Table[];
  /** comment lines (without '#') */
  comments: string[];
}

/** A duration as fly writes them (Go durations): "10s", else "500ms". */
export function flyDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.ceil(ms)}ms`;
}

/** `web` is the type behind [http_service] (null when there is none). */
export function flyHealth(services: ContainerPlan[], web: ContainerPlan | null): FlyHealth {
  const out: FlyHealth = { checks: {}, httpServiceChecks: [], vms: [], comments: [] };
  for (const plan of services) {
    const { liveness, readiness, startup } = plan.health.checks;
    // fly has no startup checks: a startup probe's budget becomes the other checks' grace_period
    const startMs = startup ? startup.initialDelayMs + startup.periodMs * startup.failureThreshold : 0;
    if (startup && !liveness && !readiness) out.comments.push(` ${plan.type}'s startup probe alone: fly has no startup checks, procinit in the machine runs it`);
    for (const [role, probe] of [['liveness', liveness], ['readiness', readiness]] as const) {
      if (probe === null) continue;
      if (probe.kind === 'exec') {
        out.comments.push(` ${plan.type}'s ${role} probe runs a command: fly has no command checks, procinit in the machine runs it`);
        continue;
      }
      const port = probePort(probe, plan);
      if (port === null) {
        out.comments.push(` ${plan.type}'s ${role} probe has no port (no PORT for ${plan.type}): procinit in the machine runs it`);
        continue;
      }
      if (plan === web && role === 'readiness' && probe.kind === 'http' && port === web.port) {
        out.httpServiceChecks.push({ ...timing(probe, startMs), method: 'GET', path: probe.path, ...httpExtras(probe) });
      } else {
        out.checks[`${plan.type}_${role}`] = {
          type: probe.kind,
          port,
          ...timing(probe, startMs),
          ...(probe.kind === 'http' ? { method: 'GET', path: probe.path, ...httpExtras(probe) } : {}),
          processes: [plan.type],
        };
      }
    }
    const vm = vmOf(plan, out.comments);
    if (vm) out.vms.push(vm);
  }
  return out;
}

function timing(p: ProbeSpec, startMs: number): Table {
  return { grace_period: flyDuration(Math.max(p.initialDelayMs, startMs)), interval: flyDuration(p.periodMs), timeout: flyDuration(p.timeoutMs) };
}

function httpExtras(p: ProbeSpec): Table {
  return {
    ...(p.scheme === 'https' ? { protocol: 'https', tls_skip_verify: true } : {}),
    ...(Object.keys(p.headers).length > 0 ? { headers: { ...p.headers } } : {}),
  };
}

function vmOf(plan: ContainerPlan, comments: string[]): Table | null {
  const { memoryBytes, cpu } = plan.health.limits;
  if (memoryBytes === null && cpu === null) return null;
  const vm: Table = {};
  if (memoryBytes !== null) {
    const mb = Math.ceil(memoryBytes / 1024 ** 2);
    vm.memory = `${Math.max(mb, FLY_MIN_MEMORY_MB)}mb`;
    if (mb < FLY_MIN_MEMORY_MB) {
      comments.push(` ${plan.type}: memory ${mb} MB is below fly's smallest machine: [[vm]] asks for ${FLY_MIN_MEMORY_MB} MB`);
    }
  }
  if (cpu !== null) {
    vm.cpu_kind = 'shared';
    vm.cpus = Math.max(1, Math.ceil(cpu));
    if (!Number.isInteger(cpu)) comments.push(` ${plan.type}: fly machines have whole CPUs: cpu ${cpu} becomes ${vm.cpus as number}`);
  }
  vm.processes = [plan.type];
  return vm;
}
