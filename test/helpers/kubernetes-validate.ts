/**
 * Validate exported Kubernetes objects against the API's own JSON schemas (OpenAPI of Kubernetes 1.27,
 * through npm `kubernetes-models`, a maintained package generated from those schemas), instead of
 * hand-written shape checks. The schemas say types, required fields and enums; they do not carry the
 * API server's name rules (DNS-1123), so those few are checked here too. Returns the problems (empty =
 * valid), so a failing test says what is wrong.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The model class for an apiVersion and kind ('apps/v1' + 'Deployment' -> kubernetes-models/apps/v1/Deployment). */
function modelFor(apiVersion: string, kind: string): ModelClass | null {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  try {
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>;
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

export function kubernetesProblems(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['not a mapping'];
  const obj = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const where = `${String(obj.kind)}/${String(obj.metadata?.name)}`;
  const Model = modelFor(String(obj.apiVersion), String(obj.kind));
  if (!Model) return [`${where}: no schema for apiVersion ${String(obj.apiVersion)} kind ${String(obj.kind)}`];
  const problems: string[] = [];
  try {
    new Model(doc).validate();
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  // The API server's name rules (not in the schemas): object names of these kinds, containers and ports.
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) problems.push(`${where}: metadata.name is not a DNS label`);
  const pod = (doc as { spec?: { template?: { spec?: { containers?: Array<{ name?: unknown }> } } } }).spec?.template?.spec;
  for (const c of pod?.containers ?? []) {
    if (typeof c.name !== 'string' || c.name.length > 63 || !DNS_LABEL.test(c.name)) problems.push(`${where}: container name '${String(c.name)}' is not a DNS label`);
  }
  return problems;
}
