/** A real supervisor with resource limits, run in the test process: for the limits mechanism's own tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRun } from '../../src/config/load.js';
import { defaultLoadOptions } from '../../src/config/options.js';
import { startReaper } from '../../src/pid1/reaper.js';
import { DirectSpawner } from '../../src/supervisor/direct-spawn.js';
import { ProcessLauncher } from '../../src/supervisor/spawn.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { ResourceLimits } from '../../src/health/limits/limits.js';
import type { LimitMonitor } from '../../src/health/limits/monitor.js';
import { startLimits } from '../../src/health/limits/wire.js';
import { tempDir } from './procinit.js';

/** A program that allocates (and touches) 8 MiB every 50 ms, forever. */
export const HOG_JS = `const chunks = [];
console.log('hog starting');
setInterval(() => { chunks.push(Buffer.alloc(8 << 20, 1)); }, 50);
`;

export interface LimitedRun {
  supervisor: Supervisor;
  monitor: LimitMonitor;
  logs: string[];
  dir: string;
  stop(): Promise<void>;
}

/** Run a Procfile with the given limits per type (as ProgramSpec.health.limits would give them). */
export function runLimited(procfile: string, limits: Record<string, Partial<ResourceLimits>>, opts: { rss?: boolean; periodMs?: number; autoRestart?: boolean } = {}): LimitedRun {
  const dir = tempDir();
  writeFileSync(join(dir, 'hog.js'), HOG_JS);
  writeFileSync(join(dir, 'Procfile'), procfile);
  const run = loadRun(defaultLoadOptions({ procfile: join(dir, 'Procfile'), cwd: dir, env: process.env, autoRestart: opts.autoRestart ? 'all' : [] }));
  for (const p of run.programs) {
    const l = limits[p.name];
    if (l) p.health.limits = { memoryBytes: l.memoryBytes ?? null, cpu: l.cpu ?? null, source: null };
  }
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const launcher = new ProcessLauncher(run);
  const supervisor = new Supervisor(run, { launcher, log });
  const direct = new DirectSpawner();
  const reaper = startReaper({ ownPids: () => supervisor.ownPids(), onReaped: (r) => r.forEach((x) => direct.claim(x.pid, x.status)), sweepMs: 1000 });
  if (reaper.active) launcher.spawnDirectly(direct);
  const monitor = startLimits(supervisor, launcher, (_l, m) => logs.push(m), { forceRss: opts.rss, periodMs: opts.periodMs ?? 200 });
  supervisor.start();
  return {
    supervisor,
    monitor,
    logs,
    dir,
    async stop() {
      await supervisor.shutdown('test');
      await monitor.close();
      reaper.stop();
    },
  };
}
