/**
 * How a reconcile loop waits between rounds: until a poll interval passes, its signal aborts, or
 * someone wakes it (a change was committed). Level-based: a wake only shortens the wait; the
 * loop always re-reads state, so a wake lost or doubled changes nothing.
 *
 * A wake may name what changed (a key, e.g. a service): the round after it may then look at just
 * the named keys. A wake without a key, and the poll interval passing, ask for everything.
 */
export class WakeSignal {
  private wakeUp: (() => void) | undefined;
  private woken = false;
  /** Everything is asked for (a wake without a key, or the poll interval). */
  private all = false;
  private keys = new Set<string>();

  constructor(private readonly pollMs: number) {}

  /** Ends the current (or next) wait soon, after the caller's transaction has committed; `key` names what changed. */
  wake(key?: string): void {
    // What to look at is noted now, so the wakes of one turn of the event loop end one wait together.
    if (key === undefined) this.all = true;
    else this.keys.add(key);
    setImmediate(() => {
      this.woken = true;
      this.wakeUp?.();
    });
  }

  /**
   * Resolves after the poll interval, on a wake, or when `signal` aborts, with what to look at:
   * `all` (the poll interval passed, or a wake named nothing) or the keys woken since the last wait.
   */
  wait(signal: AbortSignal): Promise<WakeReason> {
    if (this.woken) return Promise.resolve(this.take(false));
    return new Promise((resolve) => {
      const done = (polled: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wakeUp = undefined;
        resolve(this.take(polled));
      };
      const onAbort = () => done(true);
      const timer = setTimeout(() => done(true), this.pollMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wakeUp = () => done(false);
    });
  }

  private take(polled: boolean): WakeReason {
    const reason: WakeReason = { all: polled || this.all, keys: this.keys };
    this.woken = false;
    this.all = false;
    this.keys = new Set();
    return reason;
  }
}

/** What a loop is asked to look at after a wait. */
export interface WakeReason {
  /** Everything: the poll interval passed, or a wake named nothing. */
  all: boolean;
  /** The keys woken (meaningful when `all` is false). */
  keys: ReadonlySet<string>;
}
