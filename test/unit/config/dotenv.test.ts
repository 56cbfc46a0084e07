import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDotenv, readDotenvFile } from '../../../src/config/dotenv.js';
import { ConfigError } from '../../../src/config/errors.js';
import { configError } from '../../helpers/config-error.js';

const FILE = '/app/.env';
const parse = (text: string) => ({ ...parseDotenv(text, FILE) });


describe('parseDotenv', () => {
  it('reads KEY=value lines, skipping blank lines and comments', () => {
    expect(parse('# comment\nBASIC=basic\n\n   \n  # indented comment\nAFTER_LINE=after_line\n')).toEqual({
      BASIC: 'basic',
      AFTER_LINE: 'after_line',
    });
  });

  it('accepts `export `, spaces around = and indented keys', () => {
    expect(parse('export A=1\nB = 2\n  C=3\nexport\tD = four\n')).toEqual({ A: '1', B: '2', C: '3', D: 'four' });
  });

  it("accepts dotenv's key characters", () => {
    expect(parse('lower=1\nWITH.DOT=2\nWITH-DASH=3\n_U=4\n1ST=5\nexport=6\n')).toEqual({
      lower: '1',
      'WITH.DOT': '2',
      'WITH-DASH': '3',
      _U: '4',
      '1ST': '5',
      export: '6',
    });
  });

  it('empty values become empty strings', () => {
    expect(parse("EMPTY=\nEMPTY_SQ=''\nEMPTY_DQ=\"\"\nEMPTY_BT=``\nSPACES=   \n")).toEqual({
      EMPTY: '',
      EMPTY_SQ: '',
      EMPTY_DQ: '',
      EMPTY_BT: '',
      SPACES: '',
    });
  });

  it('trims unquoted values and keeps inner spaces, = signs and quotes', () => {
    expect(parse('A=   some spaced out string   \nB=equals==\nJSON={"foo": "bar"}\nC=it\'s\n')).toEqual({
      A: 'some spaced out string',
      B: 'equals==',
      JSON: '{"foo": "bar"}',
      C: "it's",
    });
  });

  it('removes ` #` inline comments from unquoted values, but not a # inside a word', () => {
    expect(
      parse(
        'A=inline comments # work #very #well\nB=abc#123\nCOLOR=#ff0000\nURL=http://x/a#frag\nC= # only a comment\nD=x\t# tab\n',
      ),
    ).toEqual({
      A: 'inline comments',
      B: 'abc#123',
      COLOR: '#ff0000',
      URL: 'http://x/a#frag',
      C: '',
      D: 'x',
    });
  });

  it('takes single-quoted and backtick values literally, keeping spaces and # and backslashes', () => {
    expect(
      parse("A='  single quotes  '\nB='no\\nescape $HOME'\nC='#not a comment' # comment\nD=`has 'single' and \"double\"`\n"),
    ).toEqual({
      A: '  single quotes  ',
      B: 'no\\nescape $HOME',
      C: '#not a comment',
      D: 'has \'single\' and "double"',
    });
  });

  it('expands \\n \\r \\t \\" \\\\ in double quotes and keeps other backslashes', () => {
    expect(parse('A="expand\\nnew\\nlines"\nB="tab\\there \\"q\\" back\\\\slash"\nC="C:\\dir\\x"\nD="cr\\r"\n')).toEqual({
      A: 'expand\nnew\nlines',
      B: 'tab\there "q" back\\slash',
      C: 'C:\\dir\\x',
      D: 'cr\r',
    });
  });

  it('keeps spaces and # inside double quotes, and allows a comment after them', () => {
    expect(parse('A="  spaced  "\nB="a # b" # comment\nC="x"   \n')).toEqual({ A: '  spaced  ', B: 'a # b', C: 'x' });
  });

  it('does not expand variables', () => {
    expect(parse('A=$HOME\nB="${PATH}"\n')).toEqual({ A: '$HOME', B: '${PATH}' });
  });

  it('reads quoted values spanning lines, with line numbers carrying on after them', () => {
    const text = [
      'PRIVATE_KEY="-----BEGIN KEY-----',
      'abc\\tdef',
      '-----END KEY-----"',
      "SQ='one",
      "two'",
      'BT=`x',
      '',
      'y`',
      'AFTER=1',
      'BAD LINE',
    ].join('\n');
    expect(configError(() => parse(text)).line).toBe(10);
    expect(parse(text.split('\n').slice(0, 9).join('\n'))).toEqual({
      PRIVATE_KEY: '-----BEGIN KEY-----\nabc\tdef\n-----END KEY-----',
      SQ: 'one\ntwo',
      BT: 'x\n\ny',
      AFTER: '1',
    });
  });

  it('accepts CRLF, a missing final newline and a BOM', () => {
    expect(parse('\uFEFFA=1\r\nB="x\r\ny"\r\nC=3')).toEqual({ A: '1', B: 'x\ny', C: '3' });
  });

  it('lets a later definition win', () => {
    expect(parse('A=1\nA=2\n')).toEqual({ A: '2' });
  });

  it('has no prototype: __proto__ and constructor are plain keys', () => {
    const env = parseDotenv('constructor=x\n', FILE);
    expect(env.constructor).toBe('x');
    expect(parseDotenv('A=1\n', FILE).toString).toBeUndefined();
  });
});

describe('parseDotenv: refused lines', () => {
  it.each([
    ['A=1\nJUST_A_WORD\n', 2, /expected KEY=value \(no '=' after 'JUST_A_WORD'\)/],
    ['export FOO\n', 1, /expected KEY=value/],
    ['some text here\n', 1, /expected KEY=value$/],
    ['=value\n', 1, /missing variable name before '='/],
    ['MY KEY=1\n', 1, /invalid variable name 'MY KEY'/],
    ['A$=1\n', 1, /invalid variable name 'A\$'/],
    ['A="unterminated\nB=2\n', 1, /unterminated double-quoted value for A \(no closing "\)/],
    ["\n\nA='open\n", 3, /unterminated single-quoted value for A/],
    ['A="x" y\n', 1, /unexpected text after the closing quote of A: 'y'/],
    ['A="x\ny" z\n', 2, /unexpected text after the closing quote of A/],
    ["A='x'y\n", 1, /unexpected text after the closing quote/],
  ])('%j: error at line %i', (text, line, message) => {
    const err = configError(() => parseDotenv(text, FILE));
    expect(err.file).toBe(FILE);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${FILE}:${line}: `)).toBe(true);
  });
});

describe('readDotenvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'procinit-dotenv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    const file = join(dir, '.env');
    writeFileSync(file, 'PORT=8000\nDATABASE_URL="postgres://u:p@db:5432/app?sslmode=disable"\n');
    expect({ ...readDotenvFile(file) }).toEqual({
      PORT: '8000',
      DATABASE_URL: 'postgres://u:p@db:5432/app?sslmode=disable',
    });
  });

  it('names the file in errors', () => {
    const file = join(dir, 'bad.env');
    writeFileSync(file, 'GOOD=1\nnot an assignment\n');
    expect(configError(() => readDotenvFile(file)).message).toBe(`${file}:2: expected KEY=value`);
    const missing = join(dir, 'missing.env');
    expect(configError(() => readDotenvFile(missing)).message).toBe(`${missing}: no such file`);
  });
});
