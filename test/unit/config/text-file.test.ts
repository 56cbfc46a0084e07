/** Config files are read without ever blocking the event loop, and NUL bytes are refused with their line. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile, readTextFile } from '../../../src/config/text-file.js';
import { configError } from '../../helpers/config-error.js';
import { tempDir } from '../../helpers/procinit.js';

describe('readTextFile: what is not a regular file is refused at once', () => {
  it('a FIFO with no writer: refused in well under a second (a plain open() would block for ever)', () => {
    const dir = tempDir();
    const fifo = join(dir, 'Procfile');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    const err = configError(() => readTextFile(fifo));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(err.message).toBe(`${fifo}: is a FIFO, not a regular file`);
  });

  it('a symlink to a FIFO, a directory and a socket: refused; a dangling symlink: no such file', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync(join(dir, 'fifo'), join(dir, 'link'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(dir, 'sock'), r));
    try {
      expect(configError(() => readTextFile(join(dir, 'link'))).detail).toBe('is a FIFO, not a regular file');
      expect(configError(() => readTextFile(join(dir, 'sub'))).detail).toBe('is a directory, not a regular file');
      expect(configError(() => readTextFile(join(dir, 'sock'))).detail).toMatch(/no such device|ENXIO|is a socket/);
      expect(configError(() => readTextFile(join(dir, 'dangling'))).detail).toBe('no such file');
    } finally {
      server.close();
    }
  });

  it('/dev/null reads as empty; other devices (/dev/zero, a terminal) are refused', () => {
    expect(readRegularFile('/dev/null').length).toBe(0);
    expect(configError(() => readTextFile('/dev/zero')).detail).toBe('is a character device, not a regular file');
  });

  it('refuses a file above the size limit, naming it', () => {
    const file = join(tempDir(), 'big');
    writeFileSync(file, 'x'.repeat(5000));
    expect(() => readRegularFile(file, 4096)).toThrow(/5000 bytes, more than the 4096/);
    expect(readRegularFile(file, 5000).length).toBe(5000);
  });
});

describe('readTextFile: NUL bytes', () => {
  it('refuses a NUL with the line it is on', () => {
    const file = join(tempDir(), 'Procfile');
    writeFileSync(file, 'web: echo one\na: echo one\0; echo two\n');
    const err = configError(() => readTextFile(file));
    expect(err.line).toBe(2);
    expect(err.message).toBe(`${file}:2: NUL byte (\\0) in the file: a command or value would be cut short there`);
  });
});
