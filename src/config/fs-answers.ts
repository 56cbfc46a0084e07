/**
 * The fs questions the config readers ask besides reading files: does a path exist (`.env`, `-e` files,
 * procinit.toml), is it a directory (include matches, `directory=`, log folders), what is in a folder (an
 * [include]'s glob). At start they are plain sync calls (nothing runs yet). Under a reload's read-ahead
 * (text-file.ts) they must not block the event loop on a hung NFS/FUSE mount: a question is answered from
 * what was fetched ahead; one not fetched yet is noted as missing and this pass goes on with a guess (the
 * likely answer: a folder asked about with isDirectoryPath exists, a file asked about with pathExists does
 * not), and the load fetches every missing answer at once on libuv's thread pool, bounded by
 * READ_TIMEOUT_MS (fetchAnswers); it starts again only when a guess was wrong (guessesHeld), so a reload
 * of 5,000 programs whose log folders exist is not read twice. A question whose answer timed out throws
 * HungFileError: the reload is refused in one line, never taken as "missing".
 */
import { lstat, lstatSync, readdir, readdirSync, stat, statSync, type Dirent, type Stats } from 'node:fs';
import { currentReadAhead, HungFileError, isTimedOut, READ_TIMEOUT_MS, watchedFsCall, withDeadline } from './text-file.js';

export interface DirEntry {
  name: string;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

type Kind = 'dir' | 'file' | 'other';
/** A question's answer: what stat/lstat/readdir gave, or that it failed (ENOENT, EACCES, ...). */
type Answer = { kind: Kind } | { entries: DirEntry[] } | { failed: string } | { hung: string };

function kindOf(st: Stats): Kind {
  return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
}

function entriesOf(list: Dirent[]): DirEntry[] {
  return list.map((e) => ({ name: e.name, isDirectory: e.isDirectory(), isSymbolicLink: e.isSymbolicLink() }));
}

function failure(err: unknown): Answer {
  if (isTimedOut(err)) return { hung: (err as Error).message };
  return { failed: (err as NodeJS.ErrnoException).code ?? 'EIO' };
}

const CONFLICT = { failed: 'two guesses' } as const;

/** The question asked now: sync without a read-ahead, else from it (the guess when not fetched yet). */
function ask(op: 'stat' | 'lstat' | 'readdir', path: string, guess: Answer = { failed: 'EAGAIN' }): Answer {
  const ahead = currentReadAhead();
  if (ahead === null) {
    // at start: plain sync calls, timed by the start's watchdog (cli/fs-watchdog.ts)
    return watchedFsCall(path, (): Answer => {
      try {
        if (op === 'readdir') return { entries: entriesOf(readdirSync(path, { withFileTypes: true })) };
        return { kind: kindOf(op === 'stat' ? statSync(path) : lstatSync(path)) };
      } catch (err) {
        return failure(err);
      }
    });
  }
  const key = `${op}:${path}`;
  const got = ahead.answers.get(key) as Answer | undefined;
  if (got === undefined) {
    // this pass goes on with the guess; done again if the answer fetched says otherwise
    const earlier = ahead.missing.get(key) as Answer | undefined;
    ahead.missing.set(key, earlier === undefined || same(earlier, guess) ? guess : CONFLICT);
    return guess;
  }
  if ('hung' in got) throw new HungFileError(path, null, got.hung);
  return got;
}

/** Under a read-ahead: ask whether each path is a directory now, so that the answers are fetched with the reads. */
export function askDirectories(paths: readonly string[]): void {
  if (currentReadAhead() === null) return;
  for (const p of paths) ask('stat', p, { kind: 'file' });
}

/** Two answers the readers cannot tell apart (they look at existence and kind, never at an error's code). */
function same(a: Answer, b: Answer): boolean {
  if (a === CONFLICT || b === CONFLICT) return false;
  if ('kind' in a) return 'kind' in b && a.kind === b.kind;
  if ('failed' in a) return 'failed' in b;
  return false; // entries and hung: never guessed
}

/** Did every guess of a pass (missing, as ask noted it) match the answer fetched since? */
export function guessesHeld(guesses: ReadonlyMap<string, unknown>, answers: ReadonlyMap<string, unknown>): boolean {
  for (const [key, guess] of guesses) {
    const got = answers.get(key) as Answer | undefined;
    if (got === undefined || !same(guess as Answer, got)) return false;
  }
  return true;
}

/** existsSync: the path (a symlink followed) exists. */
export function pathExists(path: string): boolean {
  return 'kind' in ask('stat', path);
}

/** The path (a symlink followed) is a directory. */
export function isDirectoryPath(path: string): boolean {
  const a = ask('stat', path, { kind: 'dir' });
  return 'kind' in a && a.kind === 'dir';
}

/** Something is at the path, a dangling symlink too (Python's os.path.lexists). */
export function lexists(path: string): boolean {
  return 'kind' in ask('lstat', path);
}

/** The folder's entries, or null when it cannot be listed. */
export function listDirectory(path: string): DirEntry[] | null {
  const a = ask('readdir', path);
  return 'entries' in a ? a.entries : null;
}

/** One question on the thread pool with a plain callback (a reload asks thousands: fs/promises cost more of the loop). */
function fetchOne(op: string, path: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    if (op === 'readdir') {
      readdir(path, { withFileTypes: true }, (err, list) => (err ? reject(err) : resolve({ entries: entriesOf(list) })));
      return;
    }
    (op === 'stat' ? stat : lstat)(path, (err, st) => (err ? reject(err) : resolve({ kind: kindOf(st) })));
  });
}

/** Fetch the answers to `keys` (as ask notes them) into `into`, a few at once, each within timeoutMs. */
export async function fetchAnswers(keys: readonly string[], into: Map<string, unknown>, timeoutMs = READ_TIMEOUT_MS): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++];
      const colon = key.indexOf(':');
      const op = key.slice(0, colon);
      const path = key.slice(colon + 1);
      let answer: Answer;
      try {
        answer = await withDeadline(
          key,
          () => fetchOne(op, path),
          timeoutMs,
        );
      } catch (err) {
        answer = failure(err);
      }
      into.set(key, answer);
    }
  };
  await Promise.all([worker(), worker(), worker()]); // libuv has 4 threads for every fs call: leave one
}
