/**
 * How a program's command becomes an argv: supervisord's argv as split; a Procfile line through
 * `/bin/sh -c`, as `exec CMD` when it is one simple command; or, when the line has no shell syntax at all,
 * its words alone, without a shell. The last is Ruby's rule for `Process.spawn(string)`, the call foreman
 * starts every Procfile line with, so a foreman user's `web: bin/server --port 5000` runs the same way here.
 */
import { realpathSync, statSync } from 'node:fs';
import type { ProcessSpec } from '../config/model.js';

/** Words that make a command more than one simple command, so the shell must stay. */
const SHELL_WORDS = new Set(['if', 'for', 'while', 'until', 'case', 'exec', 'trap', 'cd', 'export', 'set', 'ulimit', 'umask', 'source', '.', 'eval', 'wait', 'read', 'exit', 'return', 'unset', 'alias', 'command', 'builtin', '{', '!', 'time']);

/**
 * Reserved words and special built-ins, as Ruby lists them (process.c): a command starting with one goes
 * to the shell even without any shell character.
 */
const RUBY_SHELL_WORDS = new Set([
  ...SHELL_WORDS,
  ...['case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'function', 'in', 'select', 'then'],
  ...[':', 'break', 'continue', 'readonly', 'shift', 'times'],
]);

/**
 * A simple command (no ; & | ( ) ` newline, not a shell keyword or builtin) runs as `exec CMD` under the
 * shell: the program replaces the shell, so it gets its stop signal itself and no idle shell stays around
 * per process. Variables ($PORT) are still expanded by the shell.
 */
export function shellCommand(command: string): string {
  const trimmed = command.trim();
  if (/[;&|()`\n]/.test(trimmed)) return command;
  const first = trimmed.split(/\s+/)[0] ?? '';
  // leading assignments (FOO=1 cmd) would need `FOO=1 exec cmd`: keep those as written
  if (first === '' || SHELL_WORDS.has(first) || first.includes('=')) return command;
  return `exec ${trimmed}`;
}

/** Characters that mean nothing to the shell: a word made of these alone is passed as it is written. */
const PLAIN_WORD = /^[A-Za-z0-9_/.,:@%+=-]+$/;

/**
 * The argv of a command the shell would run unchanged (words of plain characters separated by blanks,
 * the first no assignment, keyword or special built-in), or null when only a shell can run it: quotes,
 * `$`, globs, `~`, redirections, lists, comments, escapes.
 */
export function plainArgv(command: string): string[] | null {
  const words = command.split(/[ \t]+/).filter((w) => w !== '');
  if (words.length === 0) return null;
  if (!words.every((w) => PLAIN_WORD.test(w))) return null;
  const first = words[0];
  if (first.includes('=') || RUBY_SHELL_WORDS.has(first)) return null;
  return words;
}

/** The argv a process starts with through the shell (or supervisord's own split). */
export function commandLine(spec: ProcessSpec): { file: string; args: string[] } {
  if (spec.argv && spec.argv.length > 0) return { file: spec.argv[0], args: spec.argv.slice(1) };
  return { file: '/bin/sh', args: ['-c', shellCommand(spec.command)] };
}

/**
 * The PWD a program started by `/bin/sh` in `cwd` sees: the shell keeps an inherited PWD naming that
 * directory and otherwise sets the physical path. A program started without the shell gets the same.
 */
export function shellPwd(inherited: string | undefined, cwd: string): string {
  const key = `${inherited ?? ''}\0${cwd}`;
  let answer = pwdMemo?.get(key);
  if (answer === undefined) {
    answer = inherited !== undefined && sameDirectory(inherited, cwd) ? inherited : physical(cwd);
    if (pwdMemo === null) {
      pwdMemo = new Map();
      queueMicrotask(() => (pwdMemo = null));
    }
    pwdMemo.set(key, answer);
  }
  return answer;
}

/**
 * shellPwd's answers for one synchronous run of JavaScript (a start's or a scale's burst of launches, in
 * the same folder): two stat(2) and two Stats objects per program otherwise. Forgotten at the next
 * microtask, so a folder moved since is looked at again.
 */
let pwdMemo: Map<string, string> | null = null;

function sameDirectory(a: string, b: string): boolean {
  if (!a.startsWith('/')) return false;
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function physical(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
}
