/**
 * `procinit export fly`: the `[processes]` table for fly.toml (name = "command"), which readFlyRun reads
 * back into the same processes. fly.toml holds no instance counts: when the formation is not one of each,
 * a comment gives the `fly scale count` command that sets it. Pure: RunSpec in, TOML out.
 */
import type * as Toml from 'smol-toml';
import type { RunSpec } from '../config/model.js';
import { headerLines } from './header.js';

// required, not imported: the config reader (src/config/fly.ts) requires smol-toml too, and the bundle
// should hold one copy of it (its CommonJS build), not both builds
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stringify } = require('smol-toml') as typeof Toml;

export function exportFly(run: RunSpec): string {
  const processes = Object.fromEntries(
    run.programs.map((program) => {
      const sample = program.instances[0] ?? program.instantiate(program.firstInstance);
      return [program.name, sample.command];
    }),
  );
  const comments = headerLines('fly', run.file);
  const counts = run.programs.map((p) => `${p.name}=${p.instances.length}`);
  if (run.programs.some((p) => p.instances.length !== 1)) comments.push(` fly scale count ${counts.join(' ')}`);
  return `${comments.map((c) => `#${c}`).join('\n')}\n${stringify({ processes })}\n`;
}
