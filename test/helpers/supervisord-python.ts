/**
 * Access to supervisord's Python (Debian's `supervisor` package under /usr/bin/python3) for tests that compare
 * procinit's ports of ConfigParser, `%` formatting and shlex with the originals. Tests skip, saying why, when
 * the package is missing.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const ORACLE = resolve(dirname(fileURLToPath(import.meta.url)), 'supervisord_oracle.py');

const probe = spawnSync(PYTHON, ['-c', 'import supervisor.options'], { encoding: 'utf8' });

/** True when /usr/bin/python3 can import supervisor.options. */
export const haveSupervisorPython = probe.status === 0;

/** Why the Python comparisons are skipped (for an `it.skip` title). */
export const supervisorPythonSkipReason = `skipped: ${PYTHON} cannot import supervisor.options (install Debian's "supervisor" package)${
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
