/**
 * Fuzz: the INI reader (IniDocument.readText, supervisord's ConfigParser dialect) and the supervisord config
 * reader built on it (readSupervisordRunWith), on generated text and on mutated real configs from the corpus
 * (../shared/corpus/supervisord and supervisord's own test fixtures). Each input parses, or is refused with
 * a one-line ConfigError naming `file:line` (or just `file:` for a whole-file problem); never another
 * exception (ValueError, ShlexError, a TypeError...), never slow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostView } from '../../../src/config/host-view.js';
import { IniDocument } from '../../../src/config/ini.js';
import type { RunSpec } from '../../../src/config/model.js';
import { defaultLoadOptions } from '../../../src/config/options.js';
import { readSupervisordRunWith } from '../../../src/config/supervisord.js';
import { tempDir } from '../../helpers/procinit.js';
import { corpusFiles, mustParseOrRefuse, mutated, newOutcome, params, reportOutcome } from './support.js';

const FILE = '/etc/supervisor/supervisord.conf';

/** A host where every directory and user exists (so only the text decides). */
const HOST: HostView = {
  isDirectory: () => true,
  userExists: () => true,
  homeOf: (u) => `/home/${u}`,
  hostname: () => 'fuzzhost',
};

/** Variables the corpus files expand with %(ENV_X)s. */
const ENV: Record<string, string> = {
  HOME: '/root', PATH: '/usr/bin:/bin', MAX_WORKER_NUM: '4', NUMPROCS: '2', ENABLE_NGINX: 'true', ENABLE_WEB: 'false',
  ENABLE_WEBSOCKET: 'yes', ENABLE_WEBSOCKET_MONOLITHIC: 'off', ENABLE_WORKER: '1', RESOURCES_PATH: '/r',
  SASLAUTHD_MECH_OPTIONS: 'x', CVAT_REDIS_HOST: 'h', SMOKESCREEN_OPTS: '-a', AIO_LOG_LEVEL: 'info', JANUS_LOG_LEVEL: '4',
  SE_SUPERVISORD_CHILD_LOG_DIR: '/tmp', SE_SUPERVISORD_LOG_FILE: '/tmp/x.log', SE_SUPERVISORD_LOG_LEVEL: 'info',
  SE_SUPERVISORD_PID_FILE: '/tmp/p',
};

const corpus = [...corpusFiles('supervisord'), ...corpusFiles('supervisor-fixtures', (n) => n.endsWith('.conf'))];

function checkDoc(doc: IniDocument): void {
  for (const s of doc.sections.values()) {
    expect(s.line).toBeGreaterThanOrEqual(1);
    for (const [k, v] of s.options) {
      expect(k).toBe(k.toLowerCase());
      expect(typeof v.value).toBe('string');
      expect(v.line).toBeGreaterThanOrEqual(1);
    }
  }
}

function checkRun(run: RunSpec): void {
  expect(run.format).toBe('supervisord');
  for (const p of run.programs) {
    for (const inst of p.instances) {
      expect(inst.name.length).toBeGreaterThan(0);
      expect(inst.command.length).toBeGreaterThan(0);
    }
  }
}

const iniLine = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('[program:', '[group:', '[', '[supervisord', '[include', '[DEFAULT', '[procinit'), fc.stringMatching(/^[a-z0-9_:-]{0,8}$/), fc.constantFrom(']', '', ']]', '] ; c')).map(([a, b, c]) => a + b + c) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', ' ', '\t'),
        fc.constantFrom('command', 'numprocs', 'process_name', 'autorestart', 'startsecs', 'environment', 'stopsignal', 'programs', 'files', 'priority', 'exitcodes', 'user', 'directory', 'X'),
        fc.constantFrom('=', ' = ', ':', ' : '),
        fc.oneof(fc.string({ maxLength: 25 }), fc.constantFrom('/bin/true', '%(program_name)s_%(process_num)02d', '%(ENV_HOME)s', '%(ENV_NOPE)s', '3', '-1', 'true', 'unexpected', 'A="b",C=d', 'TERM', '0,2', 'web,worker', '"unclosed', '%(here)s/x.conf')),
      )
      .map(([i, k, e, v]) => i + k + e + v),
  },
  { weight: 2, arbitrary: fc.constantFrom('', '; comment', '# comment', '    continued value', '\t[x]', 'no delimiter here', '=value') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const iniText = fc.tuple(fc.array(iniLine, { maxLength: 14 }), fc.constantFrom('\n', '\r\n', '\r')).map(([lines, eol]) => lines.join(eol) + eol);

describe('fuzz: INI reader', () => {
  it('generated INI-like text: parses or refuses with file:line', () => {
    const o = newOutcome();
    fc.assert(
      fc.property(iniText, (text) => mustParseOrRefuse(o, text, () => {
        const doc = new IniDocument();
        doc.readText(text, FILE);
        return doc;
      }, checkDoc)),
      params(3000),
    );
    reportOutcome('ini generated', o);
    expect(o.parsed).toBeGreaterThan(100);
  });

  it('mutated real supervisord configs', () => {
    const o = newOutcome();
    fc.assert(
      fc.property(mutated(fc.constantFrom(...corpus.map((f) => f.text))), (text) => mustParseOrRefuse(o, text, () => {
        const doc = new IniDocument();
        doc.readText(text, FILE);
        return doc;
      }, checkDoc)),
      params(3000),
    );
    reportOutcome('ini mutated corpus', o);
  });

  it('large inputs stay fast', () => {
    const o = newOutcome();
    const many = Array.from({ length: 40_000 }, (_, i) => `[program:p${i}]\ncommand=/bin/p ${i}\n`).join('');
    mustParseOrRefuse(o, many, () => new IniDocument().readText(many, FILE));
    const continuation = '[a]\nk = v\n' + '  more\n'.repeat(200_000);
    mustParseOrRefuse(o, continuation, () => new IniDocument().readText(continuation, FILE));
    const comments = '[a]\nk = ' + 'v ;'.repeat(100_000) + '\n';
    mustParseOrRefuse(o, comments, () => new IniDocument().readText(comments, FILE));
    const inline = '[a]\nk = ' + 'a;'.repeat(100_000) + ' #x\n';
    mustParseOrRefuse(o, inline, () => new IniDocument().readText(inline, FILE));
    reportOutcome('ini large', o);
  });
});

describe('fuzz: supervisord config reader', () => {
  const dir = tempDir();
  const file = join(dir, 'supervisord.conf');
  const read = (text: string): RunSpec => {
    writeFileSync(file, text);
    return readSupervisordRunWith(file, defaultLoadOptions({ cwd: dir, env: ENV }), {}, HOST);
  };

  it('the corpus files themselves: read or refused cleanly', () => {
    const o = newOutcome();
    for (const f of corpus) mustParseOrRefuse(o, f.text, () => read(f.text), checkRun);
    reportOutcome('supervisord corpus', o);
    expect(o.parsed).toBeGreaterThan(corpus.length / 2);
  });

  it('generated configs: read or refused with file:line', () => {
    const o = newOutcome();
    const withProgram = iniText.map((t) => `[supervisord]\n[program:a]\ncommand=/bin/a\n${t}`);
    fc.assert(fc.property(fc.oneof(iniText, withProgram), (text) => mustParseOrRefuse(o, text, () => read(text), checkRun)), params(1500));
    reportOutcome('supervisord generated', o);
    expect(o.parsed).toBeGreaterThan(50);
  });

  it('mutated real configs: read or refused with file:line', () => {
    const o = newOutcome();
    fc.assert(fc.property(mutated(fc.constantFrom(...corpus.map((f) => f.text))), (text) => mustParseOrRefuse(o, text, () => read(text), checkRun)), params(2000));
    reportOutcome('supervisord mutated corpus', o);
  });
});
