/**
 * `procinit connect` for real: a procinit running programs in ptys (--tty), and the client itself run in
 * a pseudo-terminal driven from here through node-pty: type, read the echo, Ctrl-C, resize, detach,
 * reattach, several clients, a client killed with SIGKILL, and the refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as nodePty from 'node-pty';
import { alive, PROCINIT_JS, testEnv } from '../helpers/procinit.js';
import { ctl, parseTable, startRun, type Run } from './control-harness.js';

const runs: Run[] = [];
const clients: Client[] = [];
async function run(files: Record<string, string>, args: string[]): Promise<Run> {
  const r = await startRun(files, args);
  runs.push(r);
  return r;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.kill('SIGKILL');
  for (const r of runs.splice(0)) await r.stop();
});

/** `procinit connect ...` in its own pseudo-terminal. */
class Client {
  output = '';
  readonly pty: nodePty.IPty;
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  private waiters: Array<() => void> = [];

  constructor(r: Run, args: string[], size = { cols: 80, rows: 24 }, argv = [process.execPath, PROCINIT_JS, 'connect', ...args, '--socket', r.sock]) {
    this.pty = nodePty.spawn(argv[0], argv.slice(1), {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: r.dir,
      env: testEnv(),
    });
    this.pty.onData((d) => {
      this.output += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((res) => this.pty.onExit((e) => res(e)));
    clients.push(this);
  }

  /** Output received from now on (for waits that must not match what came before). */
  mark(): number {
    return this.output.length;
  }

  async waitFor(pattern: RegExp | string, from = 0, timeoutMs = 20_000): Promise<void> {
    const test = (): boolean => {
      const o = this.output.slice(from);
      return typeof pattern === 'string' ? o.includes(pattern) : pattern.test(o);
    };
    const start = Date.now();
    let over = false;
    void this.exited.then(() => (over = true));
    while (!test()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${pattern}; client output:\n${JSON.stringify(this.output)}`);
      if (over && !test()) {
        await new Promise((r) => setTimeout(r, 50)); // the last bytes may still be in flight
        if (!test()) throw new Error(`client exited before ${pattern}; output:\n${JSON.stringify(this.output)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(s: string): void {
    this.pty.write(s);
  }

  kill(signal: string): void {
    try {
      process.kill(this.pty.pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function stateOf(r: Run, name: string): Promise<string[]> {
  const st = await r.ctl('status', name);
  return parseTable(st.stdout)[name];
}

const SH = { Procfile: 'repl: PS1="$ " exec sh\n' };

describe('procinit connect', () => {
  it('types into the program and reads its echo, detaches with Ctrl-b d, and the program keeps running', async () => {
    const r = await run(SH, ['--tty', 'repl', '-t', '1']);
    const c = new Client(r, ['repl']);
    c.write('echo "answer=$((6*7))"\r');
    await c.waitFor('answer=42');
    c.write('\x02d');
    expect((await c.exited).exitCode).toBe(0);
    expect(c.output).toMatch(/detached from repl\.1/);
    expect((await stateOf(r, 'repl.1'))[0]).toBe('RUNNING');

    // reattach: the last screenful is replayed, and the program still answers
    const again = new Client(r, ['repl.1']);
    await again.waitFor('answer=42');
    const m = again.mark();
    again.write('echo "second=$((5+5))"\r');
    await again.waitFor('second=10', m);
    again.write('\x02d');
    expect((await again.exited).exitCode).toBe(0);
  }, 60_000);

  it('sends Ctrl-C to the program, not to the client', async () => {
    const r = await run({ Procfile: `trap: sh -c 'trap "echo got INT" INT; echo ready; while :; do sleep 0.1; done'\n` }, ['--tty', 'trap']);
    const c = new Client(r, ['trap']);
    await c.waitFor('ready');
    c.write('\x03');
    await c.waitFor('got INT');
    expect(await Promise.race([c.exited.then(() => 'exited'), new Promise((res) => setImmediate(() => res('running')))])).toBe('running');
    c.write('\x02d');
    expect((await c.exited).exitCode).toBe(0);
    expect((await stateOf(r, 'trap.1'))[0]).toBe('RUNNING');
  }, 60_000);

  it('gives the program the client size, follows resizes, and restores the size when the last client leaves', async () => {
    const script = `trap 'echo "size $(stty size)"' WINCH; echo ready; while :; do sleep 0.1; done`;
    const r = await run({ Procfile: `win: sh -c '${script.replace(/'/g, `'\\''`)}'\n` }, ['--tty', 'win']);
    await r.w.waitFor('ready');
    const c = new Client(r, ['win'], { cols: 90, rows: 25 });
    await c.waitFor('size 25 90');
    c.pty.resize(100, 30);
    await c.waitFor('size 30 100');
    // a second client: the last one to resize decides
    const d = new Client(r, ['win'], { cols: 70, rows: 20 });
    await d.waitFor('size 20 70');
    await c.waitFor('size 20 70');
    d.write('\x02d');
    await d.exited;
    c.write('\x02d');
    await c.exited;
    await r.w.waitFor(/size 24 80/); // the size the pty had before anyone connected
    expect((await stateOf(r, 'win.1'))[0]).toBe('RUNNING');
  }, 60_000);

  it('shows one program to several clients at once', async () => {
    const r = await run(SH, ['--tty', 'repl', '-t', '1']);
    const a = new Client(r, ['repl']);
    const b = new Client(r, ['repl']);
    await a.waitFor('$ ');
    await b.waitFor('$ ');
    const mb = b.mark();
    a.write('echo "from-a-$((2*21))"\r');
    await b.waitFor('from-a-42', mb);
    a.write('\x02d');
    b.write('\x02d');
    expect((await a.exited).exitCode).toBe(0);
    expect((await b.exited).exitCode).toBe(0);
  }, 60_000);

  it('survives a client killed with SIGKILL: the program runs on and can be connected again', async () => {
    const r = await run(SH, ['--tty', 'repl', '-t', '1']);
    const pid = Number((await stateOf(r, 'repl.1'))[1]);
    const c = new Client(r, ['repl']);
    c.write('echo "before=$((1+1))"\r');
    await c.waitFor('before=2');
    c.kill('SIGKILL');
    await c.exited;
    expect(alive(pid)).toBe(true);
    expect(await stateOf(r, 'repl.1')).toEqual(expect.arrayContaining(['RUNNING', String(pid)]));
    const again = new Client(r, ['repl']);
    await again.waitFor('before=2');
    const m = again.mark();
    again.write('echo "after=$((3+3))"\r');
    await again.waitFor('after=6', m);
    again.write('\x02d');
    expect((await again.exited).exitCode).toBe(0);
  }, 60_000);

  it('connects to a program without a terminal: says so, streams its output, typed lines go to its stdin', async () => {
    const r = await run({ Procfile: 'echoer: echo started; while read l; do echo "got $l"; done\n' }, []);
    await r.w.waitFor('started');
    const c = new Client(r, ['echoer']);
    await c.waitFor(/has no terminal.*typed lines go to its stdin/);
    await c.waitFor('started'); // the replayed lines
    c.write('hello\r');
    await c.waitFor('got hello');
    c.write('\x02d');
    expect((await c.exited).exitCode).toBe(0);
    expect((await stateOf(r, 'echoer.1'))[0]).toBe('RUNNING');
  }, 60_000);

  it('restores the terminal on detach, on SIGTERM, and when the program ends', async () => {
    const r = await run(SH, ['--tty', 'repl', '-t', '1']);
    // the client inside a shell that shows the terminal's mode before and after it
    const mode = `stty -a | grep -o -- '-\\?icanon'`;
    const script = `echo "shpid=$$"; ${mode} | sed 's/^/before:/'; "${process.execPath}" "${PROCINIT_JS}" connect repl --socket "${r.sock}"; echo "rc=$?"; ${mode} | sed 's/^/after:/'`;
    const viaShell = (): Client => new Client(r, [], undefined, ['/bin/sh', '-c', script]);
    const clientPid = (sh: Client): number => {
      const shpid = /shpid=(\d+)/.exec(sh.output)![1];
      return Number(require('node:fs').readFileSync(`/proc/${shpid}/task/${shpid}/children`, 'utf8').trim().split(/\s+/)[0]);
    };

    const detach = viaShell();
    await detach.waitFor('$ ');
    detach.write('\x02d');
    await detach.waitFor('after:');
    expect(detach.output).toMatch(/before:icanon/);
    expect(detach.output).toMatch(/rc=0/);
    expect(detach.output).toMatch(/after:icanon/);

    const term = viaShell();
    await term.waitFor('$ ');
    process.kill(clientPid(term), 'SIGTERM');
    await term.waitFor('after:');
    expect(term.output).toMatch(/rc=143/);
    expect(term.output).toMatch(/after:icanon/);

    const ends = viaShell();
    await ends.waitFor('$ ');
    ends.write('exit\r');
    await ends.waitFor('after:');
    expect(ends.output).toMatch(/\[repl\.1 exited\]|shutting down/);
    expect(ends.output).toMatch(/rc=0/);
    expect(ends.output).toMatch(/after:icanon/);
  }, 60_000);

  it('refuses an unknown name (exit 4), a stopped process (exit 1), and a client without a TTY (exit 2)', async () => {
    const r = await run({ Procfile: 'repl: exec sh\nidle: exec sleep 100\n' }, ['--tty', 'repl', '-t', '1']);
    const unknown = new Client(r, ['nope']);
    expect((await unknown.exited).exitCode).toBe(4);
    expect(unknown.output.trim().split('\n')).toHaveLength(1);
    expect(unknown.output).toMatch(/no such process 'nope'/);

    expect((await r.ctl('stop', 'idle')).code).toBe(0);
    const stopped = new Client(r, ['idle']);
    expect((await stopped.exited).exitCode).toBe(1);
    expect(stopped.output).toMatch(/idle\.1 is not running/);

    const noTty = await r.ctl('connect', 'repl');
    expect(noTty.code).toBe(2);
    expect(noTty.stderr.trim().split('\n')).toEqual(['procinit: connect needs a terminal: stdin is not a TTY']);
    expect(noTty.stdout).toBe('');
    await ctl(['status', '--socket', r.sock]);
  }, 60_000);
});
