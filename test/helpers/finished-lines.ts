import { existsSync, readFileSync } from 'node:fs';

/**
 * The lines of a file that another process is appending to (a listener's record, a program's output),
 * without a last line that is not finished yet: a read can land in the middle of the writer's write(2),
 * and JSON.parse of half a line fails the test ("Unterminated string in JSON") for no fault of the code.
 */
export function finishedLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
}

/** finishedLines, each parsed as JSON. */
export function finishedJsonLines<T>(path: string): T[] {
  return finishedLines(path).map((l) => JSON.parse(l) as T);
}
