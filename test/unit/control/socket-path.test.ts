import { describe, expect, it } from 'vitest';
import {
  abstractListening,
  abstractSocketName,
  checkSocketPath,
  clientSocketPath,
  ControlSocketError,
  fallbackSocketPath,
  netAddress,
  RUN_SOCKET,
  serverSocketPath,
  type ClientLookup,
} from '../../../src/control/socket-path.js';

/** A machine where only these sockets exist (and listen), and whose PID namespace is 4026532001. */
function lookup(sockets: string[], abstract: string[] = []): ClientLookup {
  return {
    isSocket: (p) => sockets.includes(p),
    abstractName: () => '@procinit-4026532001',
    abstractListening: (n) => abstract.includes(n),
    otherSockets: () => sockets.filter((p) => /\/procinit-\d+\.sock$/.test(p)),
    fileListening: (p) => sockets.includes(p),
  };
}

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
    expect(serverSocketPath(base, false, () => true).path).toBe('/tmp/procinit-1000.sock');
    expect(serverSocketPath({ ...base, env: { XDG_RUNTIME_DIR: '/run/user/1000' } }, false, () => true).path).toBe('/run/user/1000/procinit-1000.sock');
    expect(fallbackSocketPath({ XDG_RUNTIME_DIR: '' }, 5)).toBe('/tmp/procinit-5.sock');
  });

  it('a client takes /run/procinit.sock whenever it exists, even when it may not write /run', () => {
    expect(clientSocketPath(base, false, true, lookup([])).path).toBe(RUN_SOCKET);
    expect(clientSocketPath(base, false, false, lookup([])).path).toBe('/tmp/procinit-1000.sock');
    expect(clientSocketPath({ ...base, flag: 'x.sock' }, false, true, lookup([])).path).toBe('/work/x.sock');
  });

  it('a server that may write neither /run nor /tmp (--read-only) takes /dev/shm', () => {
    const usable = (d: string): boolean => d === '/dev/shm';
    expect(serverSocketPath(base, false, usable).path).toBe('/dev/shm/procinit-1000.sock');
    expect(serverSocketPath(base, false, (d) => d === '/tmp').path).toBe('/tmp/procinit-1000.sock');
  });

  it('a client finds the server whatever uid either runs as: own fallback, /dev/shm, abstract, then any live procinit-<uid>.sock', () => {
    const root = { ...base, uid: 0 };
    expect(clientSocketPath(root, true, false, lookup(['/tmp/procinit-0.sock'])).path).toBe('/tmp/procinit-0.sock');
    expect(clientSocketPath(root, true, false, lookup(['/dev/shm/procinit-0.sock'])).path).toBe('/dev/shm/procinit-0.sock');
    // docker exec -u 0 into a --user 1000 container: its PID 1 listens on the abstract socket too
    expect(clientSocketPath(root, true, false, lookup(['/tmp/procinit-1000.sock'], ['@procinit-4026532001'])).path).toBe('@procinit-4026532001');
    // ... and when it could not (no addon), its file is found by name
    expect(clientSocketPath(root, true, false, lookup(['/tmp/procinit-1000.sock'])).path).toBe('/tmp/procinit-1000.sock');
    expect(clientSocketPath(root, true, false, lookup(['/dev/shm/procinit-1000.sock'])).path).toBe('/dev/shm/procinit-1000.sock');
    // nothing anywhere: the path the server would use, for the error message
    expect(clientSocketPath(root, true, false, lookup([])).path).toBe(RUN_SOCKET);
  });

  it('"@name" is an abstract socket wherever a path is given, and is not made absolute', () => {
    expect(serverSocketPath({ ...base, flag: '@mine' })).toEqual({ path: '@mine', source: '--socket' });
    expect(clientSocketPath({ ...base, env: { PROCINIT_SOCKET: '@x' } }, false, false, lookup([])).path).toBe('@x');
    expect(netAddress('@x')).toBe('\0x');
    expect(netAddress('/run/procinit.sock')).toBe('/run/procinit.sock');
  });

  it('the abstract name comes from the PID namespace, and /proc/net/unix says whether it listens', () => {
    expect(abstractSocketName(() => 'pid:[4026531836]')).toBe('@procinit-4026531836');
    expect(abstractSocketName(() => { throw new Error('no /proc'); })).toBeNull();
    const table = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 72450 @procinit-4026531836@@@@@@',
      '0000000000000000: 00000003 00000000 00000000 0001 03 72451 @procinit-4026539999',
    ].join('\n');
    expect(abstractListening('@procinit-4026531836', () => table)).toBe(true);
    expect(abstractListening('@procinit-4026539999', () => table)).toBe(false); // connected, not listening
    expect(abstractListening('@procinit-40265318', () => table)).toBe(false);
  });

  it('refuses a path the kernel cannot bind', () => {
    expect(() => checkSocketPath('/tmp/' + 'x'.repeat(120))).toThrow(ControlSocketError);
    expect(() => checkSocketPath('/tmp/ok.sock')).not.toThrow();
  });
});
