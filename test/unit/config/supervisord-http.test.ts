/** [unix_http_server] / [inet_http_server] as supervisord reads them, and the SUPERVISOR_SERVER_URL they give. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../../src/config/load.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { inetAddress } from '../../../src/config/supervisord-http.js';
import { processEnv } from '../../../src/supervisor/spawn.js';
import { tempDir } from '../../helpers/procinit.js';
import { configError } from '../../helpers/config-error.js';

function load(text: string) {
  const dir = tempDir();
  const file = join(dir, 'supervisord.conf');
  writeFileSync(file, `[supervisord]\n${text}\n[program:x]\ncommand=/bin/true\n`);
  return loadRun(defaultLoadOptions({ config: file, cwd: dir, env: { HOME: '/root' } }));
}

describe('supervisord http server sections', () => {
  it('reads a unix socket with supervisord defaults (chmod 0700, no auth) and prefers it for the server url', () => {
    const run = load('[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword={SHA}abc\n[unix_http_server]\nfile=/tmp/x.sock\n');
    expect(run.rpc?.servers).toEqual([
      expect.objectContaining({ kind: 'inet', host: '127.0.0.1', port: 9001, username: 'u', password: '{SHA}abc' }),
      expect.objectContaining({ kind: 'unix', file: '/tmp/x.sock', chmod: 0o700, chown: null, username: null }),
    ]);
    expect(run.rpc?.serverurl).toBe('unix:///tmp/x.sock');
    const env = processEnv(run, run.programs[0].instances[0], {});
    expect(env.SUPERVISOR_SERVER_URL).toBe('unix:///tmp/x.sock');
    expect(env.SUPERVISOR_PROCESS_NAME).toBe('x');
  });

  it('falls back to the inet server, localhost for every interface', () => {
    const run = load('[inet_http_server]\nport=*:9001\n');
    expect(run.rpc?.serverurl).toBe('http://localhost:9001');
    expect(run.rpc?.servers[0]).toMatchObject({ host: '', port: 9001 });
  });

  it('binds nothing when the config asks for nothing', () => {
    const run = load('');
    expect(run.rpc?.servers).toEqual([]);
    expect(processEnv(run, run.programs[0].instances[0], {}).SUPERVISOR_SERVER_URL).toBeUndefined();
  });

  it('refuses what supervisord refuses, naming file and line', () => {
    expect(configError(() => load('[unix_http_server]\nchmod=777\n')).message).toMatch(/supervisord\.conf:\d+: section \[unix_http_server\] has no file value/);
    expect(configError(() => load('[unix_http_server]\nfile=/tmp/a\nchmod=99x\n')).message).toMatch(/Invalid chmod value 99x/);
    expect(configError(() => load('[inet_http_server]\nport=9001\nusername=a\n')).message).toMatch(/incomplete authentication/);
    expect(configError(() => load('[inet_http_server]\n')).message).toMatch(/has no port value/);
    expect(() => inetAddress('host:')).toThrow(/no port number/);
    expect(() => inetAddress('70000')).toThrow(/not a valid port/);
  });
});
