import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectSpawner, findProgram } from '../../../src/supervisor/direct-spawn.js';
import { fromWaitStatus } from '../../../src/supervisor/exit-info.js';
import { tempDir } from '../../helpers/procinit.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('findProgram (execvp search, or null to leave it to child_process)', () => {
  it('takes a path as it is and searches PATH for a bare name, in order', () => {
    const dir = tempDir();
    for (const d of ['a', 'b']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'a', 'tool'), 'not executable');
    writeFileSync(join(dir, 'b', 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'b', 'tool'), 0o755);
    mkdirSync(join(dir, 'a', 'dir'));
    expect(findProgram('./x', undefined, '/')).toBe('./x');
    expect(findProgram('tool', `${dir}/a:${dir}/b`, '/')).toBe(join(dir, 'b', 'tool'));
    expect(findProgram('dir', `${dir}/a`, '/')).toBeNull();
    expect(findProgram('tool', 'b', dir)).toBe(join(dir, 'b', 'tool'));
    expect(findProgram('sh', undefined, '/')).toBeNull();
    expect(findProgram('no-such-program-here', '/usr/bin:/bin', '/')).toBeNull();
  });
});

describe('fromWaitStatus', () => {
  it('reads exit codes and signals from raw wait statuses', () => {
    expect(fromWaitStatus(3 << 8, 1)).toEqual({ code: 3, signal: null, error: null, at: 1 });
    expect(fromWaitStatus(15, 1)).toMatchObject({ code: null, signal: 'TERM' });
    expect(fromWaitStatus(9 | 0x80, 1)).toMatchObject({ code: null, signal: 'KILL' }); // core dumped
  });
});

describe('DirectSpawner', () => {
  it('leaves what it cannot start to child_process, closing every pipe it made', () => {
    const d = new DirectSpawner();
    const before = openFds();
    expect(d.launch({ file: '/no/such/program', args: [], env: {}, cwd: '/' })).toBeNull();
    expect(d.launch({ file: '/bin/true', args: [], env: {}, cwd: '/no/such/dir' })).toBeNull();
    expect(d.launch({ file: 'true', args: [], env: { PATH: '/nowhere' }, cwd: '/' })).toBeNull();
    expect(openFds()).toBe(before);
  });

  it('claims only the statuses of its own children', () => {
    expect(new DirectSpawner().claim(123456, 0)).toBe(false);
  });
});
