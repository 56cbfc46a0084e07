/**
 * supervisorctl's command line and [supervisorctl] section (supervisor/options.py ClientOptions): -c -i -s -u
 * -p -r -h, the same config search as supervisord, command-line values over the file's.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, UsageError } from '../../config/errors.js';
import { expandTemplate } from '../../config/expand.js';
import { readIniFile } from '../../config/ini.js';
import { getopt, GetoptError } from '../getopt.js';
import { findConfig } from '../supervisord.js';

export interface CtlOptions {
  serverurl: string;
  username: string | null;
  password: string | null;
  prompt: string;
  interactive: boolean;
  help: boolean;
  /** The action and its arguments, joined as supervisorctl joins them. */
  line: string;
}

export function parseCtlArgs(argv: string[], env: NodeJS.ProcessEnv, cwd: string, argv0: string): CtlOptions {
  let parsed;
  try {
    parsed = getopt(argv, [
      { short: 'c', long: 'configuration', arg: true },
      { short: 'h', long: 'help', arg: false },
      { short: '?', long: 'help', arg: false },
      { short: 'i', long: 'interactive', arg: false },
      { short: 's', long: 'serverurl', arg: true },
      { short: 'u', long: 'username', arg: true },
      { short: 'p', long: 'password', arg: true },
      { short: 'r', long: 'history-file', arg: true },
    ]);
  } catch (err) {
    if (err instanceof GetoptError) throw new UsageError(err.message);
    throw err;
  }
  const o = new Map(parsed.opts);
  const opts: CtlOptions = {
    serverurl: 'http://localhost:9001',
    username: null,
    password: null,
    prompt: 'supervisor',
    interactive: o.has('interactive') || parsed.args.length === 0,
    help: o.has('help'),
    line: parsed.args.join(' '),
  };
  if (opts.help) return opts;
  const file = o.get('configuration') ?? findConfig(argv0, cwd);
  if (file !== null && file !== undefined) readSection(resolve(cwd, file), opts, env);
  if (o.has('serverurl')) opts.serverurl = normalizeUrl(o.get('serverurl')!, cwd);
  if (o.has('username')) opts.username = o.get('username')!;
  if (o.has('password')) opts.password = o.get('password')!;
  if (!/^(unix|http):\/\//.test(opts.serverurl)) throw new UsageError(`serverurl must be http:// or unix:// (got ${opts.serverurl})`);
  return opts;
}

function normalizeUrl(url: string, base: string): string {
  return url.startsWith('unix://') ? `unix://${resolve(base, url.slice(7))}` : url;
}

function readSection(file: string, opts: CtlOptions, env: NodeJS.ProcessEnv): void {
  if (!existsSync(file)) throw new UsageError(`could not find config file ${file}`);
  const doc = readIniFile(file);
  if (!doc.hasSection('supervisorctl')) throw new ConfigError(file, null, '.ini file does not include supervisorctl section');
  const here = dirname(file);
  const expansions: Record<string, string> = { here };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) expansions[`ENV_${k}`] = v;
  const get = (key: string, expand: boolean): string | null => {
    const v = doc.get('supervisorctl', key);
    if (!v) return null;
    return expand ? expandTemplate(v.value, expansions, { file: v.file, line: v.line, what: `[supervisorctl] ${key}` }) : v.value;
  };
  const url = get('serverurl', true);
  if (url !== null) opts.serverurl = normalizeUrl(url.trim(), process.cwd());
  opts.prompt = get('prompt', false) ?? opts.prompt;
  opts.username = get('username', false) ?? opts.username;
  opts.password = get('password', false) ?? opts.password;
}
