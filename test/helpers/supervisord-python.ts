/**
 * Access to supervisord's Python (Debian's `supervisor` package under /usr/bin/python3) for tests that compare
 * procinit's ports of ConfigParser, `%` formatting and shlex with the originals. Without the package the
 * comparisons skip, saying why, except under CI (.ci/run installs it), where its absence is a failure.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

export const PYTHON = '/usr/bin/python3';
const ORACLE = resolve(dirname(fileURLToPath(import.meta.url)), 'supervisord_oracle.py');

const probe = spawnSync(PYTHON, ['-c', 'import supervisor.options'], { encoding: 'utf8' });

/** True when /usr/bin/python3 can import supervisor.options. */
export const haveSupervisorPython = probe.status === 0;

/** Why the Python comparisons cannot run. */
export const supervisorPythonSkipReason = `${PYTHON} cannot import supervisor.options (install Debian's "supervisor" package)${
  probe.error ? `: ${probe.error.message}` : probe.stderr ? `: ${probe.stderr.trim().split('\n').pop()}` : ''
}`;

export type OracleResult<T> = { ok: T } | { error: string };

/** Run many cases through test/helpers/supervisord_oracle.py in one Python process. */
export function askPython<T>(kind: 'format' | 'ini' | 'split' | 'pairs', cases: unknown[]): Array<OracleResult<T>> {
  const r = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify({ kind, cases }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  if (r.status !== 0) throw new Error(`supervisord_oracle.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<OracleResult<T>>;
}

/**
 * Where a file's comparisons with supervisord's Python would be: nothing when the package is there; otherwise
 * one test that says why they did not run, skipped on a developer's machine and failing under CI, where
 * .ci/run installs the package and a silent skip would hide the lost comparisons.
 */
export function reportMissingSupervisorPython(): void {
  if (haveSupervisorPython) return;
  it.skipIf(!process.env.CI)(`comparisons with supervisord not run: ${supervisorPythonSkipReason}`, () => {
    throw new Error(`${supervisorPythonSkipReason} (.ci/run installs it)`);
  });
}
