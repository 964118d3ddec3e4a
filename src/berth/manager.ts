/** Owns Berth's long-running components: starts them together and stops them together. */
import { setMaxListeners } from 'node:events';

/** A long-running component: runs until `signal` aborts, then finishes cleanly. */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
}

/** Runs every added component until the manager's signal aborts or one of them fails. */
export class Manager {
  private readonly runnables: { name: string; runnable: Runnable }[] = [];

  /** Adds a component; call before {@link start}. */
  add(name: string, runnable: Runnable): void {
    this.runnables.push({ name, runnable });
  }

  /** Starts all components; resolves when all have stopped, rejects with the first failure. */
  async start(signal: AbortSignal): Promise<void> {
    const inner = new AbortController();
    // Every component waits on this one signal (a few listeners each); a leak would still show.
    setMaxListeners(10 + 4 * this.runnables.length, inner.signal);
    const stop = () => inner.abort();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) inner.abort();
    let firstError: unknown;
    await Promise.all(
      this.runnables.map(({ name, runnable }) =>
        runnable.start(inner.signal).catch((err) => {
          firstError ??= new Error(`${name} failed: ${(err as Error).message}`, { cause: err });
          inner.abort();
        }),
      ),
    );
    signal.removeEventListener('abort', stop);
    if (firstError) throw firstError;
  }
}
