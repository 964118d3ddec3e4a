/**
 * The ECS and ELBv2 doors over the shared store, inside the caller's transaction: reading a
 * service and changing its desiredCount the way UpdateService's desiredCount path does (the
 * PRIMARY deployment and every task set follow it; the scheduler is woken), and checking an
 * ALBRequestCountPerTarget ResourceLabel against the load balancers and target groups.
 */
import type { Store } from '../../state/index.js';
import { findCluster, findService, rescaleTaskSets, saveService, type EcsDeps } from '../ecs/index.js';
import { elbv2Snapshot } from '../elbv2/index.js';
import type { ArnScope, EcsScalingDoor, Elbv2LabelDoor } from './deps.js';

/** The ECS door over `store`; `onServiceChange` wakes the service scheduler as UpdateService does. */
export function storeEcsDoor(store: Store, scope: ArnScope, now: () => Date, onServiceChange?: (s: { clusterArn: string; serviceName: string }) => void): EcsScalingDoor {
  // ECS's finders read only the store and the scope of its deps.
  const ecs = { store, scope } as unknown as EcsDeps;
  const find = (clusterName: string, serviceName: string) => {
    const cluster = findCluster(ecs, clusterName);
    if (!cluster || cluster.status !== 'ACTIVE') return undefined;
    return findService(ecs, cluster, serviceName);
  };
  return {
    service(clusterName, serviceName) {
      const s = find(clusterName, serviceName);
      return s && { desiredCount: s.desiredCount, status: s.status, schedulingStrategy: s.schedulingStrategy };
    },
    setDesiredCount(clusterName, serviceName, desiredCount) {
      const s = find(clusterName, serviceName);
      if (!s || s.status !== 'ACTIVE') throw new Error(`ECS service ${clusterName}/${serviceName} is not active`);
      if (s.desiredCount === desiredCount) return;
      const at = now();
      s.desiredCount = desiredCount;
      s.deployments = s.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, desiredCount, updatedAt: at.toISOString() } : d));
      rescaleTaskSets(s, at);
      saveService(ecs, s);
      onServiceChange?.({ clusterArn: s.clusterArn, serviceName: s.name });
    },
  };
}

/** The ELBv2 door over `store`. */
export function storeElbv2Door(store: Store): Elbv2LabelDoor {
  return {
    labelProblem(loadBalancer, targetGroup) {
      const snap = elbv2Snapshot(store);
      const lb = snap.loadBalancers.find((l) => l.arn.endsWith(`:loadbalancer/${loadBalancer}`));
      if (!lb) return `the load balancer ${loadBalancer} does not exist`;
      const tg = snap.targetGroups.find((t) => t.arn.endsWith(`:${targetGroup}`));
      if (!tg) return `the target group ${targetGroup} does not exist`;
      const forwards = lb.listeners.some((l) => l.rules.some((r) => r.actions.some((a) => a.type === 'forward' && a.targetGroups.some((g) => g.arn === tg.arn))));
      if (!forwards) return `the target group ${targetGroup} is not associated with the load balancer ${loadBalancer}`;
      return undefined;
    },
  };
}
