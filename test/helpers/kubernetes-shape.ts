/**
 * The parts of the Kubernetes API's validation that an exported manifest must pass (apps/v1 Deployment,
 * v1 Service, v1 ConfigMap): required fields, their types, name formats, selector = template labels.
 * Returns the list of problems (empty = valid), so a failing test says what is wrong.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

export function kubernetesProblems(doc: unknown): string[] {
  const p: string[] = [];
  if (!isObj(doc)) return ['not a mapping'];
  const where = `${String(doc.kind)}/${isObj(doc.metadata) ? String(doc.metadata.name) : '?'}`;
  const fail = (msg: string) => p.push(`${where}: ${msg}`);
  if (typeof doc.apiVersion !== 'string') fail('apiVersion missing');
  if (typeof doc.kind !== 'string') fail('kind missing');
  const meta = doc.metadata;
  if (!isObj(meta) || typeof meta.name !== 'string') {
    fail('metadata.name missing');
    return p;
  }
  if (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name)) fail(`metadata.name '${meta.name}' is not a DNS subdomain`);
  if (meta.labels !== undefined) labels(meta.labels, 'metadata.labels', fail);

  if (doc.kind === 'Deployment') deployment(doc, fail);
  else if (doc.kind === 'Service') service(doc, meta.name, fail);
  else if (doc.kind === 'ConfigMap') {
    if (doc.apiVersion !== 'v1') fail('ConfigMap is v1');
    if (!isStringMap(doc.data)) fail('data must map strings to strings');
  } else fail(`unexpected kind ${String(doc.kind)}`);
  return p;
}

function labels(v: unknown, path: string, fail: (m: string) => void): void {
  if (!isStringMap(v)) return void fail(`${path} must map strings to strings`);
  for (const [k, val] of Object.entries(v)) {
    if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k)) fail(`${path} key '${k}' invalid`);
    if (val.length > 63 || !LABEL_VALUE.test(val)) fail(`${path}.${k} value '${val}' invalid`);
  }
}

function deployment(doc: Obj, fail: (m: string) => void): void {
  if (doc.apiVersion !== 'apps/v1') fail('Deployment is apps/v1');
  const spec = doc.spec;
  if (!isObj(spec)) return void fail('spec missing');
  if (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0) fail('spec.replicas must be an integer >= 0');
  const selector = spec.selector;
  const template = spec.template;
  if (!isObj(selector) || !isStringMap(selector.matchLabels)) return void fail('spec.selector.matchLabels missing');
  if (!isObj(template) || !isObj(template.metadata) || !isStringMap(template.metadata.labels)) {
    return void fail('spec.template.metadata.labels missing');
  }
  const tl = template.metadata.labels;
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (tl[k] !== v) fail(`selector ${k}=${v} does not match the template labels`);
  }
  labels(tl, 'template labels', fail);
  const pod = template.spec;
  if (!isObj(pod)) return void fail('spec.template.spec missing');
  if (pod.terminationGracePeriodSeconds !== undefined && !Number.isInteger(pod.terminationGracePeriodSeconds)) {
    fail('terminationGracePeriodSeconds must be an integer');
  }
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) return void fail('containers missing');
  for (const c of pod.containers as unknown[]) {
    if (!isObj(c)) {
      fail('container not a mapping');
      continue;
    }
    if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name)) fail(`container name '${String(c.name)}' is not a DNS label`);
    if (typeof c.image !== 'string' || c.image === '') fail('container image missing');
    if (c.command !== undefined && (!Array.isArray(c.command) || !c.command.every((x) => typeof x === 'string'))) {
      fail('container command must be a list of strings');
    }
    if (c.env !== undefined) {
      if (!Array.isArray(c.env)) fail('env must be a list');
      else
        for (const e of c.env as unknown[]) {
          if (!isObj(e) || typeof e.name !== 'string' || !ENV_NAME.test(e.name) || typeof e.value !== 'string') fail('env entry needs name and string value');
        }
    }
    if (c.envFrom !== undefined) {
      if (!Array.isArray(c.envFrom) || !c.envFrom.every((e) => isObj(e) && isObj(e.configMapRef) && typeof e.configMapRef.name === 'string')) {
        fail('envFrom entries need configMapRef.name');
      }
    }
    if (c.ports !== undefined) {
      if (!Array.isArray(c.ports)) fail('ports must be a list');
      else
        for (const port of c.ports as unknown[]) {
          if (!isObj(port) || !Number.isInteger(port.containerPort) || (port.containerPort as number) < 1 || (port.containerPort as number) > 65535) {
            fail('containerPort must be 1-65535');
          } else if (port.name !== undefined && (typeof port.name !== 'string' || port.name.length > 15 || !IANA_SVC_NAME.test(port.name))) {
            fail(`port name '${String(port.name)}' invalid`);
          }
        }
    }
  }
}

function service(doc: Obj, name: string, fail: (m: string) => void): void {
  if (doc.apiVersion !== 'v1') fail('Service is v1');
  if (name.length > 63 || !DNS_LABEL.test(name)) fail('a Service name must be a DNS label');
  const spec = doc.spec;
  if (!isObj(spec)) return void fail('spec missing');
  if (!isStringMap(spec.selector)) fail('spec.selector missing');
  if (!Array.isArray(spec.ports) || spec.ports.length === 0) return void fail('spec.ports missing');
  for (const port of spec.ports as unknown[]) {
    if (!isObj(port) || !Number.isInteger(port.port)) fail('service port must be an integer');
    else if (port.targetPort !== undefined && typeof port.targetPort !== 'string' && !Number.isInteger(port.targetPort)) fail('targetPort must be a name or number');
  }
}
