/**
 * Cloud Foundry's `manifest.yml`: the first application (or the one named by --app) and its
 * `processes:` list: `type`, `command`, `instances` become one process type each, with that many
 * instances; `memory` and the health-check keys go into the health model (manifest-health.ts). Other keys
 * of a process (disk_quota, ...) are ignored with a warning naming them; the application's `env:` is the run's environment, under the env files. An application
 * without `processes:` but with an app-level `command:` is one `web` process, as Cloud Foundry reads it.
 * Parsed with the `yaml` library (YAML 1.2, `<<` merge keys allowed); errors name file:line.
 */
import { dirname } from 'node:path';
import type * as Yaml from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { ConfigError, UsageError } from './errors.js';
import type { ConfigWarning, ProgramSpec, RunSpec } from './model.js';
import type { LoadOptions } from './options.js';
import { buildProcessType, checkStopSignalTypes, PROCESS_TYPE_NAME, procfileLikeRun } from './process-type.js';
import { readTextFile } from './text-file.js';
import { applyCfHealth, CF_HEALTH_KEYS, type CfHealthValues } from './manifest-health.js';

/** yaml, required on first use: only a manifest.yml needs it, and every other run should not pay for it. */
let yamlModule: typeof Yaml | null = null;
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml') as typeof Yaml);
}

/** The keys of a `processes:` item procinit uses; the others are noted and ignored. */
const PROCESS_KEYS = new Set<string>(['type', 'command', 'instances', ...CF_HEALTH_KEYS]);

export function readManifestRun(file: string, opts: LoadOptions, fileEnv: Record<string, string>): RunSpec {
  const m = new ManifestReader(file, readTextFile(file));
  const app = m.application(opts.app);
  const warnings: ConfigWarning[] = [...app.warnings];

  const appEnv = m.env(app.entries.get('env'));
  // The env files win over the manifest's env:; both may set the base PORT.
  const environment = { ...appEnv, ...fileEnv };
  const root = opts.root ?? dirname(file);
  const types = m.processTypes(app, warnings);
  checkStopSignalTypes(opts.stopSignals, types.map((t) => t.type));

  const programs: ProgramSpec[] = types.map((t, typeIndex) => {
    const program = buildProcessType({
      type: t.type,
      command: t.command,
      typeIndex,
      instances: t.instances,
      source: { file, line: t.line },
      opts: { ...opts, root },
      fileEnv: environment,
    });
    // Cloud Foundry applies the application's own keys to its web process; the process's keys win.
    applyCfHealth(program, { ...(t.type === 'web' ? m.healthKeys(app.entries) : {}), ...t.health });
    return program;
  });

  return procfileLikeRun({ format: 'manifest', file, root: root, programs, environment: environment, warnings: warnings });
}

/** The name of the application readManifestRun would read (for export's default names). */
export function readManifestAppName(file: string, app: string | null): string {
  return new ManifestReader(file, readTextFile(file)).application(app).name;
}

interface Entry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

interface Application {
  name: string;
  line: number;
  entries: Map<string, Entry>;
  warnings: ConfigWarning[];
}

interface ProcessType {
  type: string;
  command: string;
  instances: number;
  line: number;
  health: CfHealthValues;
}

class ManifestReader {
  private readonly lineCounter = new (yaml().LineCounter)();
  private readonly doc: Document.Parsed;

  constructor(
    private readonly file: string,
    text: string,
  ) {
    this.doc = yaml().parseDocument(text, { lineCounter: this.lineCounter, merge: true });
    const err = this.doc.errors[0];
    if (err) {
      const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new ConfigError(file, err.linePos?.[0].line ?? null, `invalid YAML: ${what}`);
    }
  }

  /** The application named `wanted`, or the first one. */
  application(wanted: string | null): Application {
    const top = this.deref(this.doc.contents);
    if (!yaml().isMap(top)) throw this.error(top, 'a manifest is a mapping with an applications: list');
    const apps = this.deref(this.entries(top).get('applications')?.value ?? null);
    if (apps === null) throw this.error(top, 'no applications: list');
    if (!yaml().isSeq(apps)) throw this.error(apps, 'applications: must be a list of applications');
    if (apps.items.length === 0) throw this.error(apps, 'applications: is empty');

    const all = apps.items.map((item) => {
      const node = this.deref(item as Node);
      if (!yaml().isMap(node)) throw this.error(node ?? apps, 'each application must be a mapping (name:, processes:, ...)');
      const entries = this.entries(node);
      const nameEntry = entries.get('name');
      const name = nameEntry ? this.string(nameEntry, 'application name') : '';
      return { name, line: this.lineOf(node), entries, warnings: [] as ConfigWarning[] };
    });

    if (wanted !== null) {
      const found = all.find((a) => a.name === wanted);
      if (!found) {
        const known = all.map((a) => a.name || '(unnamed)').join(', ');
        throw new UsageError(`--app ${wanted}: no such application in ${this.file} (applications: ${known})`);
      }
      return found;
    }
    const first = all[0];
    if (all.length > 1) {
      first.warnings.push({
        file: this.file,
        line: first.line,
        message: `using the first application '${first.name}'; ${all.length - 1} other(s) ignored (choose one with --app NAME)`,
      });
    }
    return first;
  }

  /** The application's process types: its processes: list, else its app-level command as `web`. */
  processTypes(app: Application, warnings: ConfigWarning[]): ProcessType[] {
    const processes = app.entries.get('processes');
    const appCommand = app.entries.get('command');
    const appInstances = app.entries.get('instances');
    const label = app.name ? `application '${app.name}'` : 'the application';

    if (!processes || this.deref(processes.value) === null) {
      if (!appCommand) {
        throw new ConfigError(this.file, app.line, `${label} has no processes: list (and no command:)`);
      }
      return [
        {
          type: 'web',
          command: this.command(appCommand, 'command'),
          instances: appInstances ? this.count(appInstances) : 1,
          line: this.lineOf(appCommand.keyNode),
          health: {},
        },
      ];
    }

    for (const e of [appCommand, appInstances]) {
      if (e) {
        warnings.push({
          file: this.file,
          line: this.lineOf(e.keyNode),
          message: `${label}: app-level ${e.key}: ignored (the processes: list says what runs)`,
        });
      }
    }

    const list = this.deref(processes.value);
    if (!yaml().isSeq(list)) throw this.error(list ?? processes.keyNode, 'processes: must be a list of {type, command, instances}');
    if (list.items.length === 0) throw this.error(list, 'processes: is empty');
    const seen = new Map<string, number>();
    return list.items.map((item) => {
      const node = this.deref(item as Node);
      if (!yaml().isMap(node)) throw this.error(node ?? list, 'each process must be a mapping with type: and command:');
      const line = this.lineOf(node);
      const entries = this.entries(node);

      const typeEntry = entries.get('type');
      if (!typeEntry) throw new ConfigError(this.file, line, 'process without type:');
      const type = this.string(typeEntry, 'type');
      if (!PROCESS_TYPE_NAME.test(type)) {
        throw this.error(typeEntry.value, `process type '${type}' may hold only letters, digits, '_' and '-'`);
      }
      const earlier = seen.get(type);
      if (earlier !== undefined) {
        throw this.error(typeEntry.value, `process type '${type}' is listed twice (first at line ${earlier})`);
      }
      seen.set(type, line);

      const commandEntry = entries.get('command');
      if (!commandEntry) {
        throw new ConfigError(this.file, line, `process '${type}' has no command: (procinit has no buildpack to ask)`);
      }
      const command = this.command(commandEntry, `command of '${type}'`);
      const instancesEntry = entries.get('instances');
      const instances = instancesEntry ? this.count(instancesEntry) : 1;

      const ignored = [...entries.keys()].filter((k) => !PROCESS_KEYS.has(k));
      if (ignored.length > 0) {
        warnings.push({
          file: this.file,
          line,
          message: `process '${type}': ignored ${ignored.join(', ')} (procinit reads type, command, instances, memory and the health-check keys)`,
        });
      }
      if (/\(\([^)]*\)\)/.test(command)) {
        warnings.push({
          file: this.file,
          line: this.lineOf(commandEntry.keyNode),
          message: `process '${type}': ((variables)) in the command are not interpolated`,
        });
      }
      return { type, command, instances, line, health: this.healthKeys(entries) };
    });
  }

  /** The health and memory keys of a process or application, as scalars with their lines. */
  healthKeys(entries: Map<string, Entry>): CfHealthValues {
    const out: CfHealthValues = {};
    for (const key of CF_HEALTH_KEYS) {
      const e = entries.get(key);
      if (!e) continue;
      const v = this.deref(e.value);
      if (v !== null && !yaml().isScalar(v)) throw this.error(v, `${key} must be a single value`);
      out[key] = { value: v === null ? null : v.value, where: { file: this.file, line: this.lineOf(e.value ?? e.keyNode) } };
    }
    return out;
  }

  /** env: NAME: value (scalars become strings). */
  env(entry: Entry | undefined): Record<string, string> {
    if (!entry) return {};
    const node = this.deref(entry.value);
    if (node === null) return {};
    if (!yaml().isMap(node)) throw this.error(node, 'env: must be a mapping of NAME: value');
    return Object.fromEntries(
      [...this.entries(node).values()].map((e): [string, string] => {
        const v = this.deref(e.value);
        if (v === null) return [e.key, ''];
        if (!yaml().isScalar(v) || typeof v.value === 'object') {
          throw this.error(v, `env ${e.key}: must be a string, number or boolean`);
        }
        return [e.key, String(v.value)];
      }),
    );
  }

  /** A map's entries by key, `<<` merges applied (the map's own keys win). */
  private entries(map: YAMLMap): Map<string, Entry> {
    const own = new Map<string, Entry>();
    const merged = new Map<string, Entry>();
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      if (!yaml().isScalar(keyNode)) throw this.error(keyNode ?? map, 'keys must be plain scalars');
      const value = (pair.value as Node | null) ?? null;
      if (typeof keyNode.value === 'symbol' || keyNode.value === '<<') {
        const sources = this.deref(value);
        const list = yaml().isSeq(sources) ? sources.items.map((i) => this.deref(i as Node)) : [sources];
        for (const source of list) {
          if (!yaml().isMap(source)) throw this.error(source ?? keyNode, '<< must merge a mapping');
          for (const [k, e] of this.entries(source)) if (!merged.has(k)) merged.set(k, e);
        }
        continue;
      }
      own.set(String(keyNode.value), { key: String(keyNode.value), keyNode, value });
    }
    for (const [k, e] of merged) if (!own.has(k)) own.set(k, e);
    return own;
  }

  private string(entry: Entry, what: string): string {
    const v = this.deref(entry.value);
    if (!yaml().isScalar(v) || typeof v.value !== 'string') {
      throw this.error(v ?? entry.keyNode, `${what} must be a string`);
    }
    return v.value;
  }

  private command(entry: Entry, what: string): string {
    const command = this.string(entry, what);
    if (command.trim() === '') throw this.error(entry.value ?? entry.keyNode, `${what} is empty`);
    return command;
  }

  private count(entry: Entry): number {
    const v = this.deref(entry.value);
    const n = yaml().isScalar(v) ? v.value : undefined;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw this.error(v ?? entry.keyNode, `instances: must be a whole number >= 0, not ${yaml().isScalar(v) ? String(v.value) : 'that'}`);
    }
    return n;
  }

  /** Follow an alias; null for a missing node or an empty/`~`/`null` value. */
  private deref(node: Node | null | undefined): Node | null {
    if (node === null || node === undefined) return null;
    const target = yaml().isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? null) : node;
    return yaml().isScalar(target) && target.value === null ? null : target;
  }

  private lineOf(node: Node | null): number {
    const start = node?.range?.[0];
    return start === undefined ? 1 : this.lineCounter.linePos(start).line;
  }

  private error(node: Node | null, detail: string): ConfigError {
    return new ConfigError(this.file, this.lineOf(node), detail);
  }
}
