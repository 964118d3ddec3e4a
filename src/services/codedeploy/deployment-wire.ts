/**
 * Deployments as the API shows them: a {@link DeploymentRecord} as CodeDeploy's DeploymentInfo
 * (GetDeployment, BatchGetDeployments) and its one ECS target as ECSTarget (GetDeploymentTarget,
 * BatchGetDeploymentTargets), with the task sets' counts read live from ECS.
 */
import type { PeerTaskSet } from './deps.js';
import { ecsTargetId, type DeploymentRecord, type DeploymentStatus, type RevisionRecord } from './deployment-types.js';

/** An ECS deployment target's status (TargetStatus), which follows the deployment's. */
export type TargetStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Ready';

/** The target's status for a deployment status: a stopped deployment skipped the rest of its target's work. */
export function targetStatus(status: DeploymentStatus): TargetStatus {
  switch (status) {
    case 'Created':
    case 'Queued':
      return 'Pending';
    case 'InProgress':
    case 'Baking':
      return 'InProgress';
    case 'Ready':
      return 'Ready';
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
      return 'Failed';
    case 'Stopped':
      return 'Skipped';
  }
}

const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

/** A revision as RevisionLocation. */
export const revisionToWire = (r: RevisionRecord | undefined) =>
  r && { revisionType: r.revisionType, appSpecContent: r.appSpecContent, string: r.string };

/** The deployment as DeploymentInfo. */
export function deploymentInfoToWire(d: DeploymentRecord) {
  const overview: Record<TargetStatus, number> = { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 };
  overview[targetStatus(d.status)] = 1;
  const pair = {
    targetGroups: [{ name: d.targetGroups.original.name }, { name: d.targetGroups.replacement.name }],
    prodTrafficRoute: { listenerArns: d.prodListenerArns },
    testTrafficRoute: d.testListenerArns.length ? { listenerArns: d.testListenerArns } : undefined,
  };
  return {
    applicationName: d.applicationName,
    deploymentGroupName: d.deploymentGroupName,
    deploymentConfigName: d.deploymentConfigName,
    deploymentId: d.deploymentId,
    previousRevision: revisionToWire(d.previousRevision),
    revision: revisionToWire(d.revision),
    status: d.status,
    errorInformation: d.errorInformation,
    createTime: date(d.createTime),
    startTime: date(d.startTime),
    completeTime: date(d.completeTime),
    deploymentOverview: overview,
    description: d.description,
    creator: d.creator,
    ignoreApplicationStopFailures: false,
    autoRollbackConfiguration: d.autoRollback,
    updateOutdatedInstancesOnly: false,
    rollbackInfo: d.rollbackInfo,
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    instanceTerminationWaitTimeStarted: d.instanceTerminationWaitTimeStarted,
    blueGreenDeploymentConfiguration: d.blueGreen,
    loadBalancerInfo: { targetGroupPairInfoList: [pair] },
    fileExistsBehavior: 'DISALLOW',
    deploymentStatusMessages: d.statusMessages,
    computePlatform: 'ECS',
    overrideAlarmConfiguration: d.overrideAlarmConfiguration,
  };
}

/** When the target last changed: its latest lifecycle event time, else the deployment's own times. */
function lastUpdatedAt(d: DeploymentRecord): Date {
  const times = [d.createTime, d.startTime, d.completeTime, ...d.lifecycleEvents.flatMap((e) => [e.startTime, e.endTime])].filter((t): t is string => !!t);
  return new Date(times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)));
}

/**
 * The deployment's ECS target. `taskSets` are the service's task sets now (peers.ecsTaskSets); a
 * task set that is gone shows counts 0 and status DRAINING.
 */
export function ecsTargetToWire(d: DeploymentRecord, taskSets: PeerTaskSet[]) {
  const info = (id: string, label: 'Blue' | 'Green', targetGroup: string, trafficWeight: number) => {
    const t = taskSets.find((x) => x.id === id);
    return {
      identifer: id,
      desiredCount: t?.computedDesiredCount ?? 0,
      pendingCount: t?.pendingCount ?? 0,
      runningCount: t?.runningCount ?? 0,
      status: t?.status ?? 'DRAINING',
      trafficWeight,
      targetGroup: { name: targetGroup },
      taskSetLabel: label,
    };
  };
  const weight = d.traffic.replacementWeight;
  const taskSetsInfo = [info(d.originalTaskSetId, 'Blue', d.targetGroups.original.name, 100 - weight)];
  if (d.replacementTaskSetId) taskSetsInfo.push(info(d.replacementTaskSetId, 'Green', d.targetGroups.replacement.name, weight));
  return {
    deploymentId: d.deploymentId,
    targetId: ecsTargetId(d.service),
    targetArn: d.serviceArn,
    lastUpdatedAt: lastUpdatedAt(d),
    lifecycleEvents: d.lifecycleEvents.map((e) => ({
      lifecycleEventName: e.lifecycleEventName,
      diagnostics: e.diagnostics,
      startTime: date(e.startTime),
      endTime: date(e.endTime),
      status: e.status,
    })),
    status: targetStatus(d.status),
    taskSetsInfo,
  };
}
