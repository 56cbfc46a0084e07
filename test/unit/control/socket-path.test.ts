import { describe, expect, it } from 'vitest';
import { checkSocketPath, clientSocketPath, ControlSocketError, fallbackSocketPath, RUN_SOCKET, serverSocketPath } from '../../../src/control/socket-path.js';

const base = { flag: null, config: null, env: {}, cwd: '/work', uid: 1000 };

describe('socket path rules', () => {
  it('--socket wins, then $PROCINIT_SOCKET, then the config, relative to the cwd', () => {
    const env = { PROCINIT_SOCKET: 'env.sock' };
    expect(serverSocketPath({ ...base, flag: 'flag.sock', env, config: '/c.sock' })).toEqual({ path: '/work/flag.sock', source: '--socket' });
    expect(serverSocketPath({ ...base, env, config: '/c.sock' })).toEqual({ path: '/work/env.sock', source: '$PROCINIT_SOCKET' });
    expect(serverSocketPath({ ...base, config: '/c.sock' })).toEqual({ path: '/c.sock', source: 'config' });
  });

  it('defaults to /run/procinit.sock when /run is writable, else XDG_RUNTIME_DIR or /tmp', () => {
    expect(serverSocketPath(base, true)).toEqual({ path: RUN_SOCKET, source: 'default' });
    expect(serverSocketPath(base, false).path).toBe('/tmp/procinit-1000.sock');
    expect(serverSocketPath({ ...base, env: { XDG_RUNTIME_DIR: '/run/user/1000' } }, false).path).toBe('/run/user/1000/procinit-1000.sock');
    expect(fallbackSocketPath({ XDG_RUNTIME_DIR: '' }, 5)).toBe('/tmp/procinit-5.sock');
  });

  it('a client takes /run/procinit.sock whenever it exists, even when it may not write /run', () => {
    expect(clientSocketPath(base, false, true).path).toBe(RUN_SOCKET);
    expect(clientSocketPath(base, false, false).path).toBe('/tmp/procinit-1000.sock');
    expect(clientSocketPath({ ...base, flag: 'x.sock' }, false, true).path).toBe('/work/x.sock');
  });

  it('refuses a path the kernel cannot bind', () => {
    expect(() => checkSocketPath('/tmp/' + 'x'.repeat(120))).toThrow(ControlSocketError);
    expect(() => checkSocketPath('/tmp/ok.sock')).not.toThrow();
  });
});
