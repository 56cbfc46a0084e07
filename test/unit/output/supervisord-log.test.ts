/** procinit's log in supervisord's format, and supervisord's words for what happens to a process. */
import { describe, expect, it } from 'vitest';
import { createSupervisordLogger, outputEchoLine, pyBytesRepr, supervisordTime } from '../../../src/output/supervisord-log.js';
import { narrateSupervisord } from '../../../src/output/narrate-supervisord.js';
import { narrateProcinit } from '../../../src/output/narrate-procinit.js';
import type { Happening } from '../../../src/supervisor/happening.js';

const at = Date.UTC(2026, 11, 6, 17, 0, 0, 123);

describe('supervisord log format', () => {
  it("writes `YYYY-MM-DD HH:MM:SS,mmm LEVL message` to stdout and the file, filtered by loglevel", () => {
    const out: string[] = [];
    const file: string[] = [];
    const log = createSupervisordLogger({ level: 'info', stdout: { raw: (b) => out.push(b.toString()) }, file: { write: (b) => file.push(b.toString()) }, now: () => at });
    log.critical('c');
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.blather('b');
    const time = supervisordTime(at);
    expect(time).toMatch(/^2026-12-0\d \d\d:00:00,123$/);
    expect(out).toEqual([`${time} CRIT c\n`, `${time} ERRO e\n`, `${time} WARN w\n`, `${time} INFO i\n`]);
    expect(file).toEqual(out);
    expect(log.enabled('debug')).toBe(false);
  });

  it('silent: the file only; debug and blather by level', () => {
    const file: string[] = [];
    const log = createSupervisordLogger({ level: 'blather', stdout: null, file: { write: (b) => file.push(b.toString()) }, now: () => at });
    log.debug('d');
    log.blather('b');
    expect(file.map((l) => l.split(' ').slice(2).join(' '))).toEqual(['DEBG d\n', 'BLAT b\n']);
  });

  it("echoes output as supervisord does at debug, `Undecodable: b'…'` for bytes that are not UTF-8", () => {
    expect(outputEchoLine('web', 'stdout', Buffer.from('héllo\n'))).toBe("'web' stdout output:\nhéllo\n");
    expect(outputEchoLine('produce-unicode-error', 'stdout', Buffer.from([0x88, 0x0a]))).toBe("'produce-unicode-error' stdout output:\nUndecodable: b'\\x88\\n'");
    expect(pyBytesRepr(Buffer.from("it's\t\\\x00"))).toBe('b"it\'s\\t\\\\\\x00"');
    expect(pyBytesRepr(Buffer.from('a\'"b'))).toBe("b'a\\'\"b'");
  });
});

describe("supervisord's words (process.py)", () => {
  const words = (h: Happening, argv0: string | null = null): string[] => {
    const r = narrateSupervisord('web', h, { text: 'cmd', argv0 });
    return (r === null ? [] : Array.isArray(r) ? r : [r]).map((l) => `${l.level} ${l.msg}`);
  };
  const exit = (code: number | null, signal: string | null = null, error: string | null = null) => ({ code, signal, error, at: 0 });

  it('names every step as supervisord does, at its level', () => {
    expect(words({ kind: 'spawned', pid: 12 })).toEqual(["info spawned: 'web' with pid 12"]);
    expect(words({ kind: 'running', pid: 12, startsecs: 1 })).toEqual(['info success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)']);
    expect(words({ kind: 'start-failed', info: exit(1), attempt: 1 })).toEqual(['warn exited: web (exit status 1; not expected)', 'debug received SIGCHLD indicating a child quit']);
    expect(words({ kind: 'start-failed', info: exit(null, null, "cannot run '/x': no such file"), attempt: 1 }, '/x')).toEqual(["info spawnerr: can't find command '/x'"]);
    expect(words({ kind: 'gave-up', attempts: 4 })).toEqual(['info gave up: web entered FATAL state, too many start retries too quickly']);
    expect(words({ kind: 'exited', info: exit(0), expected: true, willRestart: false })[0]).toBe('info exited: web (exit status 0; expected)');
    expect(words({ kind: 'exited', info: exit(null, 'KILL'), expected: false, willRestart: true })[0]).toBe('warn exited: web (terminated by SIGKILL; not expected)');
    expect(words({ kind: 'stopping', pid: 12, signal: 'TERM', group: true })).toEqual(['debug killing web (pid 12) process group with signal SIGTERM']);
    expect(words({ kind: 'stopping', pid: 12, signal: 'TERM', group: false, administrative: true })).toEqual(['debug killing web (pid 12) with signal SIGTERM', 'info waiting for web to stop']);
    expect(words({ kind: 'killing', pid: 12, group: false, stopwaitsecs: 10 })).toEqual(["warn killing 'web' (12) with SIGKILL"]);
    expect(words({ kind: 'stopped', info: exit(null, 'TERM'), expected: false, killed: false })[0]).toBe('warn stopped: web (terminated by SIGTERM)');
    expect(words({ kind: 'stopped', info: exit(0), expected: true, killed: false })[0]).toBe('info stopped: web (exit status 0)');
    expect(words({ kind: 'still-stopping' })).toEqual(['info waiting for web to stop']);
    expect(words({ kind: 'signalled', pid: 12, signal: 'HUP' })).toEqual(['debug sending web (pid 12) sig SIGHUP']);
    expect(words({ kind: 'stop-in-backoff' })).toEqual(['debug Attempted to kill web, which is in BACKOFF state.']);
    expect(words({ kind: 'pipe-closed', fd: 9, channel: 'stdout', listener: false, state: 'STOPPING', dispatcherId: 140001, processId: 140002 })).toEqual([
      'debug fd 9 closed, stopped monitoring <POutputDispatcher at 140001 for <Subprocess at 140002 with name web in state STOPPING> (stdout)>',
    ]);
    expect(words({ kind: 'pipe-closed', fd: 6, channel: 'stdout', listener: true, state: 'STOPPING', dispatcherId: 1, processId: 2 })[0]).toMatch(/^debug fd 6 closed, stopped monitoring <PEventListenerDispatcher at 1 /);
  });

  it("procinit's own words stay for Procfiles", () => {
    expect(narrateProcinit('web.1', { kind: 'spawned', pid: 3 }, { text: 'ruby app.rb', argv0: null })).toEqual({ level: 'info', msg: 'web.1 started (pid 3): ruby app.rb' });
    expect(narrateProcinit('web.1', { kind: 'running', pid: 3, startsecs: 0 }, { text: '', argv0: null })).toBeNull();
  });
});
