/**
 * The same supervisord.conf under the real supervisord (Debian's package) and under procinit, side by side:
 * programs that crash and give up, ignore SIGTERM, write to both streams, exit expectedly, read their
 * SUPERVISOR_* environment. Compared: the log lines per program (modulo times and pids) on stdout and in
 * `logfile`, the start-up and shutdown lines, the programs' raw output on stdout and stderr, and the AUTO
 * child log files' names and contents.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, startProcinit, Watched } from '../helpers/procinit.js';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../helpers/supervisord-python.js';

const CONF = `[supervisord]
nodaemon=true
logfile=%(here)s/main.log
pidfile=%(here)s/s.pid
childlogdir=%(here)s
loglevel=info

[program:web]
command=sh -c 'echo out-line; echo err-line >&2; exec sleep 300'
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0

[program:crash]
command=sh -c 'echo boom; exit 3'
; long enough that even a loaded machine runs the crasher to its exit within it
startsecs=5
startretries=1

[program:stubborn]
command=sh -c "trap '' TERM; echo ready; while :; do sleep 0.1; done"
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stopwaitsecs=1
startsecs=0

[program:once]
command=sh -c 'echo once-done'
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
autorestart=false
startsecs=0

[program:env]
command=sh -c 'echo "env=$SUPERVISOR_ENABLED/$SUPERVISOR_PROCESS_NAME/$SUPERVISOR_GROUP_NAME"'
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
autorestart=false
startsecs=0

[procinit]
on_fatal = keep
`;

const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) (.*)$/;
/** procinit's own lines that supervisord has no counterpart for (documented in README). */
const PROCINIT_ONLY = /^(WARN killed \d+ leftover|WARN stopping can take|DEBG )/;

interface Outcome {
  /** Log lines (level and message, pids as N) in order. */
  log: string[];
  /** Everything on stdout that is not a log line (the programs' raw output), sorted. */
  output: string[];
  stderr: string;
  mainLog: string[];
  /** AUTO child log files: name with the random part as X, and content. */
  auto: Record<string, string>;
}

const norm = (s: string): string => s.replace(/pid \d+/g, 'pid N').replace(/\(\d+\)/g, '(N)');

function logLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => LOG_LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => norm(`${m[1]} ${m[2]}`))
    .filter((l) => !PROCINIT_ONLY.test(l));
}

async function runUnder(which: 'supervisord' | 'procinit'): Promise<Outcome> {
  const dir = fixtureDir({ 'supervisord.conf': CONF });
  const w =
    which === 'procinit'
      ? startProcinit(['-c', 'supervisord.conf'], { cwd: dir, env: { PROCINIT_STOP_TIMEOUT: '60' } })
      : // supervisord opens /dev/stdout itself, which a socket (node's stdio) refuses (ENXIO): give it pipes
        new Watched(spawn('sh', ['-c', `exec 3>&1; (${PYTHON} -m supervisor.supervisord -n -c supervisord.conf 2>&1 1>&3 3>&- | cat 1>&2) 3>&1 | cat`], { cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  // the supervisor itself (for supervisord, behind the shell and its pipes): from its pidfile
  const pid = (): number => Number(readFileSync(join(dir, 's.pid'), 'utf8').trim());
  try {
    for (const line of ['gave up: crash', 'exited: once', 'exited: env', 'success: web', 'success: stubborn']) await w.waitFor(line, 60_000);
    process.kill(pid(), 'SIGTERM');
    await w.exit(60_000);
  } finally {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      try {
        process.kill(pid(), 'SIGKILL');
      } catch {
        /* gone */
      }
      w.kill('SIGKILL');
    }
  }
  const auto: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    const m = /^(.+---supervisor-)[a-z0-9_]{8}(\.log)$/.exec(f);
    const content = m ? readFileSync(join(dir, f), 'utf8') : '';
    if (m && content !== '') auto[`${m[1]}X${m[2]}`] = content; // supervisord also makes empty ones at start
  }
  return {
    log: logLines(w.stdout),
    output: w.stdout.split('\n').filter((l) => l !== '' && !LOG_LINE.test(l)).sort(),
    stderr: w.stderr,
    mainLog: logLines(readFileSync(join(dir, 'main.log'), 'utf8')),
    auto,
  };
}

/** The lines about one program, in order. */
function about(log: string[], name: string): string[] {
  const mentions = new RegExp(`^\\S+ (spawned: '${name}'|success: ${name} |exited: ${name} |gave up: ${name} |stopped: ${name} |killing '${name}'|spawnerr: .*'${name}')`);
  return log.filter((l) => mentions.test(l));
}

describe.skipIf(!haveSupervisorPython)('the same supervisord.conf under supervisord and procinit', () => {
  it('logs the same lines per program, writes the same output and the same AUTO logs', async () => {
    const [sd, pi] = await Promise.all([runUnder('supervisord'), runUnder('procinit')]);

    for (const name of ['web', 'crash', 'stubborn']) {
      expect(about(pi.log, name), `lines about ${name}`).toEqual(about(sd.log, name));
    }
    // a program that exits at once with startsecs=0: supervisord logs `success:` only when its loop looked
    // at the process before it reaped it (a race of its own); procinit always does
    const quick = (log: string[], name: string): string[] => about(log, name).filter((l) => !/^INFO success: .* > than 0 seconds/.test(l));
    for (const name of ['once', 'env']) {
      expect(quick(pi.log, name), `lines about ${name}`).toEqual(quick(sd.log, name));
      expect(quick(sd.log, name)).toEqual([`INFO spawned: '${name}' with pid N`, `INFO exited: ${name} (exit status 0; expected)`]);
    }
    // what they are, spelled out once (so a change on either side shows here)
    expect(about(sd.log, 'crash')).toEqual([
      "INFO spawned: 'crash' with pid N",
      'WARN exited: crash (exit status 3; not expected)',
      "INFO spawned: 'crash' with pid N",
      'WARN exited: crash (exit status 3; not expected)',
      'INFO gave up: crash entered FATAL state, too many start retries too quickly',
    ]);
    expect(about(sd.log, 'stubborn').slice(-2)).toEqual(["WARN killing 'stubborn' (N) with SIGKILL", 'WARN stopped: stubborn (terminated by SIGKILL)']);
    expect(about(sd.log, 'web')).toEqual([
      "INFO spawned: 'web' with pid N",
      'INFO success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)',
      'WARN stopped: web (terminated by SIGTERM)',
    ]);

    // start-up and shutdown lines
    for (const o of [sd, pi]) {
      expect(o.log[0]).toMatch(/^CRIT Supervisor is running as root\./);
      expect(o.log[1]).toBe('INFO supervisord started with pid N');
      expect(o.log).toContain('WARN received SIGTERM indicating exit request');
      expect(o.log.some((l) => /^INFO waiting for .*stubborn.* to die$/.test(l))).toBe(true);
      // the main log holds what stdout shows
      expect(o.mainLog).toEqual(o.log);
    }

    // the programs' bytes, raw, on the same streams
    expect(pi.output).toEqual(sd.output);
    expect(sd.output).toEqual(['env=1/env/env', 'once-done', 'out-line', 'ready']);
    expect(pi.stderr).toBe(sd.stderr);
    expect(sd.stderr).toBe('err-line\n');

    // AUTO child logs: supervisord's names, the same contents
    expect(pi.auto).toEqual(sd.auto);
    expect(sd.auto).toEqual({ 'crash-stdout---supervisor-X.log': 'boom\nboom\n' });
  }, 120_000);
});

reportMissingSupervisorPython();
