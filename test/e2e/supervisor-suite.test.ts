/**
 * supervisor's own end-to-end suite (Debian's supervisor/tests/test_end_to_end.py, unchanged) against procinit
 * run as `supervisord` (test/e2e/supervisor-suite/run.sh). Each of its 25 tests runs in its own Python process,
 * a few at a time (most of a failing test's time is pexpect's 30 s timeout), in groups that never share a
 * fixture's socket or log path. The count of passes is the acceptance figure README reports (with why each
 * failing one fails); the failing ones are printed by name.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/procinit.js';

const RUN = join(REPO, 'test/e2e/supervisor-suite/run.sh');
const HAVE = existsSync('/usr/lib/python3/dist-packages/supervisor/tests/test_end_to_end.py');

/** Tests that use the same fixture paths (/tmp/issue-565.sock, /tmp/supervisord.log) run one after another. */
const GROUPS: string[][] = [
  ['test_issue_565', 'test_issue_836', 'test_issue_835', 'test_issue_1224'],
  ['test_issue_291a_percent_signs_in_original_env_are_preserved', 'test_issue_550', 'test_issue_638'],
  ['test_issue_663', 'test_issue_664', 'test_issue_733', 'test_issue_986_command_string_with_double_percent'],
  ['test_issue_1054', 'test_issue_1170a', 'test_issue_1170b', 'test_issue_1170c'],
  ['test_issue_1231a', 'test_issue_1231b', 'test_issue_1231c'],
  ['test_issue_1251', 'test_issue_1298', 'test_issue_1418_pidproxy_cmd_with_no_args', 'test_issue_1418_pidproxy_cmd_with_args'],
  ['test_issue_1483a_identifier_default', 'test_issue_1483b_identifier_from_config_file', 'test_issue_1483c_identifier_from_command_line'],
];

/** Fewest passes accepted (README reports the count). */
const MIN_PASS = 25;

function runGroup(tests: string[]): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    const child = spawn('sh', [RUN, ...tests], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', () => {
      const results = new Map<string, string>();
      // unittest -v: "test_name (module.Class.test_name)\nDocstring first line ... ok|ERROR|FAIL"
      const re = /^(test_\w+) \([^)]*\)(?:\n[^\n]*?)? \.\.\. (ok|ERROR|FAIL|skipped[^\n]*)$/gm;
      for (const m of out.matchAll(re)) results.set(m[1], m[2]);
      for (const t of tests) if (!results.has(t)) results.set(t, `no result (${out.slice(-300)})`);
      resolve(results);
    });
  });
}

async function pool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

describe.skipIf(!HAVE)("supervisor's test_end_to_end.py against procinit as supervisord", () => {
  it(`passes at least ${MIN_PASS} of 25`, async () => {
    const maps = await pool(GROUPS, 4, runGroup);
    const results = new Map(maps.flatMap((m) => [...m]));
    expect(results.size).toBe(25);
    const passed = [...results].filter(([, r]) => r === 'ok').map(([t]) => t);
    const failed = [...results].filter(([, r]) => r !== 'ok').map(([t, r]) => `${t}: ${r}`);
    process.stdout.write(`supervisor end-to-end suite: ${passed.length}/25 pass; failing: ${failed.join('; ') || 'none'}\n`);
    expect(passed.length, failed.join('\n')).toBeGreaterThanOrEqual(MIN_PASS);
  }, 600_000);
});
