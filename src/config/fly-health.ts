/**
 * fly.toml's health and machine sizes, in the one model: `[checks.NAME]`, `[[services.http_checks]]`,
 * `[[services.tcp_checks]]` and `[[http_service.checks]]` become readiness probes (fly routes traffic by
 * them and never restarts on them) of the process groups they name (`processes = [...]`, else every group),
 * on the service's `internal_port` unless the check names a port; `grace_period` is the initial delay.
 * `[[vm]]` gives memory (`memory = "1gb"`, `memory = 512` or `memory_mb` in MB, else the `size` preset) and
 * `cpus` to its groups.
 */
import { ConfigError, oneLine } from './errors.js';
import type { ConfigWarning, ProgramSpec, SourceRef } from './model.js';
import { describeValue, parseCount, parseMemory, parsePort } from './health-values.js';
import { buildProbe, type ProbeFields } from './probe.js';
import { TomlLines } from './toml-lines.js';
import { isTable, type Table } from './toml.js';

/** fly's machine presets: cpus and memory (MB). */
const VM_SIZES: Record<string, [number, number]> = {
  'shared-cpu-1x': [1, 256], 'shared-cpu-2x': [2, 512], 'shared-cpu-4x': [4, 1024], 'shared-cpu-8x': [8, 2048],
  'performance-1x': [1, 2048], 'performance-2x': [2, 4096], 'performance-4x': [4, 8192],
  'performance-8x': [8, 16384], 'performance-16x': [16, 32768],
};

const MB = 2 ** 20;

export function applyFlyHealth(file: string, doc: Table, lines: TomlLines, programs: ProgramSpec[], warnings: ConfigWarning[]): void {
  const reader = new FlyHealth(file, lines, programs, warnings);
  if (Object.hasOwn(doc, 'checks')) reader.topChecks(doc.checks);
  reader.services(doc.services);
  if (Object.hasOwn(doc, 'http_service')) reader.httpService(doc.http_service);
  reader.vms(doc.vm);
}

class FlyHealth {
  /** Counters of `[[services.http_checks]]` / `[[services.tcp_checks]]` headers met so far (for lines). */
  private readonly nth = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly lines: TomlLines,
    private readonly programs: ProgramSpec[],
    private readonly warnings: ConfigWarning[],
  ) {}

  topChecks(checks: unknown): void {
    const line = this.lines.lineOf(null, 'checks');
    if (!isTable(checks)) throw new ConfigError(this.file, line, 'checks must be a table of [checks.NAME] tables');
    for (const [name, check] of Object.entries(checks)) {
      const table = `checks.${name}`;
      const where = { file: this.file, line: this.lines.tableLine(table) ?? this.lines.lineOf('checks', name) };
      if (!isTable(check)) throw new ConfigError(this.file, where.line, `checks.${oneLine(name)} must be a table`);
      const at = (k: string): SourceRef => ({ file: this.file, line: this.lines.lineOf(table, k) });
      const kind = check.type ?? 'http';
      this.attach(`checks.${name}`, check, where, this.checkFields(check, kind, at, null), at);
    }
  }

  services(services: unknown): void {
    if (services === undefined) return;
    if (!Array.isArray(services)) throw new ConfigError(this.file, this.lines.lineOf(null, 'services'), 'services must be [[services]] tables');
    services.forEach((service, i) => {
      const where = { file: this.file, line: this.lines.tableLine('services', i) ?? this.lines.lineOf(null, 'services') };
      if (!isTable(service)) throw new ConfigError(this.file, where.line, '[[services]] must be a table');
      const port = this.internalPort(service, (k) => ({ file: this.file, line: this.lines.keyLine('services', k, i) ?? where.line }));
      for (const [key, kind] of [['http_checks', 'http'], ['tcp_checks', 'tcp']] as const) {
        this.checkList(`services.${key}`, service[key], kind, port, service.processes, where);
      }
    });
  }

  httpService(service: unknown): void {
    const where = { file: this.file, line: this.lines.tableLine('http_service') ?? this.lines.lineOf(null, 'http_service') };
    if (!isTable(service)) throw new ConfigError(this.file, where.line, 'http_service must be a table');
    const port = this.internalPort(service, (k) => ({ file: this.file, line: this.lines.lineOf('http_service', k) }));
    this.checkList('http_service.checks', service.checks, 'http', port, service.processes, where);
  }

  vms(vms: unknown): void {
    if (vms === undefined) return;
    const list = Array.isArray(vms) ? vms : [vms];
    list.forEach((vm, i) => {
      const line = this.lines.tableLine('vm', i) ?? this.lines.lineOf(null, 'vm');
      const where = { file: this.file, line };
      if (!isTable(vm)) throw new ConfigError(this.file, line, '[[vm]] must be a table');
      const at = (k: string): SourceRef => ({ file: this.file, line: this.lines.keyLine('vm', k, i) ?? line });
      let memoryBytes: number | null = null;
      let cpu: number | null = null;
      if (vm.size !== undefined) {
        const preset = typeof vm.size === 'string' ? VM_SIZES[vm.size] : undefined;
        if (!preset) throw new ConfigError(this.file, at('size').line, `vm size ${describeValue(vm.size)} is not one of ${Object.keys(VM_SIZES).join(', ')}`);
        [cpu, memoryBytes] = [preset[0], preset[1] * MB];
      }
      if (vm.memory !== undefined) memoryBytes = parseMemory(vm.memory, 'vm memory', at('memory'), MB);
      if (vm.memory_mb !== undefined) memoryBytes = parseCount(vm.memory_mb, 'vm memory_mb', at('memory_mb'), 1, 2 ** 30) * MB;
      if (vm.cpus !== undefined) cpu = parseCount(vm.cpus, 'vm cpus', at('cpus'), 1, 1024);
      for (const p of this.selected(vm.processes, where)) {
        p.health.limits = {
          memoryBytes: memoryBytes ?? p.health.limits.memoryBytes,
          cpu: cpu ?? p.health.limits.cpu,
          source: where,
        };
      }
    });
  }

  private internalPort(service: Table, at: (k: string) => SourceRef): number | null {
    return service.internal_port === undefined ? null : parsePort(service.internal_port, 'internal_port', at('internal_port'));
  }

  private checkList(table: string, list: unknown, kind: string, port: number | null, processes: unknown, where: SourceRef): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new ConfigError(this.file, where.line, `${table} must be [[${table}]] tables`);
    for (const check of list) {
      const nth = this.nth.get(table) ?? 0;
      this.nth.set(table, nth + 1);
      const line = this.lines.tableLine(table, nth) ?? where.line;
      if (!isTable(check)) throw new ConfigError(this.file, line, `[[${table}]] must be a table`);
      const at = (k: string): SourceRef => ({ file: this.file, line: this.lines.keyLine(table, k, nth) ?? line });
      const fields = this.checkFields(check, kind, at, port);
      this.attach(table, { ...check, processes: check.processes ?? processes }, { file: this.file, line }, fields, at);
    }
  }

  /** A fly check's keys as probe fields. */
  private checkFields(check: Table, kind: unknown, at: (k: string) => SourceRef, port: number | null): ProbeFields {
    const f: ProbeFields = { kind: { value: kind, where: at('type') } };
    if (check.port !== undefined) f.port = { value: check.port, where: at('port') };
    else if (port !== null) f.port = { value: port, where: at('port') };
    if (check.path !== undefined) f.path = { value: check.path, where: at('path') };
    if (check.protocol !== undefined) f.scheme = { value: check.protocol, where: at('protocol') };
    if (check.headers !== undefined) f.headers = { value: check.headers, where: at('headers') };
    if (check.interval !== undefined) f.period = { value: check.interval, where: at('interval') };
    if (check.timeout !== undefined) f.timeout = { value: check.timeout, where: at('timeout') };
    if (check.grace_period !== undefined) f.initial_delay = { value: check.grace_period, where: at('grace_period') };
    if (check.method !== undefined && String(check.method).toUpperCase() !== 'GET') {
      this.warnings.push({ ...at('method'), message: `check method ${describeValue(check.method)}: procinit's http probes always GET` });
    }
    return f;
  }

  /** The check as the readiness probe of its process groups (the first check of a group wins). */
  private attach(name: string, check: Table, where: SourceRef, fields: ProbeFields, at: (k: string) => SourceRef): void {
    const targets = this.selected(check.processes, at('processes'));
    for (const p of targets) {
      if (p.health.checks.readiness) {
        this.warnings.push({ ...where, message: `${name}: ${p.name} already has a check (line ${p.health.checks.readiness.source.line}); procinit runs one readiness probe per process group` });
        continue;
      }
      p.health.checks.readiness = buildProbe('readiness', `${name} (${p.name})`, fields, where);
    }
  }

  /** The programs a `processes = [...]` list names (every program when absent). */
  private selected(processes: unknown, where: SourceRef): ProgramSpec[] {
    if (processes === undefined) return this.programs;
    if (!Array.isArray(processes) || !processes.every((p) => typeof p === 'string')) {
      throw new ConfigError(where.file, where.line, 'processes must be a list of process group names');
    }
    return processes.map((name: string) => {
      const p = this.programs.find((q) => q.name === name);
      if (!p) throw new ConfigError(where.file, where.line, `processes: '${oneLine(name)}' is not a process group of [processes]`);
      return p;
    });
  }
}
