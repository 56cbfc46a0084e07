/**
 * `procinit export kubernetes|compose|fly [TYPE...] [options]`: read the config as `up` would, then write
 * what the platform needs to run the same processes, to stdout or to a file in `-o DIR`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../config/errors.js';
import { readFlyAppName } from '../config/fly.js';
import { loadRun } from '../config/load.js';
import { withFsWatchdog } from './fs-watchdog.js';
import { readManifestAppName } from '../config/manifest.js';
import type { RunSpec } from '../config/model.js';
import type { LoadOptions } from '../config/options.js';
import { basePort } from '../config/process-type.js';
import { exportCompose } from '../export/compose.js';
import type { ContainerOptions } from '../export/container.js';
import { exportFly } from '../export/fly.js';
import { isGenerated } from '../export/header.js';
import { exportKubernetes } from '../export/kubernetes.js';
import { LOAD_OPTIONS, parse, toLoadOptions } from './args.js';

export const EXPORT_HELP = `Usage: procinit export kubernetes|compose|fly [TYPE...] [options]

Write what a platform needs to run the same processes, one container per process type.
  kubernetes   a Deployment per type (replicas = formation), a Job per one-shot task, a Service for web
  compose      a docker compose service per type with deploy.replicas (docker-compose 1.29+ and v2)
  fly          a fly.toml: [processes], [deploy] release_command, [http_service], kill_signal/kill_timeout
Each container runs \`procinit up TYPE\` with the same config, in the image's WORKDIR. One-shot tasks
(types named release or migrate, --can-die types, supervisord's autorestart=false) run to completion
before the services (compose depends_on, a Kubernetes Job, fly's release_command). The env files (.env,
-e) are referenced, never copied: compose env_file, a Kubernetes Secret, fly secrets.

Options:
  -o, --out DIR          write DIR/kubernetes.yaml, DIR/compose.yaml or DIR/fly.toml instead of stdout
                         (a file there that procinit export did not write is never overwritten)
      --image IMAGE      the image every container runs (required for kubernetes and compose)
      --name NAME        app name for objects and labels (default: fly app, manifest application, else
                         the folder of -d, else the config's folder)
      --config-in-image PATH
                         where the config is inside the image (default: its path relative to -d, the
                         folder the image has as WORKDIR, which defaults to the config's folder)
  -f, --procfile PATH    Procfile
  -c, --config PATH      supervisord.conf / fly.toml / manifest.yml / Procfile
  -d, --root DIR         working directory (default: the config's folder)
  -e, --env FILE         env file (repeatable), over ./.env
  -p, --port N           base port (default $PORT or 5000)
  -m, --formation SPEC   instance counts: web=2,worker=0 or all=N
  -t, --timeout SECONDS  grace before SIGKILL on stop (default 5), passed on to the containers
      --app NAME         application of a Cloud Foundry manifest
  (the other options of \`up\` are accepted and change nothing here)
  -h, --help             this help
`;

const TARGETS = { kubernetes: 'kubernetes', k8s: 'kubernetes', compose: 'compose', fly: 'fly' } as const;
type Target = (typeof TARGETS)[keyof typeof TARGETS];
const OUT_FILE: Record<Target, string> = { kubernetes: 'kubernetes.yaml', compose: 'compose.yaml', fly: 'fly.toml' };

export interface ExportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const defaultIo = (): ExportIo => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});

const EXPORT_OPTIONS = {
  ...LOAD_OPTIONS,
  out: { type: 'string', short: 'o' },
  image: { type: 'string' },
  name: { type: 'string' },
  'config-in-image': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function exportCommand(args: string[], io: ExportIo = defaultIo()): Promise<number> {
  const { values: v, positionals } = parse(args, EXPORT_OPTIONS);
  if (v.help) {
    io.stdout(EXPORT_HELP);
    return 0;
  }
  const [targetName, ...types] = positionals;
  if (targetName === undefined) throw new UsageError('export: which platform? (kubernetes, compose or fly)');
  if (!Object.hasOwn(TARGETS, targetName)) {
    throw new UsageError(`export: unknown platform '${targetName}' (kubernetes, compose or fly)`);
  }
  const target = TARGETS[targetName as keyof typeof TARGETS];
  const image = v.image ?? null;
  if (target !== 'fly' && (image === null || image.trim() === '')) {
    throw new UsageError(`export ${target}: --image IMAGE is required (the image every container runs)`);
  }

  const opts = toLoadOptions(v, types, io.env, io.cwd);
  const run = withFsWatchdog(() => loadRun(opts)); // never a hung terminal
  for (const w of run.warnings) io.stderr(`warning: ${w.file}:${w.line}: ${w.message}\n`);

  const container: ContainerOptions = {
    basePort: run.format === 'supervisord' ? null : basePort(opts, run.environment),
    // Passed on only when given, so the container's procinit keeps its own default otherwise.
    timeout: v.timeout === undefined ? null : opts.timeout,
    app: opts.app,
    imageRoot: opts.root === null ? null : resolve(io.cwd, opts.root),
    configInImage: v['config-in-image'] ?? null,
  };
  const name = v.name ?? defaultName(run, opts);
  const dir = v.out === undefined ? null : resolve(io.cwd, v.out);
  const envFiles = usedEnvFiles(run, opts);
  // compose resolves env_file against the compose file's folder; the others are commands run from here
  const named = (from: string) => envFiles.map((f) => slashes(relative(from, f)) || f);
  const text =
    target === 'fly'
      ? exportFly(run, { ...container, name, image, envFiles: named(io.cwd) })
      : target === 'kubernetes'
        ? exportKubernetes(run, { ...container, image: image as string, name, envFiles: named(io.cwd) })
        : exportCompose(run, { ...container, image: image as string, name, envFiles: named(dir ?? io.cwd) });

  if (dir === null) {
    io.stdout(text);
    return 0;
  }
  const file = join(dir, OUT_FILE[target]);
  if (existsSync(file) && !isGenerated(readFileSync(file, 'utf8'))) {
    throw new UsageError(`export: ${file} exists and was not written by procinit export; move it or choose another -o DIR`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  io.stderr(`wrote ${file}\n`);
  return 0;
}

/** fly.toml's app, the manifest's application, else the name of -d's folder or the config's folder. */
function defaultName(run: RunSpec, opts: LoadOptions): string {
  const folder = basename(opts.root === null ? dirname(run.file) : resolve(opts.cwd, opts.root));
  if (run.format === 'fly') return readFlyAppName(run.file) ?? folder;
  if (run.format === 'manifest') return readManifestAppName(run.file, opts.app) || folder;
  return folder;
}

/** The env files the run read, in order: .env in the root when present, then each -e file. */
function usedEnvFiles(run: RunSpec, opts: LoadOptions): string[] {
  const dotenv = resolve(run.root, '.env');
  return [...(existsSync(dotenv) ? [dotenv] : []), ...opts.envFiles.map((f) => resolve(opts.cwd, f))];
}

function slashes(path: string): string {
  return path.split(sep).join('/');
}
