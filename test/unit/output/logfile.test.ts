import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingLogFile } from '../../../src/output/logfile.js';
import { tempDir } from '../../helpers/procinit.js';

describe('RotatingLogFile (supervisord rotation)', () => {
  it('rotates file -> file.1 -> file.2 and drops the oldest beyond backups', () => {
    const path = join(tempDir(), 'app.log');
    const f = new RotatingLogFile(path, 10, 2);
    for (const chunk of ['aaaaaaaa\n', 'bbbbbbbb\n', 'cccccccc\n', 'dddddddd\n']) f.write(Buffer.from(chunk));
    f.close();
    expect(readFileSync(path, 'utf8')).toBe('dddddddd\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('cccccccc\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('bbbbbbbb\n');
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it('truncates with 0 backups and never rotates with maxBytes 0', () => {
    const dir = tempDir();
    const t = new RotatingLogFile(join(dir, 't.log'), 10, 0);
    t.write(Buffer.from('aaaaaaaa\n'));
    t.write(Buffer.from('bbbbbbbb\n'));
    t.close();
    expect(readFileSync(join(dir, 't.log'), 'utf8')).toBe('bbbbbbbb\n');
    const n = new RotatingLogFile(join(dir, 'n.log'), 0, 5);
    for (let i = 0; i < 100; i++) n.write(Buffer.from('x\n'));
    n.close();
    expect(readFileSync(join(dir, 'n.log'), 'utf8').length).toBe(200);
  });
});

describe('RotatingLogFile.writeLines', () => {
  it('rotates between lines of one big batch', () => {
    const path = join(tempDir(), 'b.log');
    const f = new RotatingLogFile(path, 10, 3);
    f.writeLines(['aaaa\n', 'bbbb\n', 'cccc\n', 'dddd\n', 'eeee\n'].map((l) => Buffer.from(l)));
    f.close();
    expect(readFileSync(path, 'utf8')).toBe('eeee\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('cccc\ndddd\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('aaaa\nbbbb\n');
  });
});
