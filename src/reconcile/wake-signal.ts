/**
 * How a reconcile loop waits between rounds: until a poll interval passes, its signal aborts, or
 * someone wakes it (a change was committed). Level-based: a wake only shortens the wait; the
 * loop always re-reads state, so a wake lost or doubled changes nothing.
 */
export class WakeSignal {
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly pollMs: number) {}

  /** Ends the current (or next) wait soon, after the caller's transaction has committed. */
  wake(): void {
    setImmediate(() => {
      this.woken = true;
      this.wakeUp?.();
    });
  }

  /** Resolves after the poll interval, on a wake, or when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}
