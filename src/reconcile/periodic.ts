/** Waiting between the rounds of a periodic loop (retention sweeps, samplers) in a way an abort ends at once. */

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs `round` now and then every `intervalMs` until `signal` aborts. */
export async function every(intervalMs: number, signal: AbortSignal, round: () => unknown): Promise<void> {
  while (!signal.aborted) {
    await round();
    await pause(intervalMs, signal);
  }
}
