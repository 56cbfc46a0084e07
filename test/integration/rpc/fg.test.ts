/**
 * supervisorctl's `fg NAME`, Debian's real supervisorctl and procinit's (a symlink named supervisorctl) against
 * one procinit, in a pseudo-terminal (test/fixtures/supervisorctl/fg_driver.py, pexpect): the banner, the
 * program's stdout and stderr as they grow, typed lines reaching its stdin, Ctrl-C and end of input saying
 * `Exiting foreground`, `Process got killed`, the prompt coming back, and the error messages and exit statuses.
 */
import { execFile } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveSupervisorPython, PYTHON, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';
import { REPO, startProcinit, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

const DRIVER = resolve(__dirname, '../../fixtures/supervisorctl/fg_driver.py');
let dir = '';
let conf = '';
let ours = '';
let server: Watched | null = null;

const ECHOER = `#!/bin/sh
echo ready
while read line; do
  echo "got: $line"
  echo "err: $line" >&2
  [ "$line" = bye ] && exit 0
done
`;

beforeAll(async () => {
  if (!haveSupervisorPython) return;
  dir = tempDir('procinit-fg-');
  writeFileSync(join(dir, 'echoer.sh'), ECHOER, { mode: 0o755 });
  conf = join(dir, 'supervisord.conf');
  const program = (name: string): string =>
    `[program:${name}]\ncommand=%(here)s/echoer.sh\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/${name}.out\nstderr_logfile=%(here)s/${name}.err\n`;
  writeFileSync(
    conf,
    `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n[unix_http_server]\nfile=%(here)s/s.sock\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n` +
      ['real_intr', 'ours_intr', 'real_killed', 'ours_killed', 'ours_eof', 'ours_prompt'].map(program).join('') +
      `[program:idle]\ncommand=sleep 100\nautostart=false\n`,
  );
  ours = join(dir, 'supervisorctl');
  symlinkSync(join(REPO, 'bin/procinit'), ours);
  server = startProcinit(['-c', conf], { cwd: dir });
  await server.waitFor("success: ours_prompt entered RUNNING");
}, 30_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
});

const REAL = [PYTHON, '-m', 'supervisor.supervisorctl'];

function run(cmd: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = execFile(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 30_000, env: testEnv() }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
    );
    child.stdin?.end();
  });
}

interface Drive {
  shown: string;
  ended: boolean;
  status: number | null;
}

async function drive(mode: string, name: string, client: string[], fg = true): Promise<Drive> {
  const r = await run([PYTHON, DRIVER, mode, name, ...client, '-c', conf, ...(fg ? ['fg', name] : [])]);
  if (r.code !== 0) throw new Error(`fg_driver ${mode} ${name}: ${r.out}`);
  return JSON.parse(r.out) as Drive;
}

/** What the terminal showed, as sorted lines: the stdout and stderr tails interleave by timing, in both. */
const lines = (d: Drive): string[] =>
  d.shown
    .replace(/\r/g, '')
    .split('\n')
    .filter(Boolean)
    .sort();

describe.skipIf(!haveSupervisorPython)('supervisorctl fg', () => {
  it('errors: the same messages and exit statuses as the real supervisorctl', async () => {
    for (const args of [['fg'], ['fg', 'a', 'b'], ['fg', 'nosuch'], ['fg', 'idle']]) {
      const [real, mine] = await Promise.all([run([...REAL, '-c', conf, ...args]), run([ours, '-c', conf, ...args])]);
      expect(mine, args.join(' ')).toEqual(real);
      expect(real.code).toBe(1);
    }
  }, 60_000);

  it('tails stdout and stderr, sends typed lines to stdin, Ctrl-C says Exiting foreground, as the real one', async () => {
    const [real, mine] = await Promise.all([drive('intr', 'real_intr', REAL), drive('intr', 'ours_intr', [ours])]);
    expect(lines(mine)).toEqual(lines(real));
    expect(lines(mine)).toEqual(['==> Press Ctrl-C to exit <==', '^CExiting foreground', 'err: hello', 'got: hello', 'hello', 'ready'].sort());
    // supervisorctl 4.2.5's tail thread keeps it running after `Exiting foreground` (a hung terminal); ours ends
    expect(real.ended).toBe(false);
    expect(mine).toMatchObject({ ended: true, status: 0 });
  }, 60_000);

  it('a line the process dies of: Process got killed, Exiting foreground, as the real one', async () => {
    const [real, mine] = await Promise.all([drive('killed', 'real_killed', REAL), drive('killed', 'ours_killed', [ours])]);
    const tail = (d: Drive): string[] => d.shown.replace(/\r/g, '').split('\n').filter(Boolean).slice(-2);
    expect(tail(mine)).toEqual(['Process got killed', 'Exiting foreground']);
    expect(tail(real)).toEqual(tail(mine));
    expect(mine).toMatchObject({ ended: true, status: 0 });
  }, 60_000);

  it('end of input (Ctrl-D) exits; from the prompt, Ctrl-C goes back to the prompt and the next command works', async () => {
    const eof = await drive('eof', 'ours_eof', [ours]);
    expect(eof.shown.replace(/\r/g, '')).toMatch(/Exiting foreground\n$/);
    expect(eof).toMatchObject({ ended: true, status: 0 });
    const prompt = await drive('prompt', 'ours_prompt', [ours], false);
    const shown = prompt.shown.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect(shown).toMatch(/Exiting foreground\nsupervisor> pid ours_prompt\n\d+\nsupervisor> quit\n/);
    expect(prompt).toMatchObject({ ended: true, status: 0 });
  }, 60_000);
});

reportMissingSupervisorPython();
