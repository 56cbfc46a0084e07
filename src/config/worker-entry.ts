/**
 * The config worker thread: reload's parsing off the main thread (load-worker.ts starts it for one reload
 * and ends it after). It runs the same load as loadRun, answering every config file from what the main
 * thread sent; a file it has not been sent is asked for, and the load starts again once it is (as
 * loadRunSliced does on the main thread). The same for the stat/readdir questions of fs-answers.ts: the
 * worker goes on with a guess and tells the main thread, which fetches the answers (each within the
 * timeout) and asks again only when a guess was wrong: a hung mount never holds the worker either. Bundled on its own (dist/config-worker.js, the single
 * executable's config-worker.cjs asset): nothing of it is loaded at procinit's start.
 */
import { parentPort } from 'node:worker_threads';
import { drawnAutoLogNames, keepAutoLogNames } from './auto-log-name.js';
import { loadRunSteps } from './load.js';
import { drain } from './steps.js';
import { NeedFiles, newReadAhead, withReadAhead } from './text-file.js';
import { buffersOf, encodeError, inPieces, packRun, unpackFiles, type FromWorker, type Outcome, type ToWorker } from './worker-protocol.js';

const port = parentPort;
if (port) {
  const ahead = newReadAhead();
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'files') {
      for (const [file, got] of unpackFiles(msg.files)) ahead.files.set(file, got);
      return;
    }
    for (const [key, answer] of msg.answers) ahead.answers.set(key, answer);
    ahead.missing.clear();
    keepAutoLogNames(JSON.parse(msg.autoLogNames) as Array<[string, string]>);
    const known = new Set(drawnAutoLogNames().map(([key]) => key));
    let reply: Outcome;
    try {
      const run = withReadAhead(ahead, () => drain(loadRunSteps(msg.opts)));
      reply = { kind: 'run', ...packRun(run) };
    } catch (err) {
      reply = err instanceof NeedFiles ? { kind: 'need', files: err.files } : { kind: 'error', error: encodeError(err) };
    }
    const autoLogNames = inPieces(
      drawnAutoLogNames().filter(([key]) => !known.has(key)),
      (pair) => pair,
    );
    const message: FromWorker = { ...reply, autoLogNames, guesses: [...ahead.missing] };
    port.postMessage(message, [...autoLogNames, ...(reply.kind === 'run' ? buffersOf(reply) : [])]);
  });
}
