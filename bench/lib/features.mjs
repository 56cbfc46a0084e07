// Which procinit features exist yet: scenarios that need a missing one report "n/a (feature missing)".
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { launch, markers, stopTool, waitFor } from './proc.mjs';
import { writeProcfile, writeSupervisordConf } from './tools.mjs';

/** ini: procinit accepts the supervisord.conf the restart scenario uses. control: `procinit status` answers. */
export async function detectFeatures(ctx, tmp) {
  const dir = mkdtempSync(join(tmp, 'features-'));
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const features = { ini: false, control: false, notes: [] };

  const { file } = writeSupervisordConf(dir, [{ name: 'r', argv: [ctx.programs.tick, join(dir, 'ticks')] }], { restart: true });
  const check = spawnSync(ctx.procinit.cmd, [...ctx.procinit.args, 'check', '-c', file], { cwd: empty, env: ctx.env, encoding: 'utf8', timeout: 20000 });
  features.ini = check.status === 0;
  if (!features.ini) features.notes.push(`procinit check -c supervisord.conf: exit ${check.status}: ${(check.stderr || check.stdout || '').trim().split('\n')[0]}`);

  const mdir = join(dir, 'markers');
  mkdirSync(mdir);
  const procfile = writeProcfile(dir, [{ name: 'm', argv: [ctx.programs.marker, join(mdir, 'm')] }]);
  const sock = join(dir, 'procinit.sock');
  const run = launch(ctx.procinit.cmd, [...ctx.procinit.args, '-f', procfile, '--socket', sock], { env: ctx.env, cwd: dir });
  try {
    if (await waitFor(() => markers(mdir).length === 1, { timeoutMs: 10000 })) {
      const st = spawnSync(ctx.procinit.cmd, [...ctx.procinit.args, 'status', '--socket', sock], {
        cwd: empty,
        env: { ...ctx.env, PROCINIT_SOCKET: sock },
        encoding: 'utf8',
        timeout: 10000,
      });
      features.control = st.status === 0 && /\bm\b/.test(st.stdout);
      if (!features.control) features.notes.push(`procinit status: exit ${st.status}: ${(st.stderr || st.stdout || '').trim().split('\n')[0]}`);
    } else features.notes.push('procinit -f Procfile did not start its program within 10 s');
  } finally {
    await stopTool(run, 5000);
  }
  return features;
}
