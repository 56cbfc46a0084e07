/**
 * Every Unix socket procinit makes with a mode (the control socket, [unix_http_server], [fcgi-program:x]'s
 * unix:// socket) has that mode and owner from its first instant WITHOUT the process-wide umask: set around
 * bind, the umask is every thread's, and a log file libuv's threadpool (or a program spawned) creates
 * meanwhile gets the socket's mode. strace shows every umask(2) procinit makes: none, while the sockets
 * still end up with exactly their configured modes (0766 and 0777 are wider than the usual umask 022
 * allows: no bind under a umask gives them) and owners, and no private folder is left beside them.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureDir, procinitArgv, until } from '../helpers/procinit.js';
import { PYTHON } from '../helpers/supervisord-python.js';
import { fileListening } from '../../src/control/socket-path.js';
import { resolve } from 'node:path';
import { haveStrace, startTraced, stopTraced, tracee, umaskCalls } from '../helpers/strace.js';

const ECHO = resolve(__dirname, '../fixtures/events/fcgi_echo.py');

afterEach(stopTraced);

describe.skipIf(!haveStrace() && !process.env.CI)('socket modes without a process-wide umask', () => {
  it('control socket, [unix_http_server] and fcgi-program sockets: exact modes and owners, no umask(2) call, no folder left', async () => {
    const dir = fixtureDir({});
    const trace = join(dir, 'strace.log');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n` +
        `[unix_http_server]\nfile=%(here)s/rpc.sock\nchmod=0766\nchown=nobody:nogroup\n\n` +
        `[fcgi-program:php]\ncommand=${PYTHON} ${ECHO}\nsocket=unix://%(here)s/php.sock\nsocket_mode=0777\nsocket_owner=nobody\nstartsecs=0\nstdout_logfile=NONE\n\n` +
        `[program:web]\ncommand=sleep 600\nstdout_logfile=%(here)s/web.log\n`,
    );
    const ctl = join(dir, 'ctl.sock');
    const p = startTraced(['-f', '-qq', '-e', 'trace=umask', '-o', trace, ...procinitArgv(), '-c', 'supervisord.conf', '--socket', ctl], { cwd: dir, env: { PROCINIT_SOCKET: ctl } });
    await p.waitFor(/success: web entered RUNNING state/, 30_000);
    await until(() => existsSync(join(dir, 'php.sock')), 10_000, 'fcgi socket');
    const modes = Object.fromEntries(['ctl.sock', 'rpc.sock', 'php.sock'].map((f) => [f, statSync(join(dir, f))]));
    for (const st of Object.values(modes)) expect(st.isSocket()).toBe(true);
    expect(modes['ctl.sock'].mode & 0o777).toBe(0o600);
    expect(modes['rpc.sock'].mode & 0o777).toBe(0o766);
    expect(modes['php.sock'].mode & 0o777).toBe(0o777);
    expect(modes['rpc.sock'].uid).toBe(65534);
    expect(modes['php.sock'].uid).toBe(65534);
    // the log file made meanwhile has the mode the umask gives it, not a socket's
    expect(statSync(join(dir, 'web.log')).mode & 0o777).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir).filter((f) => /^\..*\.bind-/.test(f))).toEqual([]);
    // a client looking for a live socket of another uid finds it in /proc/net/unix under the name it was
    // bound to (DIR/.NAME.bind-XXXXXX/s)
    for (const f of ['ctl.sock', 'rpc.sock', 'php.sock']) expect(fileListening(join(dir, f)), f).toBe(true);
    process.kill(tracee(p.child.pid!), 'SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(umaskCalls(trace)).toEqual([]);
  }, 60_000);

  it('without the addon (net binds the control socket): mode 0600, no umask(2) call, no folder left', async () => {
    const dir = fixtureDir({ Procfile: 'web: sleep 600\n' });
    const trace = join(dir, 'strace.log');
    const ctl = join(dir, 'ctl.sock');
    const p = startTraced(['-f', '-qq', '-e', 'trace=umask', '-o', trace, ...procinitArgv(), '--socket', ctl], {
      cwd: dir,
      env: { PROCINIT_SOCKET: ctl, PROCINIT_PROCINIT_ADDON: join(dir, 'no-such-addon.node') },
    });
    await p.waitFor(/web.*started/i, 30_000);
    await until(() => existsSync(ctl), 10_000, 'control socket');
    const st = statSync(ctl);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => /^\..*\.bind-/.test(f))).toEqual([]);
    expect(fileListening(ctl)).toBe(true); // how `docker exec -u 0` finds it (socket-path.ts)
    process.kill(tracee(p.child.pid!), 'SIGTERM');
    expect((await p.exit()).code).toBe(0);
    expect(umaskCalls(trace)).toEqual([]);
  }, 60_000);
});
