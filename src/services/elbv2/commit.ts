/**
 * How ELBv2 state changes are made: one at a time (a lock), each in its own transaction, and
 * after each commit the data plane is handed a fresh snapshot of everything (and the hosts file,
 * when Berth keeps one, is brought up to date).
 *
 * A change that opens sockets (a new listener, a listener's port) must not commit if the
 * listener cannot bind. For those, {@link Committer.runBinding} runs the change in a transaction
 * that is rolled back, builds the snapshot it would produce, applies it, and only when the new
 * listener bound runs the change again for real; otherwise it puts the engine back on the
 * committed snapshot and answers the error. The change must therefore be deterministic (ids and
 * times are chosen before it runs), which the lock guarantees for the state it reads.
 */
import type { ListenerBindError, LoadBalancerEngine, LbSnapshot } from '../../lb/config.js';
import type { Store } from '../../state/index.js';
import type { HostsFile } from './hosts-file.js';
import { Records } from './records.js';
import { buildSnapshot } from './snapshot.js';

const DRY_RUN = Symbol('dry run');

/** Options for {@link Committer}. */
export interface CommitterOptions {
  store: Store;
  engine?: LoadBalancerEngine;
  hosts?: HostsFile;
  log?: (line: string) => void;
}

/** Serializes ELBv2 state changes and programs the data plane after each. */
export class Committer {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly records: Records;

  constructor(private readonly opts: CommitterOptions) {
    this.records = new Records(opts.store);
  }

  /** Runs `fn` after every change queued before it. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Commits `change`, then programs the data plane. */
  run<T>(change: () => T): Promise<T> {
    return this.locked(async () => {
      const result = this.opts.store.transaction(change);
      await this.publish();
      return result;
    });
  }

  /**
   * Commits `change` only if the data plane can serve its result: `refuse` looks at the bind
   * errors of the would-be snapshot and returns the error to answer, or undefined to go on.
   */
  runBinding<T>(change: () => T, refuse: (result: T, errors: ListenerBindError[]) => Error | undefined): Promise<T> {
    return this.locked(async () => {
      const engine = this.opts.engine;
      if (!engine) {
        const result = this.opts.store.transaction(change);
        await this.publish();
        return result;
      }
      let trial!: { result: T; snapshot: LbSnapshot };
      try {
        this.opts.store.transaction(() => {
          trial = { result: change(), snapshot: buildSnapshot(this.records) };
          throw DRY_RUN;
        });
      } catch (err) {
        if (err !== DRY_RUN) throw err;
      }
      const errors = await engine.apply(trial.snapshot);
      const refusal = refuse(trial.result, errors);
      if (refusal) {
        await this.publish();
        throw refusal;
      }
      const result = this.opts.store.transaction(change);
      await this.publish();
      return result;
    });
  }

  /**
   * Hands the data plane the committed state; returns listeners that did not bind. A failure
   * here is logged, not thrown: the change it follows has committed and is answered as done.
   */
  private async publish(): Promise<ListenerBindError[]> {
    const snapshot = this.opts.store.db.transaction(() => buildSnapshot(this.records))();
    this.syncHosts(snapshot);
    if (!this.opts.engine) return [];
    let errors: ListenerBindError[];
    try {
      errors = await this.opts.engine.apply(snapshot);
    } catch (err) {
      this.opts.log?.(`elbv2: the load balancer data plane did not take the new configuration: ${(err as Error).message}`);
      return [];
    }
    for (const e of errors) this.opts.log?.(`elbv2: listener ${e.listenerArn} could not listen on ${e.address}:${e.port}: ${e.code} ${e.message}`);
    return errors;
  }

  private syncHosts(snapshot: LbSnapshot): void {
    if (!this.opts.hosts) return;
    const names = new Map(this.records.loadBalancers().map((lb) => [lb.arn, lb.dnsName]));
    try {
      this.opts.hosts.write(snapshot.loadBalancers.map((lb) => ({ address: lb.address, name: names.get(lb.arn)! })));
    } catch (err) {
      this.opts.log?.(`elbv2: could not update the hosts file ${this.opts.hosts.file}: ${(err as Error).message}`);
    }
  }

  /** Hands the data plane the committed state, in turn with queued changes (at start-up). */
  resync(): Promise<ListenerBindError[]> {
    return this.locked(() => this.publish());
  }

  /** Waits for queued changes, removes Berth's entries from the hosts file and closes the data plane. */
  async close(): Promise<void> {
    await this.locked(async () => {
      await this.opts.engine?.close();
      try {
        this.opts.hosts?.write([]);
      } catch (err) {
        this.opts.log?.(`elbv2: could not clean the hosts file ${this.opts.hosts?.file}: ${(err as Error).message}`);
      }
    });
  }
}
