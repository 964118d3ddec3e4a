/**
 * Elastic Load Balancing v2: the control plane of Application Load Balancers (load balancers,
 * target groups and targets, listeners and rules, attributes, tags). After each committed change
 * it hands the data plane (lb/) a complete snapshot; see README.md.
 */
import type { ServiceDefinition } from '../../api/index.js';
import type { Runnable } from '../../berth/manager.js';
import type { LoadBalancerEngine } from '../../lb/config.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';
import { Committer } from './commit.js';
import type { Elbv2Deps } from './deps.js';
import { validationError } from './errors.js';
import { HostsFile } from './hosts-file.js';
import { limitOperations } from './limits.js';
import { listenerOperations } from './listeners.js';
import { loadBalancerOperations } from './load-balancers.js';
import { Records } from './records.js';
import { ruleOperations } from './rules.js';
import { buildSnapshot } from './snapshot.js';
import { targetGroupOperations } from './target-groups.js';
import { targetOperations } from './targets.js';
import { tagOperations } from './tags.js';
import { elbv2Migrations } from './schema.js';
import { EcsTargetRegistry } from './ecs-targets.js';
import { ListenerWeights } from './listener-weights.js';

export type { Elbv2Deps } from './deps.js';
export { elbv2Migrations } from './schema.js';
export { hostInstanceId } from './addresses.js';
export { HostsFile } from './hosts-file.js';
export { EcsTargetRegistry, type EcsTargetEdit, type EcsTargetGroup } from './ecs-targets.js';
export { REASON_DESCRIPTIONS } from './targets.js';
export { ListenerWeights, type ForwardWeight } from './listener-weights.js';

/** Options for {@link createElbv2}. */
export interface Elbv2Options {
  store: Store;
  scope: ArnScope;
  /** The data plane to program; without one, Berth keeps the configuration only (no sockets). */
  engine?: LoadBalancerEngine;
  /** A hosts file in which to keep a block mapping each load balancer's DNSName to its address (off when absent). */
  hostsFile?: string;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  log?: (line: string) => void;
}

/** The ELBv2 service and the component that programs the data plane while Berth runs. */
export interface Elbv2 {
  service: ServiceDefinition;
  /**
   * On start, hands the data plane the stored configuration (listeners re-bind after a
   * restart); on stop, closes the data plane (which it owns from then on) and removes Berth's
   * hosts-file block.
   */
  runnable: Runnable;
  /** ECS services' door into ELBv2: target group lookups, task registration, target health (ecs-targets.ts). */
  ecsTargets: EcsTargetRegistry;
  /** CodeDeploy's door: weights of a listener's forwards between a blue/green pair (listener-weights.ts). */
  listenerWeights: ListenerWeights;
}

/** Migrates the ELBv2 tables and builds the ELBv2 service. */
export function createElbv2(opts: Elbv2Options): Elbv2 {
  opts.store.migrate('elbv2', elbv2Migrations);
  const hosts = opts.hostsFile ? new HostsFile(opts.hostsFile, opts.scope.accountId) : undefined;
  const commit = new Committer({ store: opts.store, engine: opts.engine, hosts, log: opts.log });
  const deps: Elbv2Deps = { store: opts.store, tags: new TagStore(opts.store), scope: opts.scope, now: opts.now ?? (() => new Date()), commit, engine: opts.engine };
  const service: ServiceDefinition = {
    model: loadServiceModel('elbv2'),
    operations: {
      ...loadBalancerOperations(deps),
      ...targetGroupOperations(deps),
      ...targetOperations(deps),
      ...listenerOperations(deps),
      ...ruleOperations(deps),
      ...tagOperations(deps),
      ...limitOperations(),
    },
    validationError,
    isReadOnly: (operation) => operation.startsWith('Describe') || operation.startsWith('Get'),
    unsupportedCode: 'UnsupportedOperation',
  };
  const runnable: Runnable = {
    async start(signal: AbortSignal) {
      await commit.resync();
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await commit.close();
    },
  };
  return { service, runnable, ecsTargets: new EcsTargetRegistry(deps), listenerWeights: new ListenerWeights(deps) };
}

/** The data plane snapshot of the stored ELBv2 configuration. */
export function elbv2Snapshot(store: Store) {
  return store.db.transaction(() => buildSnapshot(new Records(store)))();
}
