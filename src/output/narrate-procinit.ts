/** procinit's own words for what happens to a process (Procfiles, fly.toml, manifests). */
import { describeExit } from '../supervisor/exit-info.js';
import type { Narrator } from '../supervisor/happening.js';

export const narrateProcinit: Narrator = (name, h, command) => {
  switch (h.kind) {
    case 'spawned':
      return { level: 'info', msg: `${name} started (pid ${h.pid}): ${command.text}` };
    case 'running':
      return h.startsecs <= 0 ? null : { level: 'info', msg: `${name} is running (pid ${h.pid})` };
    case 'start-failed':
      return { level: 'warn', msg: `${name} ${describeExit(h.info)} while starting (attempt ${h.attempt})` };
    case 'gave-up':
      return { level: 'error', msg: `${name} entered FATAL: gave up after ${h.attempts} attempts` };
    case 'exited':
      return { level: h.expected ? 'info' : 'warn', msg: `${name} ${describeExit(h.info)}${h.willRestart ? ', restarting' : ''}` };
    case 'stopping':
      return { level: 'info', msg: `${name} stopping (SIG${h.signal} to ${h.group ? 'process group ' : 'pid '}${h.pid})` };
    case 'pipe-closed':
    case 'stop-in-backoff':
    case 'signalled': // `procinit signal` says what it did to its client
    case 'still-stopping':
      return null; // procinit's own log says when the grace runs out (killing), not every 2 s
    case 'killing':
      return { level: 'warn', msg: `${name} did not stop within ${h.stopwaitsecs}s: SIGKILL` };
    case 'stopped':
      return { level: h.killed ? 'warn' : 'info', msg: `${name} stopped (${describeExit(h.info)}${h.killed ? ', after SIGKILL' : ''})` };
  }
};
