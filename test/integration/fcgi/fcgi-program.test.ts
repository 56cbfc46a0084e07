/** [fcgi-program:x]: one listening socket per group, every process's fd 0, as supervisord makes it. */
import { createConnection, createServer } from 'node:net';
import { statSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir, startProcinit, until } from '../../helpers/procinit.js';
import { PYTHON } from '../../helpers/supervisord-python.js';

const ECHO = resolve(__dirname, '../../fixtures/events/fcgi_echo.py');

function ask(opts: { path: string } | { port: number; host: string }): Promise<string> {
  return new Promise((res, rej) => {
    const c = createConnection(opts as never);
    let data = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (data += d));
    c.on('end', () => res(data.trim()));
    c.on('error', rej);
    c.setTimeout(10_000, () => c.destroy(new Error('timeout')));
  });
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

describe('fcgi-program sockets', () => {
  it('unix://: one socket for the group (mode, owner), blocking, shared by numprocs processes; removed at the end', async () => {
    const dir = fixtureDir({});
    const sock = join(dir, 'php.sock');
    writeFileSync(join(dir, 'stale'), '');
    writeFileSync(
      join(dir, 'supervisord.conf'),
      `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[fcgi-program:php]\ncommand=${PYTHON} ${ECHO}\nsocket=unix://%(here)s/%(program_name)s.sock\nsocket_mode=0660\nsocket_owner=nobody:nogroup\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=2\nstartsecs=0\nstdout_logfile=NONE\n`,
    );
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    await until(() => existsSync(sock), 10_000, 'socket');
    // a program answers: the socket was made (bound, then chowned and chmodded) before it started
    const first = await ask({ path: sock });
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(65534);
    const answers = new Set<string>([first]);
    for (let i = 0; i < 20 && answers.size < 2; i++) answers.add(await ask({ path: sock }));
    expect([...answers].every((a) => /^php_[01] blocking AF_UNIX$/.test(a))).toBe(true);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  }, 30_000);

  it('tcp://: the processes answer on the port; a busy port is a start failure with the reason', async () => {
    const dir = fixtureDir({});
    const port = await freePort();
    writeFileSync(
      join(dir, 'supervisord.conf'),
      `[supervisord]\nnodaemon=true\nlogfile=/dev/null\nchildlogdir=%(here)s\n\n[procinit]\non_fatal = keep\n\n[fcgi-program:app]\ncommand=${PYTHON} ${ECHO}\nsocket=tcp://127.0.0.1:${port}\nstartsecs=0\nstdout_logfile=NONE\n` +
        `\n[fcgi-program:clash]\ncommand=${PYTHON} ${ECHO}\nsocket=tcp://localhost:${port}\nstartsecs=0\nstartretries=0\nstdout_logfile=NONE\n`,
    );
    const p = startProcinit(['-c', 'supervisord.conf'], { cwd: dir });
    await p.waitFor(/cannot listen on tcp:\/\/localhost:\d+: bind: Address already in use/);
    expect(await ask({ host: '127.0.0.1', port })).toBe('app blocking AF_INET');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 30_000);

  it('refuses what supervisord refuses, with file:line', async () => {
    const dir = fixtureDir({});
    for (const [body, msg] of [
      ['socket=tcp://127.0.0.1:9000\nsocket_mode=0600', 'socket_owner and socket_mode params should only be used with a Unix domain socket'],
      ['socket=unix://relative.sock', 'is not an absolute path'],
      ['socket=udp://x:1', 'Bad socket format udp://x:1'],
      ['socket_backlog=0\nsocket=tcp://127.0.0.1:9000', 'Invalid socket_backlog value 0'],
      ['', 'section requires a "socket" line'],
    ] as const) {
      writeFileSync(join(dir, 'supervisord.conf'), `[supervisord]\n[fcgi-program:x]\ncommand=/bin/cat\n${body}\n`);
      const p = startProcinit(['check', '-c', 'supervisord.conf'], { cwd: dir });
      const exit = await p.exited;
      expect(exit.code).toBe(2);
      expect(p.stderr).toContain(msg);
      expect(p.stderr).toMatch(/supervisord\.conf:\d+: /);
    }
  }, 30_000);
});
