/**
 * The Cloud Foundry manifest's own `memory: 64M` / `memory: 32M` enforced by the real procinit: each
 * process that allocates past its memory is killed, reported with its limit and restarted (-r all);
 * `status --json` and `procinit top` show memory against the limit and how it is enforced. With cgroups
 * where this host lets procinit make them (root here: cgroup v1), and with --limits rss anywhere.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups } from '../../../src/health/limits/cgroup.js';
import { HOG_JS } from '../../helpers/limits.js';
import { startRun, type Run } from '../control-harness.js';

const MANIFEST = `applications:
- name: app
  processes:
  - type: web
    command: node hog.js
    memory: 64M
  - type: worker
    command: node hog.js
    memory: 32M
  - type: clock
    command: sleep 1000
`;

const canCgroup = (() => {
  if (process.getuid?.() !== 0) return false;
  // detection would create the v1 parent for this pid: ask with a pid no procinit has
  const d = detectCgroups({ mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'), pid: 0 });
  if (d.ok) for (const dir of [d.host.memoryParent, d.host.cpuParent]) if (dir) try { require('node:fs').rmdirSync(dir); } catch { /* busy */ }
  return d.ok && d.host.version === 1;
})();

const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

async function manifestRun(extra: string[]): Promise<Run> {
  const r = await startRun({ 'manifest.yml': MANIFEST, 'hog.js': HOG_JS }, ['-c', 'manifest.yml', '-r', 'all', '-t', '1', ...extra]);
  runs.push(r);
  return r;
}

interface Res {
  name: string;
  resources: { limit_mode: string | null; memory: number | null; memory_limit: number | null; cpu_percent: number | null; memory_kills: number };
}

describe.each([
  ['cgroup v1', [] as string[], /limits: cgroup v1, memory and cpu enforced by the kernel/, 'cgroup-v1', /\(the kernel killed (it|a process) in its cgroup\)/, canCgroup],
  ['RSS sampling', ['--limits', 'rss'], /limits: RSS sampling every 1s \(cgroups not usable: PROCINIT_LIMITS=rss\)/, 'rss', /\(RSS [\d.]+M sampled\)/, true],
])('CF manifest memory: 64M / 32M, %s', (_what, flags, modeLine, mode, how, enabled) => {
  it.skipIf(!enabled)('kills each process past its own limit, says so, restarts it; status and top show it', async () => {
    const r = await manifestRun(flags);
    const web = await r.w.waitFor(/web\.1 killed: memory limit 64M exceeded.*/);
    expect(web).toMatch(how);
    expect(await r.w.waitFor(/worker\.1 killed: memory limit 32M exceeded.*/)).toMatch(how);
    await r.w.waitFor(/web\.1 killed by SIGKILL, restarting/);
    expect(r.w.stdout).toMatch(modeLine);
    const st = await r.ctl('status', '--json');
    const procs = JSON.parse(st.stdout) as Res[];
    const by = Object.fromEntries(procs.map((p) => [p.name, p.resources]));
    expect(by['web.1']).toMatchObject({ limit_mode: mode, memory_limit: 64 << 20 });
    expect(by['worker.1']).toMatchObject({ limit_mode: mode, memory_limit: 32 << 20 });
    expect(by['web.1'].memory_kills).toBeGreaterThanOrEqual(1);
    expect(by['clock.1']).toMatchObject({ limit_mode: null, memory_limit: null, memory_kills: 0 });
    const table = await r.ctl('status');
    expect(table.stdout).toMatch(modeLine);
    const top = await r.ctl('top', '-n', '1', '-i', '0.5');
    expect(top.code).toBe(0);
    const lines = top.stdout.split("\n");
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'STATE', 'PID', 'CPU', 'MEMORY', 'LIMITS', 'OOM']);
    expect(lines.find((l) => l.startsWith('clock.1'))).toMatch(/^clock\.1\s+RUNNING\s+\d+\s+0\.0%\s+[\d.]+[KM]?B?\s+-\s+0$/);
    expect(lines.find((l) => l.startsWith('worker.1'))).toMatch(new RegExp(`^worker\\.1\\s+\\S+\\s+\\S+\\s+\\S+\\s+(\\S+ / 32M \\(\\d+%\\)|- / 32M)\\s+${mode}\\s+[1-9]\\d*$`));
  }, 60_000);
});
