/**
 * Hostile and careless XML-RPC clients: malformed documents, entity bombs, over-size bodies, wrong credentials,
 * unknown methods and wrong parameters get supervisord's HTTP status or fault, and procinit and its programs
 * carry on. Socket and port permissions are checked as a non-root user (nobody).
 */
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcinit, tempDir, testEnv, type Watched } from '../../helpers/procinit.js';

let running: Watched | null = null;
afterEach(async () => {
  running?.child.kill('SIGTERM');
  await running?.exited;
  running = null;
});

interface Reply {
  status: number;
  body: string;
}

function post(target: { socketPath?: string; port?: number; host?: string }, body: string | Buffer, auth?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: 'POST', path: '/RPC2', headers: { 'Content-Type': 'text/xml', ...(auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const callXml = (method: string, params = ''): string => `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function boot(extra: string): Promise<{ dir: string; sock: string; p: Watched }> {
  const dir = tempDir('procinit-rpc-bad-');
  const sock = join(dir, 'sv.sock');
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(conf, `[supervisord]\nnodaemon=true\n[unix_http_server]\nfile=${sock}\n${extra}\n[program:keeper]\ncommand=sleep 1000\nstartsecs=0\n`);
  running = startProcinit(['-c', conf], { env: testEnv() });
  await running.waitFor(/keeper (started|is running)|spawned: 'keeper'/);
  return { dir, sock, p: running };
}

async function keeperStillRunning(sock: string): Promise<void> {
  const r = await post({ socketPath: sock }, callXml('supervisor.getProcessInfo', '<param><value><string>keeper</string></value></param>'));
  expect(r.status).toBe(200);
  expect(r.body).toContain('<name>statename</name><value><string>RUNNING</string>');
}

describe('XML-RPC bad input', () => {
  it('answers malformed, hostile and over-size requests as supervisord does, and nothing stops', async () => {
    const { sock, p } = await boot('');
    const at = { socketPath: sock };
    expect((await post(at, '<methodCall><methodName>x')).status).toBe(400);
    expect((await post(at, 'not xml at all')).status).toBe(400);
    expect((await post(at, '<methodCall><params></params></methodCall>')).status).toBe(400);
    // an entity bomb: entities are never expanded, so the call names an unknown method at worst
    const lol = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><methodCall><methodName>&c;</methodName></methodCall>`;
    const bomb = await post(at, lol);
    expect([200, 400]).toContain(bomb.status);
    expect(bomb.body).not.toContain('aaaaaaaaaaaaaaaaaaaa');
    // over the 2 MiB limit
    const huge = await post(at, callXml('supervisor.sendProcessStdin', `<param><value><string>keeper</string></value></param><param><value><string>${'x'.repeat(3 << 20)}</string></value></param>`));
    expect(huge.status).toBe(413);
    // unknown methods, object traversal, wrong parameter counts: faults
    const unknown = await post(at, callXml('supervisor.noSuchMethod'));
    expect(unknown.body).toContain('<name>faultCode</name><value><int>1</int>');
    expect(unknown.body).toContain('UNKNOWN_METHOD');
    expect((await post(at, callXml('supervisor._update'))).body).toContain('UNKNOWN_METHOD');
    expect((await post(at, callXml('supervisor.supervisord.options.get_pid'))).body).toContain('UNKNOWN_METHOD');
    expect((await post(at, callXml('supervisor.startProcess'))).body).toContain('INCORRECT_PARAMETERS');
    expect((await post(at, callXml('supervisor.getProcessInfo', '<param><value><string>ghost</string></value></param>'))).body).toContain('BAD_NAME: ghost');
    expect((await post(at, callXml('supervisor.signalProcess', '<param><value><string>keeper</string></value></param><param><value><string>NOPE</string></value></param>'))).body).toContain('BAD_SIGNAL: NOPE');
    // multicall: results and faults side by side, no recursion
    const multi = await post(at, callXml('system.multicall', `<param><value><array><data>
      <value><struct><member><name>methodName</name><value><string>supervisor.getAPIVersion</string></value></member><member><name>params</name><value><array><data></data></array></value></member></struct></value>
      <value><struct><member><name>methodName</name><value><string>system.multicall</string></value></member></struct></value>
    </data></array></value></param>`));
    expect(multi.body).toContain('<string>3.0</string>');
    expect(multi.body).toContain('Recursive system.multicall forbidden');
    expect(p.child.exitCode).toBeNull();
    await keeperStillRunning(sock);
  });

  it('wrong or missing credentials get 401; the right ones (plain and {SHA}) get through', async () => {
    const { sock } = await boot('username=admin\npassword={SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
    const at = { socketPath: sock };
    const call = callXml('supervisor.getState');
    expect((await post(at, call)).status).toBe(401);
    expect((await post(at, call, 'admin:wrong')).status).toBe(401);
    expect((await post(at, call, 'root:test')).status).toBe(401);
    const ok = await post(at, call, 'admin:test');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<string>RUNNING</string>');
  });

  it('binds a TCP port only when [inet_http_server] asks, with its own credentials', async () => {
    const port = await freePort();
    const { sock } = await boot(`[inet_http_server]\nport=127.0.0.1:${port}\nusername=u\npassword=p\n`);
    expect((await post({ host: '127.0.0.1', port }, callXml('supervisor.getPID'))).status).toBe(401);
    expect((await post({ host: '127.0.0.1', port }, callXml('supervisor.getPID'), 'u:p')).body).toMatch(/<int>\d+<\/int>/);
    expect((await post({ socketPath: sock }, callXml('supervisor.getPID'))).status).toBe(200);
  });

  it.skipIf(process.getuid?.() !== 0)('socket permissions: 0700 by default keeps other users out; chmod and chown let them in', async () => {
    const asNobody = (sock: string): string => {
      const r = spawnSync(
        process.execPath,
        ['-e', `require('net').connect(${JSON.stringify(sock)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`],
        { uid: 65534, gid: 65534, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
      );
      return r.stdout.trim();
    };
    const a = await boot('');
    expect(statSync(a.sock).mode & 0o777).toBe(0o700);
    spawnSync('chmod', ['755', a.dir]);
    expect(asNobody(a.sock)).toBe('EACCES');
    running?.child.kill('SIGTERM');
    await running?.exited;
    const b = await boot('chmod=0770\nchown=nobody:nogroup');
    spawnSync('chmod', ['755', b.dir]);
    const st = statSync(b.sock);
    expect(st.mode & 0o777).toBe(0o770);
    expect(st.uid).toBe(65534);
    expect(asNobody(b.sock)).toBe('CONNECTED');
  });
});
