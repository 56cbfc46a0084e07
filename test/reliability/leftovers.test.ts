/**
 * procinit never leaves a process of its run behind, also when it is not PID 1 (a child subreaper, as in a
 * terminal or under another init), where no kernel cleans up after it. Each program writes `$$` and the pids
 * of what it started to a file: children in its process group, orphans, and daemons that left the group
 * with setsid. Once procinit has exited, none of them may be alive. (As PID 1 the kernel kills whatever is
 * left in the namespace when procinit exits; pid1-acceptance.test.ts checks procinit waits for its programs.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, fixtureDir, startProcinit, startWatched, procinitArgv, until, type Watched } from '../helpers/procinit.js';

/** Writes its own pid and every pid it starts to ./pids; `ready` once all are running. */
const SPAWNER = [
  'echo $$ >> pids',
  'sleep 300 & echo $! >> pids', // in the program's group
  '(sleep 301 & echo $! >> pids)', // an orphan, still in the group
  'setsid sleep 302 & echo $! >> pids', // a child that left the group
  '(setsid sleep 303 & echo $! >> pids)', // an orphan that left the group
  "setsid sh -c 'sleep 304 & echo $! >> pids; wait' & echo $! >> pids", // a new group with a member of its own
].join('; ');

const started: number[] = [];

/**
 * procinit's own exit (not the close of its output pipes, which a survivor in tini mode would hold open).
 */
function exitCode(w: Watched, timeoutMs = 30_000): Promise<number | null> {
  const child = w.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`procinit did not exit within ${timeoutMs} ms:\n${w.output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function readPids(dir: string): number[] {
  const pids = readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
  started.push(...pids);
  return pids;
}

async function expectAllGone(pids: number[]): Promise<void> {
  // procinit has exited: what it killed must be gone now; allow the kernel a moment to finish the kills
  await until(() => pids.every((p) => !alive(p)), 2_000, 'every process of the run gone').catch(() => {});
  expect(pids.filter(alive), `still alive after procinit exited (of ${pids.join(' ')})`).toEqual([]);
}

afterEach(() => {
  for (const p of started.splice(0)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
});

describe('nothing of the run survives procinit (not PID 1)', () => {
  it('Procfile mode, stopped by SIGTERM', async () => {
    const dir = fixtureDir({ Procfile: `web: ${SPAWNER}; echo ready; wait\nworker: echo ready; exec sleep 300\n` });
    const p = startProcinit(['--socket', join(dir, 'sock')], { cwd: dir });
    await p.waitFor(/web\.1 +\| ready/);
    await until(() => readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').length === 7, 5_000, '7 pids');
    const pids = readPids(dir);
    expect(pids.filter(alive)).toEqual(pids);
    p.kill('SIGTERM');
    expect(await exitCode(p)).toBe(0);
    await expectAllGone(pids);
    expect(p.output).toMatch(/killed 3 leftover process\(es\) that had left their process group/);
  });

  it('Procfile mode, the run ending because a program exited', async () => {
    const dir = fixtureDir({ Procfile: `web: exec sleep 300\njob: ${SPAWNER}; echo ready; sleep 0.5; exit 4\n` });
    const p = startProcinit(['--socket', join(dir, 'sock')], { cwd: dir });
    await p.waitFor(/job\.1 +\| ready/);
    expect(await exitCode(p)).toBe(4);
    await expectAllGone(readPids(dir));
  });

  it('tini mode, the child exiting by itself', async () => {
    const dir = fixtureDir({});
    const [node, script] = procinitArgv();
    const p = startWatched(node, [script, '--', 'sh', '-c', `${SPAWNER}; echo ready; sleep 0.5; exit 5`], { cwd: dir });
    expect(await exitCode(p)).toBe(5);
    await expectAllGone(readPids(dir));
  });

  it('tini mode, stopped by SIGTERM', async () => {
    const dir = fixtureDir({});
    const [node, script] = procinitArgv();
    const p = startWatched(node, [script, '--', 'sh', '-c', `${SPAWNER}; echo ready; wait`], { cwd: dir });
    await p.waitFor('ready');
    await until(() => readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').length === 7, 5_000, '7 pids');
    const pids = readPids(dir);
    p.kill('SIGTERM');
    expect(await exitCode(p)).toBe(143);
    await expectAllGone(pids);
  });
});
