/**
 * `procinit export fly`: a fly.toml whose `[processes]` run `procinit up TYPE` (fly execs each value
 * after shell-word splitting, without a shell: a raw Procfile command such as `i=0; while ...` or
 * `$PORT` would not run), so procinit in the machine applies the config's shell, environment, user,
 * directory and stop signals as it does everywhere. Around it: kill_signal/kill_timeout from procinit's
 * grace, `[http_service]` for web on its PORT, one-shot tasks as `[deploy] release_command`, checks and
 * `[[vm]]` sizes per process group from the health model (fly-checks.ts), and
 * comments for what fly.toml cannot hold (instance counts: `fly scale count`; env files: `fly secrets
 * import`, never their values). Pure: RunSpec in, TOML out.
 */
import type * as Toml from 'smol-toml';
import { UsageError } from '../config/errors.js';
import type { RunSpec } from '../config/model.js';
import { planContainers, tasksCommand, type ContainerOptions } from './container.js';
import { flyHealth } from './fly-checks.js';
import { headerLines } from './header.js';

// required, not imported: the config reader (src/config/fly.ts) requires smol-toml too, and the bundle
// should hold one copy of it (its CommonJS build), not both builds
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stringify } = require('smol-toml') as typeof Toml;

/** fly's upper bound for kill_timeout, in seconds. */
export const FLY_MAX_KILL_TIMEOUT = 300;

export interface FlyOptions extends ContainerOptions {
  /** The fly app name. */
  name: string;
  /** `--image`, when given: `[build] image`. */
  image: string | null;
  /** The env files (.env, -e) as the user names them, for the `fly secrets import` comment. */
  envFiles?: string[];
}

export function exportFly(run: RunSpec, opts: FlyOptions): string {
  if (run.format === 'fly') {
    throw new UsageError(`export fly: ${run.file} is a fly.toml already (export fly reads a Procfile, supervisord.conf or manifest.yml)`);
  }
  const plans = planContainers(run, opts);
  const services = plans.filter((p) => !p.oneShot);
  const tasks = plans.filter((p) => p.oneShot && p.replicas > 0);
  if (services.length === 0) throw new UsageError('export fly: no long-running process type to run (fly needs one in [processes])');

  const comments = headerLines('fly', run.file);
  if (services.some((p) => p.replicas !== 1)) comments.push(` fly scale count ${services.map((p) => `${p.type}=${p.replicas}`).join(' ')}`);
  for (const file of opts.envFiles ?? []) comments.push(` ${file} is not written here; make its variables secrets: fly secrets import < ${file}`);
  if (tasks.length > 1) comments.push(` release_command runs ${tasks.map((t) => t.type).join(', ')} side by side; it fails if one fails`);

  const grace = plans.reduce((g, p) => Math.max(g, p.terminationGraceSeconds), -Infinity);
  const config: Record<string, unknown> = {
    app: opts.name,
    // procinit is PID 1: fly's default SIGINT would do, TERM says what docker and Kubernetes send.
    kill_signal: 'SIGTERM',
    kill_timeout: Math.min(grace, FLY_MAX_KILL_TIMEOUT),
  };
  if (grace > FLY_MAX_KILL_TIMEOUT) comments.push(` the grace of ${grace} s is cut to fly's maximum kill_timeout, ${FLY_MAX_KILL_TIMEOUT} s`);
  if (opts.image !== null) config.build = { image: opts.image };
  config.processes = Object.fromEntries(services.map((p) => [p.type, shellWords(p.command)]));
  if (tasks.length > 0) {
    config.deploy = { release_command: shellWords(tasksCommand(run, opts, tasks.map((t) => t.type))) };
  }
  const web = services.find((p) => p.type === 'web' && p.port !== null) ?? null;
  const health = flyHealth(services, web);
  for (const c of health.comments) comments.push(c);
  if (web) {
    config.http_service = {
      internal_port: web.port,
      force_https: true,
      processes: [web.type],
      ...(health.httpServiceChecks.length > 0 ? { checks: health.httpServiceChecks } : {}),
    };
  }
  if (Object.keys(health.checks).length > 0) config.checks = health.checks;
  if (health.vms.length > 0) config.vm = health.vms;

  return `${comments.map((c) => `#${c}`).join('\n')}\n${stringify(config)}\n`;
}

/** One command line fly splits back into these words (shell-word rules: single quotes protect all). */
export function shellWords(argv: string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
