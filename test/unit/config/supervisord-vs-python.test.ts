/**
 * procinit's supervisord reader against supervisord's own parser (Debian's `supervisor` package, run with
 * /usr/bin/python3 through test/helpers/supervisord_dump.py), config by config and program by program:
 * every file in ../shared/corpus/supervisord/, ../shared/corpus/supervisor-fixtures/ and
 * test/fixtures/supervisord/.
 *
 * - Both accept: the processes (`check --json` keys), the [supervisord] environment and each stream's log
 *   target must be the same.
 * - Both refuse: fine. One refuses: only where the file documents a deliberate difference on its first line,
 *   `; expect: supervisord=accept|refuse procinit=accept|refuse (why)`, or for conf.d fragments (no
 *   [supervisord] section), which procinit reads with a warning and which are then compared with supervisord
 *   reading them through an [include].
 * - supervisord runs "lenient" (host checks pass: log directories and users need not exist here), because
 *   procinit only warns about those; a second strict run checks that procinit does warn where supervisord
 *   refuses for such a host reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toCheckJson, type CheckProcess } from '../../../src/config/check-json.js';
import { ConfigError } from '../../../src/config/errors.js';
import type { LogTarget, RunSpec } from '../../../src/config/model.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { readSupervisordRun } from '../../../src/config/supervisord.js';
import { PYTHON, haveSupervisorPython, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = resolve(repoRoot, '../shared/corpus');
const fixtures = resolve(repoRoot, 'test/fixtures/supervisord');
const HELPER = resolve(repoRoot, 'test/helpers/supervisord_dump.py');
const havePython = haveSupervisorPython;

/** The environment both parsers see: a fixed set, plus what corpus files expand with %(ENV_X)s. */
const ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  SASLAUTHD_MECH_OPTIONS: 'ldap.example.org',
  RESOURCES_PATH: '/resources',
  SUPERVISOR_USERNAME: 'admin',
  SUPERVISOR_PASSWORD: 'secret',
  MAX_WORKER_NUM: '4',
  ENABLE_NGINX: 'true',
  ENABLE_WEB: 'false',
  ENABLE_WEBSOCKET: 'yes',
  ENABLE_WEBSOCKET_MONOLITHIC: 'off',
  ENABLE_WORKER: '1',
  AIO_LOG_LEVEL: 'warn',
  JANUS_LOG_LEVEL: '4',
  CVAT_REDIS_HOST: 'cvat_redis',
  NUMPROCS: '3',
  SMOKESCREEN_OPTS: '--deny-range 10.0.0.0/8',
  SE_SUPERVISORD_CHILD_LOG_DIR: '/tmp',
  SE_SUPERVISORD_LOG_FILE: '/tmp/supervisord.log',
  SE_SUPERVISORD_LOG_LEVEL: 'info',
  SE_SUPERVISORD_PID_FILE: '/tmp/supervisord.pid',
  SEL_USER: 'seluser',
  // for test/fixtures/supervisord
  PROCINIT_TEST_WORD: 'hello world',
  PROCINIT_TEST_PERCENT: '100%',
  PROCINIT_TEST_NUM: '7',
};

interface PyAccepted {
  ok: true;
  processes: CheckProcess[];
  logs: Array<Record<string, string | number>>;
  environment: Record<string, string>;
  childlogdir: string;
  identifier: string;
  warnings: string[];
}
type PyResult = PyAccepted | { ok: false; error: string };

/**
 * Corpus files whose [unix_http_server] / [inet_http_server] supervisord refuses (a user missing on this host,
 * no file=): procinit ignores those sections, so supervisord is run with them ignored too.
 */
const IGNORE_SERVER_SECTIONS = new Set([
  '057__zulip__zulip__puppet__zulip__files__supervisor__conf.d__zulip.conf', // [unix_http_server] chown without file
  '059__zulip__zulip__puppet__zulip__files__supervisor__supervisord.conf', // chown=zulip:zulip, no such user here
]);

function runPython(files: string[], lenient: boolean): PyResult[] {
  const plain = files.filter((f) => !IGNORE_SERVER_SECTIONS.has(basename(f)));
  const ignoring = files.filter((f) => IGNORE_SERVER_SECTIONS.has(basename(f)));
  const results = new Map<string, PyResult>();
  for (const [list, extra] of [[plain, []], [ignoring, ['--ignore-servers']]] as Array<[string[], string[]]>) {
    const out = runHelper(list, [...(lenient ? ['--lenient'] : []), ...extra]);
    list.forEach((f, i) => results.set(f, out[i]));
  }
  return files.map((f) => results.get(f) as PyResult);
}

function runHelper(files: string[], flags: string[]): PyResult[] {
  if (files.length === 0) return [];
  const args = [HELPER, ...flags, ...files];
  const r = spawnSync(PYTHON, args, { env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`supervisord_dump.py failed: ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as PyResult | PyResult[];
  return files.length === 1 ? [parsed as PyResult] : (parsed as PyResult[]);
}

type Ours = { ok: true; run: RunSpec } | { ok: false; error: string };

function runProcinit(file: string): Ours {
  try {
    const run = readSupervisordRun(file, defaultLoadOptions({ env: ENV, cwd: dirname(file) }), {});
    return { ok: true, run };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err.message };
    throw err;
  }
}

interface Expectation {
  supervisord: boolean;
  procinit: boolean;
  why: string;
}

/** `; expect: supervisord=accept procinit=refuse (why)` on a fixture's first line. */
function expectation(file: string): Expectation | null {
  const first = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  const m = /^[;#] expect: supervisord=(accept|refuse) procinit=(accept|refuse) \((.+)\)/.exec(first);
  return m ? { supervisord: m[1] === 'accept', procinit: m[2] === 'accept', why: m[3] } : null;
}

function listConfigs(): string[] {
  const out: string[] = [];
  const add = (dir: string, filter: (name: string) => boolean): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) if (filter(name)) out.push(join(dir, name));
  };
  add(join(corpus, 'supervisord'), () => true);
  add(join(corpus, 'supervisor-fixtures'), (n) => n.endsWith('.conf'));
  add(fixtures, (n) => n.endsWith('.conf'));
  if (existsSync(fixtures)) {
    for (const d of readdirSync(fixtures, { withFileTypes: true })) {
      if (d.isDirectory() && existsSync(join(fixtures, d.name, 'main.conf'))) out.push(join(fixtures, d.name, 'main.conf'));
    }
  }
  return out;
}

const NO_SUPERVISORD_SECTION = '.ini file does not include supervisord section';
const HOST_WARNING = /supervisord refuses such a config/;

/** What procinit's LogTarget must be for supervisord's logfile setting. */
function expectedTarget(py: Record<string, string | number>, channel: 'stdout' | 'stderr', proc: CheckProcess, res: PyAccepted, cwd: string): LogTarget {
  const value = String(py[`${channel}_logfile`]);
  const maxBytes = Number(py[`${channel}_logfile_maxbytes`]);
  const backups = Number(py[`${channel}_logfile_backups`]);
  if (value === 'NONE') return { kind: 'none' };
  if (value === 'AUTO') {
    // supervisord's tempfile name: NAME-CHANNEL---IDENTIFIER-XXXXXXXX.log (the random part checked as a pattern)
    return { kind: 'file', path: expect.stringMatching(new RegExp(`^${escapeRe(posix.join(res.childlogdir, `${proc.name}-${channel}---${res.identifier}-`))}[a-z0-9_]{8}\\.log$`)) as unknown as string, maxBytes, backups };
  }
  const path = posix.normalize(resolve(cwd, value));
  if (['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1', '/proc/1/fd/1'].includes(path)) return { kind: 'mux' };
  if (['/dev/stderr', '/dev/fd/2', '/proc/self/fd/2', '/proc/1/fd/2'].includes(path)) return { kind: 'stderr' };
  if (path === '/dev/null') return { kind: 'none' };
  return { kind: 'file', path, maxBytes, backups };
}

function compareAccepted(ours: RunSpec, py: PyAccepted, cwd: string): void {
  const processes = toCheckJson(ours).processes;
  expect(processes).toEqual(py.processes);
  expect(ours.environment).toEqual(py.environment);
  const specs = ours.programs.flatMap((p) => p.instances);
  specs.forEach((spec, i) => {
    const stdout = expectedTarget(py.logs[i], 'stdout', py.processes[i], py, cwd);
    expect(spec.stdoutLog, `${spec.name} stdout`).toEqual(stdout);
    // supervisord merges a redirected stderr into stdout; procinit gives stderr stdout's target.
    const stderr = spec.redirect_stderr ? stdout : expectedTarget(py.logs[i], 'stderr', py.processes[i], py, cwd);
    expect(spec.stderrLog, `${spec.name} stderr`).toEqual(stderr);
  });
}

const configs = listConfigs();
const tmp = mkdtempSync(join(tmpdir(), 'procinit-vs-supervisord-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A main file that includes a conf.d fragment, so that supervisord reads it. */
function wrapperFor(fragment: string): string {
  const wrapper = join(tmp, `${basename(fragment)}`);
  writeFileSync(wrapper, `[supervisord]\n\n[include]\nfiles = ${fragment}\n`);
  return wrapper;
}

describe.skipIf(!havePython)('supervisord reader vs supervisord 4 (Python)', () => {
  const lenient = havePython ? runPython(configs, true) : [];
  const strict = havePython ? runPython(configs, false) : [];
  const fragments = new Map<string, PyResult>();
  if (havePython) {
    const needWrapper = configs.filter((f, i) => !lenient[i].ok && (lenient[i] as { error: string }).error === NO_SUPERVISORD_SECTION);
    const wrapped = runPython(needWrapper.map(wrapperFor), true);
    needWrapper.forEach((f, i) => fragments.set(f, wrapped[i]));
  }

  it('covers the corpus and the fixtures', () => {
    expect(configs.filter((f) => f.includes('/corpus/supervisord/')).length).toBeGreaterThan(20);
    expect(configs.filter((f) => f.includes('/supervisor-fixtures/')).length).toBeGreaterThan(20);
    expect(configs.filter((f) => f.startsWith(fixtures)).length).toBeGreaterThan(20);
  });

  configs.forEach((file, i) => {
    const label = file.startsWith(fixtures) ? posix.relative(repoRoot, file) : `corpus/${basename(dirname(file))}/${basename(file)}`;
    it(label, () => {
      const ours = runProcinit(file);
      const py = lenient[i];
      const expected = expectation(file);
      const fragment = fragments.get(file);
      if (expected) {
        expect(py.ok, `supervisord ${expected.supervisord ? 'accepts' : 'refuses'} (${expected.why}): ${JSON.stringify(py)}`).toBe(expected.supervisord);
        expect(ours.ok, `procinit ${expected.procinit ? 'accepts' : 'refuses'} (${expected.why}): ${ours.ok ? '' : ours.error}`).toBe(expected.procinit);
        if (py.ok && ours.ok) compareAccepted(ours.run, py, dirname(file));
        return;
      }
      if (fragment) {
        // A conf.d fragment: procinit reads it (with a warning) as supervisord reads it through an [include].
        if (!fragment.ok) {
          expect(ours.ok, `supervisord refuses the included fragment: ${fragment.error}`).toBe(false);
          return;
        }
        if (fragment.processes.length === 0 && !ours.ok) {
          // Nothing to run and no [supervisord] section: both refuse the file itself.
          expect(ours.error).toMatch(/not a supervisord config/);
          return;
        }
        expect(ours.ok, ours.ok ? '' : ours.error).toBe(true);
        if (!ours.ok) return;
        expect(ours.run.warnings.some((w) => /no \[supervisord\] section/.test(w.message))).toBe(true);
        compareAccepted(ours.run, fragment, dirname(file));
        return;
      }
      if (!py.ok) {
        expect(ours.ok, `supervisord refuses (${py.error}) but procinit accepts`).toBe(false);
        return;
      }
      expect(ours.ok, `supervisord accepts but procinit refuses: ${ours.ok ? '' : ours.error}`).toBe(true);
      if (!ours.ok) return;
      compareAccepted(ours.run, py, dirname(file));
      const strictResult = strict[i];
      if (!strictResult.ok) {
        // supervisord refuses on this host (missing directory or user): procinit must say so.
        expect(ours.run.warnings.map((w) => w.message).join('\n'), strictResult.error).toMatch(HOST_WARNING);
      }
    });
  });
});

reportMissingSupervisorPython();

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
