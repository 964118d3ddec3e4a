/**
 * The internal door ECS uses into ELBv2 (not HTTP): what a service's `loadBalancers` need to
 * validate a target group, register and deregister its tasks as targets, and read their health.
 *
 * Changes go through the same {@link Committer} as RegisterTargets and DeregisterTargets: under
 * the ELBv2 lock, in one transaction (the caller's reads of ECS state happen inside it, so they
 * are consistent with what it writes), then the data plane gets the full snapshot.
 */
import type { TargetHealthReport } from '../../lb/config.js';
import { hostInstanceId } from './addresses.js';
import type { Elbv2Deps } from './deps.js';
import { Records } from './records.js';
import { MAX_TARGETS } from './targets.js';

/** What ECS needs to know of a target group. */
export interface EcsTargetGroup {
  arn: string;
  name: string;
  targetType: 'instance' | 'ip';
  port: number;
  /** The load balancers whose listeners or rules forward to it (ECS refuses a group with none). */
  loadBalancerArns: string[];
}

/** The edits a change may make, inside the ELBv2 transaction. */
export interface EcsTargetEdit {
  targetGroup(arn: string): EcsTargetGroup | undefined;
  /** Registers `id:port`; false when the group is gone or full (nothing is registered then). */
  register(targetGroupArn: string, id: string, port: number): boolean;
  /** Deregisters `id:port` (the data plane drains it); false when it was not registered. */
  deregister(targetGroupArn: string, id: string, port: number): boolean;
}

/** Registers ECS tasks as targets and reports their health. */
export class EcsTargetRegistry {
  private readonly records: Records;
  /** Berth's host as an EC2 instance id: the id of every `instance` target. */
  readonly instanceId: string;

  constructor(private readonly deps: Elbv2Deps) {
    this.records = new Records(deps.store);
    this.instanceId = hostInstanceId(deps.scope.accountId);
  }

  /** The target group `arn`, as ECS validates it; undefined when it does not exist. */
  targetGroup(arn: string): EcsTargetGroup | undefined {
    const tg = this.records.targetGroup(arn);
    if (!tg) return undefined;
    return { arn: tg.arn, name: tg.name, targetType: tg.targetType, port: tg.port, loadBalancerArns: this.records.loadBalancersOfTargetGroup(tg.arn) };
  }

  /** Runs `fn` under the ELBv2 lock in one transaction, then hands the data plane the new snapshot. */
  change<T>(fn: (edit: EcsTargetEdit) => T): Promise<T> {
    const records = this.records;
    const registeredAt = this.deps.now().toISOString();
    const edit: EcsTargetEdit = {
      targetGroup: (arn) => this.targetGroup(arn),
      register(tgArn, id, port) {
        if (!records.targetGroup(tgArn)) return false;
        if (records.countTargets(tgArn) >= MAX_TARGETS && !records.targets(tgArn).some((t) => t.id === id && t.port === port)) return false;
        records.putTarget(tgArn, { id, port, registeredAt });
        return true;
      },
      deregister(tgArn, id, port) {
        if (!records.targets(tgArn).some((t) => t.id === id && t.port === port)) return false;
        records.deleteTarget(tgArn, id, port);
        return true;
      },
    };
    return this.deps.commit.run(() => fn(edit));
  }

  /**
   * The data plane's view of a group's targets (draining ones included), by `id:port`; undefined
   * when no data plane is attached.
   */
  health(targetGroupArn: string): Map<string, TargetHealthReport> | undefined {
    if (!this.deps.engine) return undefined;
    return new Map(this.deps.engine.targetHealth(targetGroupArn).map((r) => [`${r.id}:${r.port}`, r]));
  }
}
