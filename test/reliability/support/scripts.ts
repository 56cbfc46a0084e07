/**
 * Programs the reliability tests run under procinit, written into each test's temp folder.
 * Shell where a shell is enough; Node where a program must count exactly (lines, checksums, signals).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * orphans.sh N [wait]: creates N orphans in a burst. Each `(true &)` forks a subshell that forks a child and
 * exits at once, so the child is re-parented to the nearest reaper (PID 1 or procinit as subreaper).
 */
export const ORPHANS_SH = `#!/bin/sh
n=$1
i=0
while [ $i -lt $n ]; do (true &); i=$((i+1)); done
echo "burst of $n done"
`;

/**
 * together.sh N FIFO: N orphans that all exit at the same moment. A subshell starts N readers blocked on a
 * FIFO and exits (they become orphans of the reaper), then N newlines are written: every reader takes one
 * and exits, so N zombies appear at once.
 */
export const TOGETHER_SH = `#!/bin/sh
n=$1; fifo=$2
rm -f "$fifo"; mkfifo "$fifo"
exec 3<>"$fifo"
( i=0; while [ $i -lt $n ]; do read x <&3 & i=$((i+1)); done )
echo "orphans waiting: $n"
head -c "$n" /dev/zero | tr '\\0' '\\n' >&3
exec 3>&-
echo "released $n orphans"
`;

/**
 * usr1-counter.js OUT: counts the SIGUSR1s it receives; on SIGTERM writes the count to OUT and exits 0.
 * Prints "ready" once its handlers are in place.
 */
export const USR1_COUNTER_JS = `
const fs = require('node:fs');
let n = 0;
process.on('SIGUSR1', () => { n++; });
process.on('SIGTERM', () => { fs.writeFileSync(process.argv[2], String(n)); process.exit(0); });
setInterval(() => {}, 1000);
console.log('ready');
`;

export function writeScript(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o755 });
  return file;
}
