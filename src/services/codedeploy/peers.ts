/**
 * CodeDeploy's read-only view of ECS services and ELBv2 target groups and listeners, from the
 * same store and inside the caller's transaction (so a deployment group is checked against
 * what is committed at that moment).
 */
import type { Store } from '../../state/index.js';
import { findCluster, findService, taskSetCounts, type EcsDeps } from '../ecs/index.js';
import { elbv2Snapshot } from '../elbv2/index.js';
import type { ArnScope } from './arns.js';
import type { CodeDeployPeers } from './deps.js';

/** Peers over `store`, in the ECS and ELBv2 of `scope`. */
export function storePeers(store: Store, scope: ArnScope): CodeDeployPeers {
  // Only the lookups' fields are needed; ECS's finders read nothing else of its deps.
  const ecs = { store, scope } as unknown as EcsDeps;
  // The service in an ACTIVE cluster (any status of its own).
  const activeService = (clusterName: string, serviceName: string) => {
    const cluster = findCluster(ecs, clusterName);
    if (!cluster || cluster.status !== 'ACTIVE') return undefined;
    return findService(ecs, cluster, serviceName);
  };
  return {
    ecsService(clusterName, serviceName) {
      const s = activeService(clusterName, serviceName);
      if (!s) return undefined;
      return {
        arn: s.arn,
        status: s.status,
        deploymentControllerType: s.deploymentController.type,
        targetGroupArns: s.loadBalancers.map((lb) => lb.targetGroupArn).filter((a): a is string => !!a),
      };
    },
    // ELBv2's snapshot is its public read of the whole configuration; deployment groups change rarely.
    targetGroupByName(name) {
      const tg = elbv2Snapshot(store).targetGroups.find((t) => t.name === name);
      return tg && { arn: tg.arn, name: tg.name };
    },
    listener(arn) {
      for (const lb of elbv2Snapshot(store).loadBalancers) {
        if (lb.listeners.some((l) => l.arn === arn)) return { arn, loadBalancerArn: lb.arn };
      }
      return undefined;
    },
    ecsPrimaryTaskSet(clusterName, serviceName) {
      const s = activeService(clusterName, serviceName);
      const t = s?.taskSets.find((x) => x.status === 'PRIMARY');
      if (!t) return undefined;
      return { id: t.id, taskSetArn: t.taskSetArn, taskDefinition: t.taskDefinition, targetGroupArns: t.loadBalancers.map((lb) => lb.targetGroupArn).filter((a): a is string => !!a) };
    },
    ecsTaskSets(clusterName, serviceName) {
      const s = activeService(clusterName, serviceName);
      if (!s) return [];
      const counts = taskSetCounts(ecs, s);
      return s.taskSets.map((t) => {
        const c = counts(t.id);
        return { id: t.id, status: t.status, computedDesiredCount: t.computedDesiredCount, runningCount: c.running, pendingCount: c.pending };
      });
    },
  };
}
