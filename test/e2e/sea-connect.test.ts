/** `procinit connect` from the single executable: node-pty's addon loaded from the SEA's assets on both ends. */
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir, startWatched, testEnv, tempDir } from '../helpers/procinit.js';
import { ensureSeaBinary } from '../helpers/sea-binary.js';
import { join } from 'node:path';

let binary = '';
beforeAll(() => {
  binary = ensureSeaBinary();
}, 240_000);

describe('single executable: connect', () => {
  it('attaches to a terminal program, runs a command, detaches with Ctrl-b d', async () => {
    const socket = join(tempDir(), 'ctl.sock');
    const dir = fixtureDir({ Procfile: 'repl: sh\n' });
    const sup = startWatched(binary, ['--tty', 'repl', '-t', '1'], { cwd: dir, env: { PROCINIT_SOCKET: socket } });
    await sup.waitFor('repl.1 started');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pty = require('node-pty') as typeof import('node-pty');
    const client = pty.spawn(binary, ['connect', 'repl'], { env: testEnv({ PROCINIT_SOCKET: socket, TERM: 'xterm' }), cols: 80, rows: 24 });
    let screen = '';
    const exited = new Promise<number>((resolve) => client.onExit((e) => resolve(e.exitCode)));
    const sawAnswer = new Promise<void>((resolve) =>
      client.onData((d) => {
        screen += d;
        if (screen.includes('answer-42')) resolve();
      }),
    );
    const typed = setInterval(() => client.write('echo answer-$((40+2))\r'), 500);
    await sawAnswer;
    clearInterval(typed);
    client.write('\x02d');
    expect(await exited).toBe(0);
    sup.kill('SIGTERM');
    await sup.exit();
    expect(sup.output).toMatch(/repl\.1 +\| .*answer-42/);
  });
});
