/**
 * The single executable, dist/procinit (built here by build/sea.mjs when missing or stale), run from a
 * folder that holds nothing else: no node_modules, no dist/native. Covers what only the binary does
 * (native addons and node-pty from SEA assets, NODE_OPTIONS kept away from procinit itself) and its
 * answers to bad input: one line and a documented exit code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, fixtureDir, startWatched, tempDir } from '../helpers/procinit.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Can this machine make mount namespaces (root, unshare present)? Needed to mount noexec / hide /proc. */
function canUnshareMount(): boolean {
  try {
    execFileSync('unshare', ['--mount', '--fork', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
const mountOk = canUnshareMount();

let bin = '';

beforeAll(() => {
  const dir = tempDir('procinit-sea-');
  bin = join(dir, 'procinit');
  copyFileSync(ensureSeaBinary(), bin);
  chmodSync(bin, 0o755);
}, 200_000);

async function run(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const w = startWatched(bin, args, { cwd: opts.cwd ?? tempDir(), env: opts.env ?? {} });
  const { code } = await w.exit();
  return { code, stdout: w.stdout, stderr: w.stderr };
}

/** Run a shell script in a private mount namespace (unshare --mount); $BIN is the executable. */
async function runInMountNs(script: string) {
  const w = startWatched('unshare', ['--mount', '--fork', 'sh', '-c', script], { cwd: tempDir(), env: { BIN: bin } });
  const { code } = await w.exit();
  return { code, stdout: w.stdout, stderr: w.stderr };
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

describe('dist/procinit, the single executable', () => {
  it('answers --version', async () => {
    const r = await run(['--version']);
    expect(r).toEqual({ code: 0, stdout: `procinit ${VERSION}\n`, stderr: '' });
  });

  it('runs a Procfile with nothing beside it, procinit addon loaded from its assets', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hello from web\n' });
    const r = await run([], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web\.1\s+\| hello from web/);
    expect(r.stdout + r.stderr).not.toMatch(/reaping is OFF/);
    expect(r.stdout).toMatch(/\(child subreaper\)/);
  });

  it('compiles its bundle from the asset itself, not a copy, with the code cache accepted (PROCINIT_DEBUG would say otherwise)', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hello from web\n' });
    const r = await run([], { cwd: dir, env: { PROCINIT_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web\.1\s+\| hello from web/);
    expect(r.stderr).not.toMatch(/copied onto the heap|rejected the code cache/);
  });

  it('without its addon, copies the bundle\'s source and runs as before (PROCINIT_NATIVE_DIR that does not exist)', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hello from web\n' });
    const r = await run([], { cwd: dir, env: { PROCINIT_DEBUG: '1', PROCINIT_NATIVE_DIR: '/nonexistent' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web\.1\s+\| hello from web/);
    expect(r.stderr).toMatch(/copied onto the heap/);
    expect(r.stderr).not.toMatch(/rejected the code cache/);
  });

  it('runs tini mode and passes the exit code through', async () => {
    expect((await run(['--', 'sh', '-c', 'exit 7'])).code).toBe(7);
  });

  it('runs a program in a pseudo-terminal: node-pty and its pty.node come from the binary', async () => {
    const dir = fixtureDir({ Procfile: 'web: tty\n' });
    const r = await run(['--tty', 'all'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web\.1\s+\| \/dev\/pts\/\d+/);
  });

  it('extracts the addons into PROCINIT_NATIVE_DIR and leaves nothing there', async () => {
    const native = tempDir('procinit-native-');
    const dir = fixtureDir({ Procfile: 'web: tty; echo "left: $(ls -A "$PROCINIT_NATIVE_DIR" | wc -l)"\n' });
    const r = await run(['--tty', 'all'], { cwd: dir, env: { PROCINIT_NATIVE_DIR: native } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/left: 0/);
    expect(r.stdout + r.stderr).not.toMatch(/reaping is OFF/);
    expect(readdirSync(native)).toEqual([]);
  });

  it.skipIf(!mountOk)('without /proc (no /proc/self/fd for an unnamed file) the addons come from a private directory, left empty', async () => {
    const dir = fixtureDir({ Procfile: 'web: tty; echo "left: $(ls -A "$PROCINIT_NATIVE_DIR" | wc -l)"\n' });
    const w = startWatched('unshare', ['--mount', '--fork', 'sh', '-c', 'umount -l /proc && d=$(mktemp -d) && PROCINIT_NATIVE_DIR="$d" "$BIN" --tty all; c=$?; echo "after: $(ls -A "$d" | wc -l)"; exit $c'], {
      cwd: dir,
      env: { BIN: bin },
    });
    const { code } = await w.exit();
    expect(code).toBe(0);
    expect(w.output).toMatch(/web\.1\s+\| \/dev\/pts\/\d+/);
    expect(w.output).toMatch(/left: 0/);
    expect(w.output).toMatch(/after: 0/);
  });

  it('keeps NODE_OPTIONS away from itself and passes it to programs unchanged', async () => {
    const opts = '--inspect --require /nonexistent/preload.js --max-old-space-size=16';
    const r = await run(['--', 'sh', '-c', 'printf "%s" "$NODE_OPTIONS"'], { env: { NODE_OPTIONS: opts } });
    expect(r).toEqual({ code: 0, stdout: opts, stderr: '' });
  });

  it('reads its own Node options from PI_NODE_OPTS (for debugging procinit)', async () => {
    const r = await run(['--version'], { env: { PI_NODE_OPTS: '--no-such-node-flag' } });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/--no-such-node-flag/);
  });
});

describe('dist/procinit: client verbs from their own bundle, and the personalities', () => {
  it('status and stop run from the client bundle, its code cache accepted (PROCINIT_DEBUG would say otherwise)', async () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 1000\nworker: sleep 1000\n' });
    const sock = join(dir, 'ctl.sock');
    const sup = startWatched(bin, ['--socket', sock], { cwd: dir });
    try {
      await sup.waitFor(/worker\.1 started/);
      const env = { PROCINIT_DEBUG: '1' };
      const st = await run(['status', '--socket', sock], { cwd: dir, env });
      expect(st.stderr).toBe('');
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(/^web\.1\s+RUNNING/m);
      const stop = await run(['stop', 'worker', '--socket', sock], { cwd: dir, env });
      expect(stop.stderr).toBe('');
      expect(stop.code).toBe(0);
      const after = await run(['status', '--socket', sock], { cwd: dir, env });
      expect(after.stdout).toMatch(/^worker\.1\s+STOPPED/m);
      // a verb the client bundle does not have, and a bad one, still go where they always went
      const bad = await run(['status', '--no-such-flag', '--socket', sock], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(lines(bad.stderr)).toHaveLength(1);
    } finally {
      sup.kill();
      await sup.exit();
    }
  });

  it('reload parses the config in its worker thread (the config-worker.cjs asset), the same run as at start', async () => {
    const dir = fixtureDir({ 'supervisord.conf': '[supervisord]\n[program:base]\ncommand=sleep 1000\nstartsecs=0\n[include]\nfiles = conf.d/*.conf\n' });
    const sock = join(dir, 'ctl.sock');
    const sup = startWatched(bin, ['-c', 'supervisord.conf', '--socket', sock], { cwd: dir });
    try {
      await sup.waitFor(/success: base entered RUNNING/);
      mkdirSync(join(dir, 'conf.d'));
      for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'conf.d', `p${i}.conf`), `[program:p${i}]\ncommand=sleep 1000\nautostart=false\n`);
      const r = await run(['reload', '--socket', sock], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/p19: added/);
      expect(r.stdout).toMatch(/^\(1 unchanged\)$/m); // base: its AUTO log names came back from the worker as they were
      await sup.waitFor(/reload: added/);
      expect(sup.stdout + sup.stderr).not.toMatch(/no worker thread/);
    } finally {
      sup.kill();
      await sup.exit();
    }
  });

  it('named supervisord and supervisorctl, status is supervisorctl\'s (the full bundle), not the client verb', async () => {
    const dir = tempDir('procinit-sea-names-');
    symlinkSync(bin, join(dir, 'supervisord'));
    symlinkSync(bin, join(dir, 'supervisorctl'));
    const sock = join(dir, 'sv.sock');
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[supervisord]\nnodaemon=true\nlogfile=${dir}/supervisord.log\n[unix_http_server]\nfile=${sock}\n[supervisorctl]\nserverurl=unix://${sock}\n` +
        `[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n`,
    );
    const sup = startWatched(join(dir, 'supervisord'), ['-c', conf], { cwd: dir });
    try {
      await sup.waitFor(/success: sleeper entered RUNNING/);
      const w = startWatched(join(dir, 'supervisorctl'), ['-c', conf, 'status'], { cwd: dir });
      const { code } = await w.exit();
      expect(w.stderr).toBe('');
      expect(w.stdout).toMatch(/^sleeper\s+RUNNING\s+pid \d+, uptime/m);
      expect(code).toBe(0);
    } finally {
      sup.kill();
      await sup.exit();
    }
  });
});

describe('the npm package (node dist/procinit.js) and NODE_OPTIONS', () => {
  it('closes an inspector that NODE_OPTIONS opened, leaving the port to the program', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const w = startWatched(process.execPath, [join(REPO, 'dist/procinit.js'), '--', process.execPath, '-e', 'setTimeout(() => {}, 200)'], {
      cwd: tempDir(),
      env: { NODE_OPTIONS: `--inspect=127.0.0.1:${port}` },
    });
    expect((await w.exit()).code).toBe(0);
    // procinit's node and then the program each announce a debugger on the same port: the program got it
    expect(w.stderr.match(new RegExp(`Debugger listening on ws://127\\.0\\.0\\.1:${port}/`, 'g'))).toHaveLength(2);
    expect(w.stderr).not.toMatch(/address already in use/);
  });
});

describe('dist/procinit: bad input gives one line and a documented exit code', () => {
  it('a bad Procfile: the file and line, exit 2', async () => {
    const dir = fixtureDir({ Procfile: 'web\n' });
    const r = await run([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^procinit: .*Procfile:1: /);
  });

  it('a config file that does not exist: exit 2', async () => {
    const r = await run(['-c', '/nonexistent/supervisord.conf']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/\/nonexistent\/supervisord\.conf/);
  });

  it('an unknown flag: names it, exit 2, no stack trace', async () => {
    const r = await run(['--bogus']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toMatch(/^procinit: .*--bogus/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a PROCINIT_NATIVE_DIR that does not exist: one warning naming it; the program still runs', async () => {
    const r = await run(['--', 'sh', '-c', 'exit 3'], { env: { PROCINIT_NATIVE_DIR: '/nonexistent' } });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^procinit: warning: zombie reaping is OFF: .*PROCINIT_NATIVE_DIR=\/nonexistent \(ENOENT\)/);
  });

  it.skipIf(!mountOk)('a noexec PROCINIT_NATIVE_DIR: one warning saying so', async () => {
    const r = await runInMountNs('d=$(mktemp -d) && mount -t tmpfs -o noexec tmpfs "$d" && PROCINIT_NATIVE_DIR="$d" "$BIN" -- sh -c "exit 3"');
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/PROCINIT_NATIVE_DIR=.* \(mounted noexec\); set PROCINIT_NATIVE_DIR/);
  });

  it.skipIf(!mountOk)('a noexec first choice (XDG_RUNTIME_DIR) is passed over for the next place, silently', async () => {
    const r = await runInMountNs(
      'd=$(mktemp -d) && mount -t tmpfs -o noexec tmpfs "$d" && XDG_RUNTIME_DIR="$d" "$BIN" -- sh -c "exit 3"; c=$?; ls -A "$d"; exit $c',
    );
    expect(r).toEqual({ code: 3, stdout: '', stderr: '' });
  });

  it.skipIf(!mountOk)('no /proc mounted: one warning, and the run goes on', async () => {
    const r = await runInMountNs('umount -l /proc && "$BIN" -- sh -c "exit 3"');
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual(['procinit: warning: zombie reaping is OFF: /proc is not mounted, so orphaned processes cannot be found']);
  });

  it.skipIf(!mountOk)('no /proc mounted, Procfile mode: the same warning in the log', async () => {
    const dir = fixtureDir({ Procfile: 'web: echo hi\n' });
    const w = startWatched('unshare', ['--mount', '--fork', 'sh', '-c', 'umount -l /proc && "$BIN"'], { cwd: dir, env: { BIN: bin } });
    const { code } = await w.exit();
    expect(code).toBe(0);
    expect(w.output).toMatch(/zombie reaping is OFF: \/proc is not mounted/);
    expect(w.output).toMatch(/web\.1\s+\| hi/);
  });
});
