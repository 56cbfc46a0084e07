import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { FormatError, expandTemplate, pyFormat, pyRepr } from '../../../src/config/expand.js';
import { askPython, haveSupervisorPython, reportMissingSupervisorPython } from '../../helpers/supervisord-python.js';

const VALUES = {
  program_name: 'worker',
  group_name: 'jobs',
  here: '/etc/supervisor',
  host_node_name: 'box',
  process_num: 7,
  numprocs: 12,
  neg: -3,
  ENV_HOME: '/root',
  ENV_EMPTY: '',
  ENV_QUOTE: "it's",
  ENV_UNI: 'ünï',
};

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('pyFormat: Python str % mapping', () => {
  it('expands %(name)s and leaves text without % alone', () => {
    expect(pyFormat('%(program_name)s_%(process_num)s', VALUES)).toBe('worker_7');
    expect(pyFormat('${HOME} {{ x }} plain', VALUES)).toBe('${HOME} {{ x }} plain');
  });

  it('turns %% into %', () => {
    expect(pyFormat('100%% of %(program_name)s%%', VALUES)).toBe('100% of worker%');
  });

  it('applies flags, width and precision as Python does', () => {
    expect(pyFormat('%(process_num)02d', VALUES)).toBe('07');
    expect(pyFormat('%(process_num)05d|%(process_num)-4d|%(process_num)+d|%(process_num) d', VALUES)).toBe('00007|7   |+7| 7');
    expect(pyFormat('%(process_num)#x %(process_num)#o %(numprocs)X %(numprocs)#X', VALUES)).toBe('0x7 0o7 C 0XC');
    expect(pyFormat('%(process_num).3d %(neg)05d %(neg)#o', VALUES)).toBe('007 -0003 -0o3');
    expect(pyFormat('%(program_name)8s|%(program_name)-8s|%(program_name).3s|%(program_name)08s', VALUES)).toBe(
      '  worker|worker  |wor|  worker',
    );
    expect(pyFormat('%(process_num).2f %(process_num)e %(numprocs)g %(process_num)#.3g %(process_num)#.0f', VALUES)).toBe(
      '7.00 7.000000e+00 12 7.00 7.',
    );
    expect(pyFormat('%(process_num)ld %(process_num)hd %(process_num)Li', VALUES)).toBe('7 7 7');
  });

  it('formats %r and %a like repr() and ascii()', () => {
    expect(pyFormat('%(program_name)r %(process_num)r %(ENV_QUOTE)r %(ENV_UNI)r %(ENV_UNI)a', VALUES)).toBe(
      `'worker' 7 "it's" 'ünï' '\\xfcn\\xef'`,
    );
    expect(pyRepr('a\nb\\')).toBe("'a\\nb\\\\'");
  });

  it('refuses unknown names as KeyError-like errors', () => {
    const e = formatError(() => pyFormat('%(ENV_NOPE)s', VALUES));
    expect(e.kind).toBe('unknown-name');
    expect(e.key).toBe('ENV_NOPE');
  });

  it('refuses malformed formats', () => {
    for (const t of ['%', '100%', '%(', '%(here', '%(here)', '%HOME%', '%(here)y', '%(here)%', '%(program_name)d', '%(here)c', '%(process_num)*d']) {
      expect(formatError(() => pyFormat(t, VALUES)).kind, t).toBe('bad-format');
    }
  });

  it('refuses a conversion without (name): Python would print its whole expansion table (deliberate difference)', () => {
    expect(formatError(() => pyFormat('date +%s', VALUES)).message).toMatch(/no \(name\).*%%/);
  });

  it('reads nested parentheses in a key as Python does', () => {
    expect(pyFormat('%(a(b))s', { 'a(b)': 'x' })).toBe('x');
  });
});

describe('expandTemplate', () => {
  it('turns errors into ConfigError naming file:line, the option and the missing variable', () => {
    let err: unknown;
    try {
      expandTemplate('%(ENV_DB_URL)s', VALUES, { file: '/etc/s.conf', line: 12, what: '[program:web] command' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      '/etc/s.conf:12: [program:web] command: cannot expand %(ENV_DB_URL) in "%(ENV_DB_URL)s": environment variable DB_URL is not set',
    );
  });

  it('lists the available names for an unknown one, and hints at unfilled templates', () => {
    expect(() => expandTemplate('%(nope)s', VALUES, { file: 'f', line: 1, what: 'x' })).toThrow(/available names: .*program_name/);
    expect(() => expandTemplate('%HOME%', VALUES, { file: 'f', line: 1, what: 'x' })).toThrow(/unfilled template/);
  });
});

describe.skipIf(!haveSupervisorPython)('pyFormat against Python', () => {
  it('agrees with str % dict on random templates', () => {
    const piece = fc.oneof(
      fc.constantFrom('a', ' ', '%%', '%', '(', ')', 'x', '.', '5', '0'),
      fc
        .record({
          key: fc.constantFrom('program_name', 'process_num', 'numprocs', 'neg', 'ENV_UNI', 'ENV_QUOTE', 'nope', ''),
          flags: fc.array(fc.constantFrom('-', '+', ' ', '#', '0'), { maxLength: 3 }).map((a) => a.join('')),
          width: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
          prec: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
          len: fc.constantFrom('', '', 'l', 'h'),
          conv: fc.constantFrom('s', 'd', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G', 'c', 'r', 'a', '%', 'y', ''),
        })
        .map(
          (r) =>
            `%(${r.key})${r.flags}${r.width ?? ''}${r.prec === undefined ? '' : `.${r.prec}`}${r.len}${r.conv}`,
        ),
    );
    const template = fc.array(piece, { maxLength: 5 }).map((p) => p.join(''));
    const cases = fc.sample(template, { numRuns: 3000, seed: 1 }).filter((t) => !/%[-+ #0-9.hlL]*[srauidoxXeEfFgGc]/.test(t.replace(/%%|%\([^)]*\)/g, '')));
    const expected = askPython<string>('format', cases.map((t) => ({ template: t, values: VALUES })));
    let agreedOk = 0;
    cases.forEach((t, i) => {
      const e = expected[i];
      let ours: { ok: string } | { error: string };
      try {
        ours = { ok: pyFormat(t, VALUES) };
      } catch (err) {
        const fe = err as FormatError;
        ours = { error: fe.kind === 'unknown-name' ? 'KeyError' : 'other' };
      }
      const theirs = 'ok' in e ? e : { error: e.error === 'KeyError' ? 'KeyError' : 'other' };
      expect(ours, JSON.stringify(t)).toEqual(theirs);
      if ('ok' in e) agreedOk++;
    });
    expect(agreedOk).toBeGreaterThan(200);
  });
});

reportMissingSupervisorPython();
