import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { RETRY_MS, RotatingLogFile } from '../../../src/output/logfile.js';
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

describe('RotatingLogFile: faults are values', () => {
  const lines = (...xs: string[]): Buffer[] => xs.map((x) => Buffer.from(`${x}\n`));

  it('a missing directory: lines handed back, one fault; recovery once the directory exists, with the count', () => {
    const dir = join(tempDir(), 'logs');
    const events: string[] = [];
    let now = 0;
    const f = new RotatingLogFile(join(dir, 'a.log'), 0, 0, {
      onFault: (_p, what) => events.push(`fault ${what}`),
      onRecover: (_p, missed) => events.push(`recover ${missed.lines}/${missed.bytes}`),
    }, () => now);
    expect(f.failing).toBe(true);
    expect(f.writeLines(lines('one', 'two'))).toHaveLength(2);
    now += 10;
    expect(f.writeLines(lines('three'))).toHaveLength(1); // no retry within RETRY_MS
    mkdirSync(dir);
    expect(f.writeLines(lines('four'))).toHaveLength(1);
    now += RETRY_MS;
    expect(f.writeLines(lines('five'))).toEqual([]);
    f.close();
    expect(readFileSync(join(dir, 'a.log'), 'utf8')).toBe('five\n');
    expect(events).toEqual(['fault ENOENT (no such directory)', 'recover 4/19']);
  });

  it('ENOSPC (/dev/full) and EIO (/proc/version): never a throw, one report per file', () => {
    for (const [path, code] of [['/dev/full', 'ENOSPC'], ['/proc/version', 'EIO']]) {
      const faults: string[] = [];
      let now = 0;
      const f = new RotatingLogFile(path, 0, 0, { onFault: (_p, what) => faults.push(what) }, () => now);
      for (let i = 0; i < 5; i++, now += RETRY_MS) expect(f.writeLines(lines(`x${i}`, `y${i}`))).toHaveLength(2);
      expect(f.write(Buffer.from('z\n'))).toBe(false);
      f.close();
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatch(new RegExp(`^${code} `));
    }
  });

  it('a device is never rotated: stdout_logfile=/dev/null with maxbytes leaves the device node where it is', () => {
    const dir = tempDir();
    const dev = join(dir, 'null');
    execFileSync('mknod', ['-m', '666', dev, 'c', '1', '3']);
    const f = new RotatingLogFile(dev, 10, 3);
    for (let i = 0; i < 20; i++) expect(f.writeLines(lines(`line ${i} is longer than ten bytes`))).toEqual([]);
    f.close();
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    expect(existsSync(`${dev}.1`)).toBe(false);
  });

  it('a FIFO nobody reads: refused at once (ENXIO), never blocking', () => {
    const fifo = join(tempDir(), 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const faults: string[] = [];
    const f = new RotatingLogFile(fifo, 0, 0, { onFault: (_p, what) => faults.push(what) });
    expect(f.writeLines(lines('a'))).toHaveLength(1);
    expect(faults).toEqual(['ENXIO (a FIFO or device with no reader)']);
  });

  it('property: for any paths, sizes and lines, no fs error escapes; lines are in the file or handed back', () => {
    const base = tempDir();
    mkdirSync(join(base, 'sub'));
    execFileSync('mkfifo', [join(base, 'fifo')]);
    // a null device of our own (never /dev/null: a rotation bug would move the machine's away)
    execFileSync('mknod', ['-m', '666', join(base, 'null'), 'c', '1', '3']);
    const paths = ['ok.log', 'gone/x.log', 'sub', 'fifo', 'null', '/dev/full', '/proc/version'];
    let n = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.nat(64),
        fc.nat(3),
        fc.array(fc.array(fc.string({ maxLength: 20 }).map((s) => s.replace(/\n/g, '')), { maxLength: 8 }), { maxLength: 6 }),
        (p, maxBytes, backups, batches) => {
          const path = p.startsWith('/') ? p : join(base, `${n++}-${p}`.replace(/^(\d+)-(sub|fifo|null)$/, '$2'));
          let now = 0;
          const faults: string[] = [];
          const f = new RotatingLogFile(path, maxBytes, backups, { onFault: (_x, what) => faults.push(what) }, () => (now += 300));
          for (const b of batches) {
            const input = lines(...b);
            const back = f.writeLines(input);
            // what comes back is the end of the batch, as given
            expect(back).toEqual(input.slice(input.length - back.length));
          }
          f.close();
          expect(statSync(join(base, 'null')).isCharacterDevice()).toBe(true);
          expect(faults.length).toBeLessThanOrEqual(batches.length + 1);
          if (p === 'ok.log') expect(faults).toEqual([]);
        },
      ),
      { numRuns: 400 },
    );
  });
});
