/**
 * A FIFO where a program's log file should be (mkfifo by a careless operator, or a log replaced by one):
 * `supervisorctl tail -f` (GET /logtail) and readProcessStdoutLog must not block PID 1 in open(), nor hold
 * libuv's threads (four of them: four blocked opens and every later fs call of procinit waits).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcinit, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

let running: Watched | null = null;
afterEach(async () => {
  running?.child.kill('SIGTERM');
  await running?.exited;
  running = null;
});

function http(sock: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers: { 'Content-Type': 'text/xml' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const call = (method: string, ...strings: Array<string | number>): string =>
  `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${strings
    .map((s) => (typeof s === 'number' ? `<param><value><int>${s}</int></value></param>` : `<param><value><string>${s}</string></value></param>`))
    .join('')}</params></methodCall>`;

describe('log files that are FIFOs, over XML-RPC', () => {
  it('tail -f and readProcessStdoutLog of a FIFO answer at once; procinit keeps answering', async () => {
    const dir = tempDir('procinit-rpc-fifo-');
    const sock = join(dir, 'sv.sock');
    const fifo = join(dir, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[supervisord]\nnodaemon=true\n[unix_http_server]\nfile=${sock}\n` +
        `[program:piped]\ncommand=sh -c "echo hello; exec sleep 1000"\nstartsecs=0\nstdout_logfile=${fifo}\n` +
        `[program:plain]\ncommand=sh -c "echo plain-line; exec sleep 1000"\nstartsecs=0\nstdout_logfile=${join(dir, 'plain.log')}\n`,
    );
    running = startProcinit(['-c', conf], { env: testEnv() });
    await running.waitFor(/spawned: 'plain'|plain (started|is running)/);
    await running.waitFor(/spawned: 'piped'|piped (started|is running)/);

    // five readers of the FIFO's log at once (more than libuv's four threads)
    const reads = await Promise.all([1, 2, 3, 4, 5].map(() => http(sock, 'POST', '/RPC2', call('supervisor.readProcessStdoutLog', 'piped', 0, 0))));
    for (const r of reads) expect(r.body).toContain('faultCode');
    // tail -f of the FIFO: ended with one line, not a hang
    const tail = await http(sock, 'GET', '/logtail/piped');
    expect(tail.status).toBe(200);
    expect(tail.body).toMatch(/fifo\.log is a FIFO, not a regular file: not followed/);
    // procinit still answers, fs calls included (the plain program's log)
    const info = await http(sock, 'POST', '/RPC2', call('supervisor.getProcessInfo', 'piped'));
    expect(info.body).toContain('<string>RUNNING</string>');
    let plain = '';
    for (let i = 0; i < 100 && !plain.includes('plain-line'); i++) {
      plain = (await http(sock, 'POST', '/RPC2', call('supervisor.readProcessStdoutLog', 'plain', 0, 0))).body;
      if (!plain.includes('plain-line')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(plain).toContain('plain-line');
    // the other names of the same reader, and the tail readers: the same log; the FIFO gives nothing (as supervisord's tailFile on an error), at once
    expect((await http(sock, 'POST', '/RPC2', call('supervisor.readProcessLog', 'plain', 0, 0))).body).toContain('plain-line');
    for (const m of ['tailProcessStdoutLog', 'tailProcessLog']) {
      expect((await http(sock, 'POST', '/RPC2', call(`supervisor.${m}`, 'plain', 0, 100))).body).toMatch(/<string>plain-line\n<\/string>.*<int>11<\/int>/s);
      expect((await http(sock, 'POST', '/RPC2', call(`supervisor.${m}`, 'piped', 0, 100))).body).toContain('<string/></value><value><int>0</int>');
    }
    expect((await http(sock, 'POST', '/RPC2', call('supervisor.readProcessStderrLog', 'nope', 0, 0))).body).toContain('BAD_NAME');
    expect((await http(sock, 'POST', '/RPC2', call('supervisor.tailProcessStderrLog', 'nope', 0, 100))).body).toContain('BAD_NAME');
    expect(running.child.exitCode).toBeNull();
  }, 30_000);
});
