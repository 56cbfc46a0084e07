/**
 * examples/web.js, the example Procfile's server, must be reachable in a container and behind a Service:
 * it binds 0.0.0.0 unless HOST says otherwise (a server on 127.0.0.1 answers nobody outside its container).
 * Which address it bound is read from /proc/net/tcp; requests go to 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, startWatched, type Watched } from '../helpers/procinit.js';

let server: Watched | null = null;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = null;
});

/** Start web.js on an ephemeral port; the port and the address /proc/net/tcp says it listens on (hex, as the kernel prints it). */
async function start(env: Record<string, string | undefined>): Promise<{ port: number; local: string }> {
  server = startWatched(process.execPath, [join(REPO, 'examples/web.js')], { env: { HOST: undefined, PORT: '0', PS: 'web.1', ...env } });
  const listening = /listening on http:\/\/\S+:(\d+)/;
  const port = Number(listening.exec(await server.waitFor(listening))?.[1]);
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const listen = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A');
  return { port, local: listen?.[1].split(':')[0] ?? 'not listening' };
}

function fetchLocal(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('examples/web.js', () => {
  it('listens on every address (0.0.0.0) by default, so a container or a Service can reach it', async () => {
    const { port, local } = await start({});
    expect(local).toBe('00000000');
    expect(await fetchLocal(port)).toBe('hello from web.1\n');
  });

  it('HOST=127.0.0.1 keeps it on this machine', async () => {
    const { local } = await start({ HOST: '127.0.0.1' });
    expect(local).toBe('0100007F');
  });
});
