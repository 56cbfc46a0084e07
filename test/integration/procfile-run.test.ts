/** procinit running real Procfiles: output, exit semantics, restarts, stop signals, env and ports. */
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, fixtureDir, startProcinit, until } from '../helpers/procinit.js';

describe('procinit up: a real Procfile', () => {
  it('multiplexes every process as whole prefixed lines, names padded to one width', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hello from web\nlongworker: echo tick; printf "no newline at end"\n' });
    const p = startProcinit(['--can-die', 'all'], { cwd: dir });
    const exit = await p.exit();
    expect(exit.code).toBe(0);
    expect(p.stdout).toMatch(/^web\.1 {8}\| hello from web$/m);
    expect(p.stdout).toMatch(/^longworker\.1 \| tick$/m);
    expect(p.stdout).toMatch(/^longworker\.1 \| no newline at end$/m);
  });

  it("prints a program's last lines before the line saying it exited, however fast it exits", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const dir = fixtureDir({ Procfile: names.map((n) => `${n}: echo first ${n}; printf 'last ${n}'; echo ' err ${n}' >&2`).join('\n') + '\n' });
    const p = startProcinit(['--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    const lines = p.stdout.split('\n');
    for (const n of names) {
      const exited = lines.findIndex((l) => l.includes(`${n}.1 exited with code 0`));
      expect(exited, n).toBeGreaterThan(-1);
      for (const text of [`first ${n}`, `last ${n}`]) {
        const at = lines.findIndex((l) => l.startsWith(`${n}.1`) && l.endsWith(`| ${text}`));
        expect(at, `${text} before ${n} exited`).toBeGreaterThan(-1);
        expect(at, `${text} before ${n} exited`).toBeLessThan(exited);
      }
    }
  });

  it('runs a line without shell syntax as the shell would: same environment, PWD, scripts without #!', async () => {
    const real = fixtureDir({ 'noshebang.sh': 'echo "script ran as $0"\n' });
    chmodSync(join(real, 'noshebang.sh'), 0o755);
    const link = `${real}-link`;
    symlinkSync(real, link);
    // `plain` has no shell syntax (run without /bin/sh); the comment makes `shell` go through /bin/sh
    writeFileSync(join(real, 'Procfile'), 'plain: /usr/bin/env\nshell: /usr/bin/env # through the shell\nscript: ./noshebang.sh\n');
    for (const pwd of [link, '/']) {
      const p = startProcinit(['--can-die', 'all'], { cwd: link, env: { PWD: pwd } });
      expect((await p.exit()).code).toBe(0);
      const envOf = (name: string): string[] =>
        p.stdout
          .split('\n')
          .filter((l) => l.startsWith(`${name}.1 `) && l.includes('='))
          .map((l) => l.slice(l.indexOf('| ') + 2))
          .filter((l) => !/^(PS|PORT)=/.test(l))
          .sort();
      expect(envOf('plain').length).toBeGreaterThan(3);
      expect(envOf('plain')).toEqual(envOf('shell'));
      expect(envOf('plain')).toContain(`PWD=${pwd === link ? link : real}`);
      expect(p.stdout).toMatch(/script\.1 +\| script ran as \.\/noshebang\.sh$/m);
    }
  });

  it('ends the run with the code of a process that may not die, stopping the others', async () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 60\nbroken: sleep 0.2; exit 3\n' });
    const p = startProcinit([], { cwd: dir });
    const exit = await p.exit();
    expect(exit.code).toBe(3);
    expect(p.stdout).toMatch(/broken\.1 exited with code 3/);
    expect(p.stdout).toMatch(/web\.1 stopped/);
  });

  it('reports 128+n for a process killed by signal n', async () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 60\nself: kill -9 $$\n' });
    const p = startProcinit([], { cwd: dir });
    expect((await p.exit()).code).toBe(137);
  });

  it('keeps running when a --can-die process exits, and exits 0 on SIGTERM', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo web up; exec sleep 60\nmigrate: echo migrated\n' });
    const p = startProcinit(['--can-die', 'migrate'], { cwd: dir });
    await p.waitFor('migrate.1 exited with code 0');
    await p.waitFor(/web\.1 +\| web up/);
    p.kill('SIGTERM');
    const exit = await p.exit();
    expect(exit.code).toBe(0);
    expect(p.stdout).toMatch(/web\.1 stopped/);
  });

  it('restarts an --auto-restart process with growing backoff', async () => {
    const dir = fixtureDir({ Procfile: 'flaky: echo run; exit 1\nweb: exec sleep 60\n' });
    const p = startProcinit(['-r', 'flaky'], { cwd: dir });
    await until(() => p.count(/flaky\.1 +\| run/) >= 4, 20_000, 'four runs of flaky');
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/flaky\.1 exited with code 1, restarting/);
  });

  it('gives each process PORT (+100 per type, +1 per instance) and PS, and loads .env', async () => {
    const dir = fixtureDir({
      Procfile: 'web: echo "port=$PORT ps=$PS greeting=$GREETING"\nworker: echo "port=$PORT ps=$PS"\n',
      '.env': 'GREETING="hi there"\nPORT=6000\n',
    });
    const p = startProcinit(['-m', 'web=2,worker=1', '--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/web\.1 +\| port=6000 ps=web\.1 greeting=hi there/);
    expect(p.stdout).toMatch(/web\.2 +\| port=6001 ps=web\.2 greeting=hi there/);
    expect(p.stdout).toMatch(/worker\.1 +\| port=6100 ps=worker\.1/);
  });

  it('runs only the types named after up (the process-group model)', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo web ran\nworker: echo worker ran\n' });
    const p = startProcinit(['up', 'worker', '--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toContain('worker ran');
    expect(p.stdout).not.toContain('web ran');
    expect(p.stdout).toMatch(/worker\.1 +\| port=|worker ran/);
  });

  it('sends each process its own stop signal (--stop-signal web=INT)', async () => {
    const dir = fixtureDir({ Procfile: `web: trap 'echo got INT; exit 0' INT; echo ready; while :; do sleep 0.05; done\n` });
    const p = startProcinit(['--stop-signal', 'web=INT'], { cwd: dir });
    await p.waitFor(/web\.1 +\| ready/);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(p.stdout).toMatch(/web\.1 +\| got INT/);
  });

  it('SIGKILLs a process that ignores SIGTERM after --timeout and exits 1', async () => {
    const dir = fixtureDir({ Procfile: `stubborn: trap '' TERM; echo ready; while :; do sleep 0.05; done\n` });
    const p = startProcinit(['-t', '1'], { cwd: dir });
    await p.waitFor(/stubborn\.1 +\| ready/);
    const t0 = Date.now();
    p.kill('SIGTERM');
    const exit = await p.exit();
    const took = Date.now() - t0;
    expect(exit.code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect(p.stdout).toMatch(/stubborn\.1 did not stop within 1s: SIGKILL/);
  });

  it('kills at once on a second SIGINT', async () => {
    const dir = fixtureDir({ Procfile: `stubborn: trap '' TERM INT; echo ready; while :; do sleep 0.05; done\n` });
    const p = startProcinit(['-t', '60'], { cwd: dir });
    await p.waitFor(/stubborn\.1 +\| ready/);
    p.kill('SIGINT');
    await p.waitFor('stopping (SIGTERM');
    p.kill('SIGINT');
    expect((await p.exit(20_000)).code).toBe(1);
    expect(p.stdout).toMatch(/second SIGINT/);
  });

  it('kills a grandchild in the process group with its parent', async () => {
    const dir = fixtureDir({ Procfile: `web: sh -c 'sleep 300 & echo grandchild=$!; wait'\n` });
    const p = startProcinit([], { cwd: dir });
    const out = await p.waitFor(/grandchild=(\d+)/);
    const grandchild = Number(/grandchild=(\d+)/.exec(out)![1]);
    expect(alive(grandchild)).toBe(true);
    p.kill('SIGTERM');
    expect((await p.exit()).code).toBe(0);
    await until(() => !alive(grandchild), 10_000, 'grandchild gone');
  });

  it('never tears or interleaves lines of processes writing at once', async () => {
    const writer = (ch: string): string => `i=0; while [ $i -lt 3000 ]; do echo "${ch.repeat(60)} $i"; i=$((i+1)); done`;
    const dir = fixtureDir({ Procfile: `a: ${writer('a')}\nb: ${writer('b')}\nc: ${writer('c')}\n` });
    const p = startProcinit(['--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    for (const ch of ['a', 'b', 'c']) {
      const lines = p.stdout.split('\n').filter((l) => l.startsWith(`${ch}.1 `));
      expect(lines.length).toBe(3000);
      lines.forEach((l, i) => expect(l).toBe(`${ch}.1      | ${ch.repeat(60)} ${i}`));
    }
  });

  it('does not lose very long lines: they arrive in parts with the same prefix', async () => {
    const dir = fixtureDir({ Procfile: `long: head -c 200000 /dev/zero | tr '\\0' x; echo; echo after\n` });
    const p = startProcinit(['--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    const parts = p.stdout.split('\n').filter((l) => l.startsWith('long.1 ') && l.includes('xxx'));
    const total = parts.reduce((n, l) => n + l.slice(l.indexOf('| ') + 2).length, 0);
    expect(total).toBe(200000);
    expect(parts.length).toBeGreaterThan(1);
    expect(p.stdout).toMatch(/long\.1 +\| after/);
  });

  it('writes JSON lines with --output json and --log-format json', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hello; echo oops >&2\n' });
    const p = startProcinit(['--output', 'json', '--log-format', 'json', '--can-die', 'all'], { cwd: dir });
    expect((await p.exit()).code).toBe(0);
    const objs = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs).toContainEqual(expect.objectContaining({ name: 'web.1', stream: 'stdout', line: 'hello' }));
    expect(objs).toContainEqual(expect.objectContaining({ name: 'web.1', stream: 'stderr', line: 'oops' }));
    expect(objs.some((o) => o.name === 'procinit' && typeof o.msg === 'string')).toBe(true);
  });

  it('prefixes lines with the time with --timestamps', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo stamped\n' });
    const p = startProcinit(['--timestamps', '--can-die', 'all'], { cwd: dir });
    await p.exit();
    expect(p.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} web\.1 +\| stamped$/m);
  });

  it('colours names when FORCE_COLOR is set, and not with NO_COLOR', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo colourful\n' });
    const coloured = startProcinit(['--can-die', 'all'], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    await coloured.exit();
    expect(coloured.stdout).toMatch(/\x1b\[36mweb\.1 +\|\x1b\[0m colourful/);
  });
});
