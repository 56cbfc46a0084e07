/**
 * supervisord's words and levels for what happens to a process (supervisor/process.py, 4.2), so that what
 * reads supervisord's log (people, log alerts, scripts) reads procinit's the same:
 *   spawned: 'web' with pid 12
 *   success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)
 *   exited: web (exit status 1; not expected)
 *   gave up: web entered FATAL state, too many start retries too quickly
 *   stopped: web (terminated by SIGTERM)
 */
import type { ExitInfo } from '../supervisor/exit-info.js';
import type { NarratedLine, Narrator } from '../supervisor/happening.js';

/** What supervisord logs at debug after it reaped a child (its SIGCHLD handling). */
const CHILD_QUIT: NarratedLine = { level: 'debug', msg: 'received SIGCHLD indicating a child quit' };

/** supervisord's decode_wait_status message: `exit status 1`, `terminated by SIGTERM`. */
export function waitStatusText(info: ExitInfo): string {
  if (info.signal !== null) return `terminated by SIG${info.signal}`;
  if (info.code !== null) return `exit status ${info.code}`;
  return 'unknown termination cause';
}

/** supervisord's spawnerr for a command that could not be started, from procinit's error text. */
function spawnError(error: string, argv0: string | null): string {
  const cmd = argv0 ?? '?';
  if (/not found|no such file/i.test(error)) return `can't find command '${cmd}'`;
  if (/not executable|permission denied/i.test(error)) return `command at '${cmd}' is not executable`;
  return error;
}

/** Python's repr of a str, as supervisord's `%r` prints a process name. */
function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const narrateSupervisord: Narrator = (name, h, command) => {
  switch (h.kind) {
    case 'spawned':
      return { level: 'info', msg: `spawned: ${pyRepr(name)} with pid ${h.pid}` };
    case 'running':
      return { level: 'info', msg: `success: ${name} entered RUNNING state, process has stayed up for > than ${h.startsecs} seconds (startsecs)` };
    case 'start-failed':
      if (h.info.error !== null) return { level: 'info', msg: `spawnerr: ${spawnError(h.info.error, command.argv0)}` };
      return [{ level: 'warn', msg: `exited: ${name} (${waitStatusText(h.info)}; not expected)` }, CHILD_QUIT];
    case 'gave-up':
      return { level: 'info', msg: `gave up: ${name} entered FATAL state, too many start retries too quickly` };
    case 'exited':
      return [{ level: h.expected ? 'info' : 'warn', msg: `exited: ${name} (${waitStatusText(h.info)}; ${h.expected ? 'expected' : 'not expected'})` }, CHILD_QUIT];
    case 'stopping': {
      const killing: NarratedLine = { level: 'debug', msg: `killing ${name} (pid ${h.pid}) ${h.group ? 'process group ' : ''}with signal SIG${h.signal}` };
      // supervisorctl stop (XML-RPC stopProcess) reports the wait; a shutdown says `waiting for x to die` instead
      return h.administrative ? [killing, { level: 'info', msg: `waiting for ${name} to stop` }] : killing;
    }
    case 'pipe-closed': {
      // supervisord's dispatcher repr; its `at N` are Python object ids, here numbers of the same shape
      const kind = h.listener && h.channel === 'stdout' ? 'PEventListenerDispatcher' : 'POutputDispatcher';
      return { level: 'debug', msg: `fd ${h.fd} closed, stopped monitoring <${kind} at ${h.dispatcherId} for <Subprocess at ${h.processId} with name ${name} in state ${h.state}> (${h.channel})>` };
    }
    case 'stop-in-backoff':
      return { level: 'debug', msg: `Attempted to kill ${name}, which is in BACKOFF state.` };
    case 'signalled':
      return { level: 'debug', msg: `sending ${name} (pid ${h.pid}) sig SIG${h.signal}` };
    case 'still-stopping':
      return { level: 'info', msg: `waiting for ${name} to stop` };
    case 'killing':
      return { level: 'warn', msg: `killing ${pyRepr(name)} (${h.pid}) with SIGKILL` };
    case 'stopped':
      return [{ level: h.expected ? 'info' : 'warn', msg: `stopped: ${name} (${waitStatusText(h.info)})` }, CHILD_QUIT];
  }
};
