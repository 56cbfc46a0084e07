/**
 * Work as steps: a generator that yields between units of work (a file, a program, a process) can be run
 * at once (drain) or in slices on the event loop (drainSliced), so that reading or applying a config of
 * thousands of programs never holds up reaping, signals or `status` for more than about a slice.
 */
export type Steps<T> = Generator<void, T, void>;

/**
 * How long a slice may hold the event loop (ms of work, checked against a deadline after each step). At a
 * load average of 8 on 2 cores one ms of work on the loop takes about 4 ms of wall time: a status asked
 * during a reload waits for at most one slice.
 */
export const SLICE_MS = 5;

/** Run steps to their end at once. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Run steps, giving the event loop back (setImmediate) whenever sliceMs have passed. around: runs each step
 * (loadRunSliced reads config files ahead of the steps with it).
 */
export async function drainSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS, around?: (step: () => IteratorResult<void, T>) => IteratorResult<void, T>): Promise<T> {
  let since = performance.now();
  const next = (): IteratorResult<void, T> => steps.next();
  for (;;) {
    const r = around ? around(next) : next();
    if (r.done) return r.value;
    if (performance.now() - since < sliceMs) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  }
}

/**
 * For async loops: `await slice()` in each turn gives the event loop back once sliceMs have passed since it
 * last did (undefined, nothing to await, otherwise).
 */
export function slicer(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}
