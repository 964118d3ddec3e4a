/**
 * The rules an ECS deployment group must keep, checked on CreateDeploymentGroup and on the
 * merged result of UpdateDeploymentGroup: the ECS service (exists, CODE_DEPLOY controller, in no
 * other group), the target group pair and listeners (exist in ELBv2), the blue/green settings,
 * rollback and alarms.
 */
import type { CodeDeployDeps } from './deps.js';
import { cdError, invalidInput } from './errors.js';
import type { BlueGreenConfig, DeploymentGroupRecord, EcsServiceRef, TargetGroupPair } from './records.js';

/** The longest wait of blue/green settings, in minutes (2 days). */
export const MAX_WAIT_MINUTES = 2880;
/** The most alarms a deployment group may watch. */
export const MAX_ALARMS = 10;

/** The members of Create/UpdateDeploymentGroup that describe the group. */
export interface GroupSettings {
  deploymentConfigName?: string;
  serviceRoleArn?: string;
  ec2TagFilters?: unknown[];
  onPremisesInstanceTagFilters?: unknown[];
  autoScalingGroups?: string[];
  ec2TagSet?: { ec2TagSetList?: unknown[] };
  onPremisesTagSet?: { onPremisesTagSetList?: unknown[] };
  triggerConfigurations?: unknown[];
  alarmConfiguration?: { enabled?: boolean; ignorePollAlarmFailure?: boolean; alarms?: { name?: string }[] };
  autoRollbackConfiguration?: { enabled?: boolean; events?: string[] };
  outdatedInstancesStrategy?: 'UPDATE' | 'IGNORE';
  deploymentStyle?: { deploymentType?: string; deploymentOption?: string };
  blueGreenDeploymentConfiguration?: {
    terminateBlueInstancesOnDeploymentSuccess?: { action?: 'TERMINATE' | 'KEEP_ALIVE'; terminationWaitTimeInMinutes?: number };
    deploymentReadyOption?: { actionOnTimeout?: 'CONTINUE_DEPLOYMENT' | 'STOP_DEPLOYMENT'; waitTimeInMinutes?: number };
    greenFleetProvisioningOption?: unknown;
  };
  loadBalancerInfo?: { elbInfoList?: unknown[]; targetGroupInfoList?: unknown[]; targetGroupPairInfoList?: { targetGroups?: { name?: string }[]; prodTrafficRoute?: { listenerArns?: string[] }; testTrafficRoute?: { listenerArns?: string[] } }[] };
  ecsServices?: { serviceName?: string; clusterName?: string }[];
  terminationHookEnabled?: boolean;
}

const nonEmpty = (l: unknown[] | undefined) => !!l && l.length > 0;

/** Refuses the EC2/on-premises members, which an ECS group cannot have. */
export function refuseServerMembers(s: GroupSettings): void {
  if (nonEmpty(s.ec2TagFilters) || nonEmpty(s.ec2TagSet?.ec2TagSetList)) throw cdError('InvalidEC2TagException', 'EC2 tag filters cannot be specified for a deployment group of the ECS compute platform.');
  if (nonEmpty(s.onPremisesInstanceTagFilters) || nonEmpty(s.onPremisesTagSet?.onPremisesTagSetList)) throw cdError('InvalidTagException', 'On-premises instance tag filters cannot be specified for a deployment group of the ECS compute platform.');
  if (nonEmpty(s.autoScalingGroups)) throw cdError('InvalidAutoScalingGroupException', 'Auto Scaling groups cannot be specified for a deployment group of the ECS compute platform.');
  if (nonEmpty(s.loadBalancerInfo?.elbInfoList) || nonEmpty(s.loadBalancerInfo?.targetGroupInfoList)) {
    throw cdError('InvalidLoadBalancerInfoException', 'A deployment group of the ECS compute platform takes its load balancer as targetGroupPairInfoList, not elbInfoList or targetGroupInfoList.');
  }
  if (s.blueGreenDeploymentConfiguration?.greenFleetProvisioningOption !== undefined) {
    throw cdError('InvalidBlueGreenDeploymentConfigurationException', 'greenFleetProvisioningOption cannot be specified for a deployment group of the ECS compute platform.');
  }
  if (s.terminationHookEnabled) throw invalidInput('terminationHookEnabled applies to Auto Scaling groups and cannot be enabled for a deployment group of the ECS compute platform.');
  // Triggers notify Amazon SNS topics, which Berth does not have: refuse rather than store triggers that never fire.
  if (nonEmpty(s.triggerConfigurations)) throw cdError('InvalidTriggerConfigException', 'Berth does not deliver deployment triggers (Amazon SNS notifications); remove triggerConfigurations.');
}

/** Checks the service role's ARN format (Berth has no IAM to assume it in). */
export function checkRole(arn: string): void {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(arn)) {
    throw cdError('InvalidRoleException', `The service role ARN '${arn}' is not valid: expected arn:aws:iam::ACCOUNT:role/NAME.`);
  }
}

/** Checks the deployment style: ECS deploys blue/green with traffic control only. */
export function checkDeploymentStyle(s: GroupSettings['deploymentStyle']): DeploymentGroupRecord['deploymentStyle'] {
  if (!s || s.deploymentType !== 'BLUE_GREEN' || s.deploymentOption !== 'WITH_TRAFFIC_CONTROL') {
    throw cdError(
      'InvalidDeploymentStyleException',
      `A deployment group of the ECS compute platform must have deploymentStyle deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL; got ${s ? `${s.deploymentType ?? 'no type'} and ${s.deploymentOption ?? 'no option'}` : 'none'}.`,
    );
  }
  return { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' };
}

/** Checks the blue/green settings and fills AWS's defaults (continue at once; terminate the original at once). */
export function checkBlueGreen(b: GroupSettings['blueGreenDeploymentConfiguration']): BlueGreenConfig {
  const bad = (why: string) => cdError('InvalidBlueGreenDeploymentConfigurationException', `The blue/green deployment configuration is not valid: ${why}`);
  const ready = b?.deploymentReadyOption;
  const action = ready?.actionOnTimeout ?? 'CONTINUE_DEPLOYMENT';
  const wait = ready?.waitTimeInMinutes ?? 0;
  // AWS's own wording; a wait of 0 is the same as none.
  if (action === 'CONTINUE_DEPLOYMENT' && wait !== 0) throw cdError('InvalidBlueGreenDeploymentConfigurationException', "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is specified");
  if (wait < 0 || wait > MAX_WAIT_MINUTES) throw bad(`waitTimeInMinutes must be between 0 and ${MAX_WAIT_MINUTES}; got ${wait}.`);
  const term = b?.terminateBlueInstancesOnDeploymentSuccess;
  const termAction = term?.action ?? 'TERMINATE';
  const termWait = term?.terminationWaitTimeInMinutes ?? 0;
  if (termWait < 0 || termWait > MAX_WAIT_MINUTES) throw bad(`terminationWaitTimeInMinutes must be between 0 and ${MAX_WAIT_MINUTES}; got ${termWait}.`);
  if (termAction === 'KEEP_ALIVE' && termWait !== 0) throw bad('terminationWaitTimeInMinutes applies only when the action is TERMINATE.');
  return { deploymentReadyOption: { actionOnTimeout: action, waitTimeInMinutes: wait }, terminateBlueInstancesOnDeploymentSuccess: { action: termAction, terminationWaitTimeInMinutes: termWait } };
}

/** Checks automatic rollback: enabled needs at least one event. */
export function checkAutoRollback(r: GroupSettings['autoRollbackConfiguration']): DeploymentGroupRecord['autoRollbackConfiguration'] {
  const enabled = r?.enabled ?? false;
  const events = [...new Set(r?.events ?? [])];
  if (enabled && events.length === 0) throw cdError('InvalidAutoRollbackConfigException', 'Automatic rollback is enabled but no events are specified: give DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST.');
  return { enabled, events };
}

/** Checks the alarm configuration (kept for CloudWatch alarms; not yet watched). */
export function checkAlarms(a: GroupSettings['alarmConfiguration']): DeploymentGroupRecord['alarmConfiguration'] {
  const alarms = a?.alarms ?? [];
  const bad = (why: string) => cdError('InvalidAlarmConfigException', `The alarm configuration is not valid: ${why}`);
  if (alarms.length > MAX_ALARMS) throw cdError('AlarmsLimitExceededException', `The maximum number of alarms for a deployment group (${MAX_ALARMS}) was exceeded: got ${alarms.length}.`);
  const seen = new Set<string>();
  for (const al of alarms) {
    if (!al.name) throw bad('an alarm name is empty.');
    if (al.name.length > 255) throw bad(`the alarm name '${al.name.slice(0, 20)}...' is longer than 255 characters.`);
    if (seen.has(al.name)) throw bad(`the alarm '${al.name}' is given more than once.`);
    seen.add(al.name);
  }
  const enabled = a?.enabled ?? false;
  if (enabled && alarms.length === 0) throw bad('the alarm configuration is enabled, but the alarm list is empty.');
  return { enabled, ignorePollAlarmFailure: a?.ignorePollAlarmFailure ?? false, alarms: alarms.map((al) => ({ name: al.name! })) };
}

/** Checks the ECS service: exactly one, existing, under the CODE_DEPLOY controller, in no other deployment group. */
export function checkEcsServices(deps: CodeDeployDeps, list: GroupSettings['ecsServices'], groupId: string | undefined): { ref: EcsServiceRef; targetGroupArns: string[] } {
  if (!list || list.length === 0) throw cdError('InvalidECSServiceException', 'A deployment group of the ECS compute platform must name its ECS service in ecsServices.');
  if (list.length > 1) throw cdError('InvalidECSServiceException', `A deployment group of the ECS compute platform deploys exactly one ECS service; got ${list.length}.`);
  const { serviceName, clusterName } = list[0];
  if (!serviceName || !clusterName) throw cdError('InvalidECSServiceException', 'An ECS service needs both serviceName and clusterName.');
  const s = deps.peers.ecsService(clusterName, serviceName);
  if (!s || s.status !== 'ACTIVE') throw cdError('InvalidECSServiceException', `ECS service ${serviceName} in cluster ${clusterName} does not exist or is not ACTIVE.`);
  if (s.deploymentControllerType !== 'CODE_DEPLOY') {
    throw cdError('InvalidECSServiceException', `Deployment group's ECS service must be configured for a CODE_DEPLOY deployment controller: ${serviceName} in cluster ${clusterName} uses ${s.deploymentControllerType}.`);
  }
  for (const g of deps.records.allGroups()) {
    if (g.deploymentGroupId === groupId) continue;
    if (g.ecsServices.some((e) => e.serviceName === serviceName && e.clusterName === clusterName)) {
      throw cdError('ECSServiceMappingLimitExceededException', `The ECS service ${serviceName} in cluster ${clusterName} is already associated with deployment group ${g.deploymentGroupName}; an ECS service can be associated with only one deployment group.`);
    }
  }
  return { ref: { serviceName, clusterName }, targetGroupArns: s.targetGroupArns };
}

/** Checks the target group pair: one pair of two existing target groups, one production listener, at most one test listener. */
export function checkTargetGroupPair(deps: CodeDeployDeps, lbi: GroupSettings['loadBalancerInfo'], serviceTargetGroups: string[]): TargetGroupPair {
  const bad = (why: string) => cdError('InvalidTargetGroupPairException', `The target group pair is not valid: ${why}`);
  const pairs = lbi?.targetGroupPairInfoList ?? [];
  if (pairs.length !== 1) {
    throw cdError('InvalidLoadBalancerInfoException', `A deployment group of the ECS compute platform needs loadBalancerInfo.targetGroupPairInfoList with exactly one target group pair; got ${pairs.length}.`);
  }
  const pair = pairs[0];
  const names = (pair.targetGroups ?? []).map((t) => t.name ?? '');
  if (names.length !== 2) throw bad(`a pair has exactly two target groups; got ${names.length}.`);
  if (names[0] === names[1]) throw bad(`the two target groups must differ; both are ${names[0]}.`);
  const arns = names.map((n) => {
    const tg = deps.peers.targetGroupByName(n);
    if (!tg) throw bad(`target group ${n} does not exist.`);
    return tg.arn;
  });
  if (serviceTargetGroups.length && !serviceTargetGroups.some((a) => arns.includes(a))) {
    throw bad(`the ECS service's load balancer target group is not one of ${names.join(' and ')}.`);
  }
  const listener = (route: { listenerArns?: string[] } | undefined, what: string, required: boolean) => {
    const l = route?.listenerArns ?? [];
    if (l.length === 0 && !required) return undefined;
    if (l.length !== 1) throw bad(`${what} must name exactly one listener; got ${l.length}.`);
    if (!deps.peers.listener(l[0])) throw bad(`the ${what} listener ${l[0]} does not exist.`);
    return { listenerArns: [l[0]] };
  };
  const prod = listener(pair.prodTrafficRoute, 'prodTrafficRoute', true)!;
  const test = listener(pair.testTrafficRoute, 'testTrafficRoute', false);
  if (test && test.listenerArns[0] === prod.listenerArns[0]) throw bad('the test listener must differ from the production listener.');
  return { targetGroups: names.map((name) => ({ name })), prodTrafficRoute: prod, ...(test ? { testTrafficRoute: test } : {}) };
}
