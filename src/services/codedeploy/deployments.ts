/**
 * Deployments of ECS deployment groups: CreateDeployment, GetDeployment, BatchGetDeployments,
 * ListDeployments, StopDeployment, ContinueDeployment, ListDeploymentTargets, GetDeploymentTarget,
 * BatchGetDeploymentTargets and PutLifecycleEventHookExecutionStatus. These operations make and
 * flag deployment records; the deployment engine (engine.ts) drives them through the lifecycle.
 */
import { createHash } from 'node:crypto';
import type { Operation } from '../../api/index.js';
import { findTaskDefinition, type EcsDeps } from '../ecs/index.js';
import { requireApplication } from './applications.js';
import { parseAppSpec } from './appspec.js';
import type { CodeDeployDeps } from './deps.js';
import { requireConfig } from './deployment-configs.js';
import {
  ecsTargetId, LIVE_STATUSES, newDeploymentId, newLifecycleEvents, type AppSpec, type DeploymentRecord, type DeploymentStatus, type RevisionRecord,
} from './deployment-types.js';
import { deploymentInfoToWire, ecsTargetToWire, targetStatus } from './deployment-wire.js';
import { cdError, deploymentDoesNotExist, deploymentGroupDoesNotExist, deploymentIdRequired } from './errors.js';
import { checkAlarms, checkAutoRollback } from './group-validation.js';
import { page } from './names.js';
import type { DeploymentGroupRecord } from './records.js';

/** The most deployments (and deployment targets) one BatchGet call may ask for. */
export const MAX_DEPLOYMENT_BATCH = 25;

const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/;
const STATUSES: readonly DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Succeeded', 'Failed', 'Stopped', 'Ready'];
const TARGET_STATUSES = ['Pending', 'InProgress', 'Succeeded', 'Failed', 'Skipped', 'Unknown', 'Ready'];

interface WireRevision {
  revisionType?: string;
  s3Location?: unknown;
  gitHubLocation?: unknown;
  string?: { content?: string; sha256?: string };
  appSpecContent?: { content?: string; sha256?: string };
}

interface CreateDeploymentInput {
  applicationName: string;
  deploymentGroupName?: string;
  revision?: WireRevision;
  deploymentConfigName?: string;
  description?: string;
  ignoreApplicationStopFailures?: boolean;
  targetInstances?: { tagFilters?: unknown[]; autoScalingGroups?: string[]; ec2TagSet?: { ec2TagSetList?: unknown[] } };
  autoRollbackConfiguration?: { enabled?: boolean; events?: string[] };
  updateOutdatedInstancesOnly?: boolean;
  fileExistsBehavior?: string;
  overrideAlarmConfiguration?: { enabled?: boolean; ignorePollAlarmFailure?: boolean; alarms?: { name?: string }[] };
}

const invalidRevision = (why: string) => cdError('InvalidRevisionException', why);
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Checks the revision: the appspec given inline (Berth keeps no S3 bucket and no GitHub connection), its sha256 when given. */
function checkRevision(r: WireRevision | undefined): { revision: RevisionRecord; content: string } {
  if (!r || r.revisionType === undefined) throw cdError('RevisionRequiredException', 'Revision must be specified.');
  if (r.revisionType === 'S3' || r.revisionType === 'GitHub') {
    throw invalidRevision(`Berth keeps no Amazon S3 bucket and no GitHub connection, so a revision of type ${r.revisionType} cannot be read: give the appspec itself with revisionType AppSpecContent (or String).`);
  }
  if (r.revisionType !== 'AppSpecContent' && r.revisionType !== 'String') throw invalidRevision(`The revision type ${r.revisionType} is not valid: use AppSpecContent.`);
  const type = r.revisionType;
  const key = type === 'AppSpecContent' ? 'appSpecContent' : 'string';
  const given = r[key];
  if (!given || typeof given.content !== 'string' || given.content.trim() === '') {
    throw invalidRevision(`A revision of type ${r.revisionType} needs ${key}.content (the AppSpec file's text).`);
  }
  const digest = sha256(given.content);
  if (given.sha256 !== undefined && given.sha256.toLowerCase() !== digest) {
    throw invalidRevision(`The ${key}.sha256 ${given.sha256} does not match the SHA-256 of the content (${digest}).`);
  }
  return { revision: { revisionType: type, [key]: { content: given.content, sha256: given.sha256 ?? digest } }, content: given.content };
}

/** Refuses CreateDeployment's EC2/on-premises members, each with its own exception. */
function refuseServerMembers(input: CreateDeploymentInput): void {
  const t = input.targetInstances;
  if (t && ((t.tagFilters?.length ?? 0) > 0 || (t.autoScalingGroups?.length ?? 0) > 0 || (t.ec2TagSet?.ec2TagSetList?.length ?? 0) > 0)) {
    throw cdError('InvalidTargetInstancesException', 'targetInstances applies to EC2/on-premises deployments; an ECS deployment deploys to its deployment group\'s ECS service.');
  }
  if (input.updateOutdatedInstancesOnly) {
    throw cdError('InvalidUpdateOutdatedInstancesOnlyValueException', 'updateOutdatedInstancesOnly applies to EC2/on-premises deployments and cannot be true for an ECS deployment.');
  }
  if (input.fileExistsBehavior !== undefined) {
    throw cdError('InvalidFileExistsBehaviorException', 'fileExistsBehavior applies to EC2/on-premises deployments and cannot be specified for an ECS deployment.');
  }
  if (input.ignoreApplicationStopFailures) {
    throw cdError('InvalidIgnoreApplicationStopFailuresValueException', 'ignoreApplicationStopFailures applies to EC2/on-premises deployments and cannot be true for an ECS deployment.');
  }
}

const activeDeployment = (group: string, id: string) => cdError('DeploymentLimitExceededException', `The Deployment Group '${group}' already has an active Deployment '${id}'`);
const isLive = (d: DeploymentRecord) => LIVE_STATUSES.includes(d.status);

export function deploymentOperations(deps: CodeDeployDeps): Record<string, Operation> {
  const { records } = deps;
  // ECS's task definition lookup reads only the store.
  const ecs = { store: deps.store, scope: deps.scope } as unknown as EcsDeps;
  const changed = () => {
    // A microtask runs after the handler's transaction has committed.
    if (deps.onDeploymentChange) queueMicrotask(deps.onDeploymentChange);
  };

  /** The deployment `id` (checked for AWS's id format), or DeploymentDoesNotExistException. */
  const requireDeployment = (id: string | undefined): DeploymentRecord => {
    if (id === undefined || id === '') throw deploymentIdRequired();
    if (!DEPLOYMENT_ID.test(id)) throw cdError('InvalidDeploymentIdException', `Specified DeploymentId is not in the valid format: ${id}`);
    const d = records.deployment(id);
    if (!d) throw deploymentDoesNotExist(id);
    return d;
  };
  const requireLive = (d: DeploymentRecord) => {
    if (!isLive(d)) throw cdError('DeploymentAlreadyCompletedException', `The deployment ${d.deploymentId} has already completed.`);
  };

  /** A family or family:revision resolved to its ARN when it exists; the given string otherwise (the engine's CreateTaskSet reports it). */
  const resolveTaskDefinition = (spec: AppSpec): AppSpec => {
    if (spec.taskDefinition.startsWith('arn:')) return spec;
    try {
      const td = findTaskDefinition(ecs, spec.taskDefinition);
      return td ? { ...spec, taskDefinition: td.taskDefinitionArn } : spec;
    } catch {
      return spec;
    }
  };

  /** The target group pair of the group, resolved; original = the one the PRIMARY task set is on. */
  const resolvePair = (g: DeploymentGroupRecord, primaryTargetGroups: string[]) => {
    const pair = g.loadBalancerInfo.targetGroupPairInfoList[0];
    const bad = (why: string) => cdError('InvalidTargetGroupPairException', `The target group pair of deployment group ${g.deploymentGroupName} is not valid: ${why}`);
    const resolved = pair.targetGroups.map((t) => {
      const tg = deps.peers.targetGroupByName(t.name);
      if (!tg) throw bad(`target group ${t.name} does not exist.`);
      return tg;
    });
    const i = resolved.findIndex((t) => primaryTargetGroups.includes(t.arn));
    if (i < 0) throw bad(`the ECS service's PRIMARY task set serves neither ${resolved.map((t) => t.name).join(' nor ')}.`);
    return {
      targetGroups: { original: resolved[i], replacement: resolved[1 - i] },
      prodListenerArns: pair.prodTrafficRoute.listenerArns,
      testListenerArns: pair.testTrafficRoute?.listenerArns ?? [],
    };
  };

  const targetsOf = (d: DeploymentRecord) => deps.peers.ecsTaskSets(d.service.clusterName, d.service.serviceName);
  const requireTarget = (d: DeploymentRecord, targetId: string | undefined) => {
    if (targetId === undefined || targetId === '') throw cdError('DeploymentTargetIdRequiredException', 'A deployment target ID must be specified.');
    if (targetId !== ecsTargetId(d.service)) throw cdError('DeploymentTargetDoesNotExistException', `The deployment target ${targetId} does not exist in deployment ${d.deploymentId}.`);
  };

  return {
    CreateDeployment(input: CreateDeploymentInput) {
      const app = requireApplication(deps, input.applicationName);
      if (input.deploymentGroupName === undefined) throw cdError('DeploymentGroupNameRequiredException', 'The deployment group name was not specified.');
      const g = records.group(app.applicationId, input.deploymentGroupName);
      if (!g) throw deploymentGroupDoesNotExist(app.applicationName, input.deploymentGroupName);
      const { revision, content } = checkRevision(input.revision);
      refuseServerMembers(input);
      const configName = input.deploymentConfigName ?? g.deploymentConfigName;
      const config = requireConfig(deps, configName);
      if (config.computePlatform !== 'ECS') {
        throw cdError('InvalidDeploymentConfigNameException', `Deployment configuration ${configName} is for the ${config.computePlatform} compute platform; an ECS deployment needs an ECS configuration.`);
      }
      const autoRollback = input.autoRollbackConfiguration ? checkAutoRollback(input.autoRollbackConfiguration) : g.autoRollbackConfiguration;
      const overrideAlarmConfiguration = input.overrideAlarmConfiguration ? checkAlarms(input.overrideAlarmConfiguration) : undefined;
      const appSpec = resolveTaskDefinition(parseAppSpec(content));
      const live = records.liveDeployment(g.deploymentGroupId);
      if (live) throw activeDeployment(g.deploymentGroupName, live.deploymentId);
      const ref = g.ecsServices[0];
      const service = deps.peers.ecsService(ref.clusterName, ref.serviceName);
      if (!service || service.status !== 'ACTIVE') {
        throw cdError('InvalidECSServiceException', `The ECS service ${ref.serviceName} in cluster ${ref.clusterName} of deployment group ${g.deploymentGroupName} does not exist or is not ACTIVE.`);
      }
      const primary = deps.peers.ecsPrimaryTaskSet(ref.clusterName, ref.serviceName);
      if (!primary) throw cdError('InvalidECSServiceException', `The ECS service ${ref.serviceName} in cluster ${ref.clusterName} has no PRIMARY task set to deploy from.`);
      const pair = resolvePair(g, primary.targetGroupArns);
      const now = deps.now().toISOString();
      const lastOk = g.lastSuccessfulDeployment && records.deployment(g.lastSuccessfulDeployment.deploymentId);
      const d: DeploymentRecord = {
        deploymentId: newDeploymentId(deps.random),
        kind: 'deployment',
        applicationId: app.applicationId,
        applicationName: app.applicationName,
        deploymentGroupId: g.deploymentGroupId,
        deploymentGroupName: g.deploymentGroupName,
        deploymentConfigName: config.deploymentConfigName,
        description: input.description,
        creator: 'user',
        status: 'Created',
        createTime: now,
        revision,
        previousRevision: lastOk ? lastOk.revision : undefined,
        appSpec,
        trafficRouting: config.trafficRoutingConfig ?? { type: 'AllAtOnce' },
        blueGreen: g.blueGreenDeploymentConfiguration,
        autoRollback,
        overrideAlarmConfiguration,
        // The alarms the engine watches: the override, or the group's as they are now.
        alarmConfiguration: overrideAlarmConfiguration ?? g.alarmConfiguration,
        service: { serviceName: ref.serviceName, clusterName: ref.clusterName },
        serviceArn: service.arn,
        ...pair,
        originalTaskSetId: primary.id,
        originalTaskDefinition: primary.taskDefinition,
        lifecycleEvents: newLifecycleEvents(),
        traffic: { replacementWeight: 0 },
        instanceTerminationWaitTimeStarted: false,
        statusMessages: [],
      };
      try {
        records.saveDeployment(d);
      } catch (e) {
        // Another call made a live deployment in the same group first: the unique index says so.
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw activeDeployment(g.deploymentGroupName, records.liveDeployment(g.deploymentGroupId)?.deploymentId ?? 'unknown');
        }
        throw e;
      }
      records.saveGroup({ ...g, lastAttemptedDeployment: { deploymentId: d.deploymentId, status: 'Created', createTime: now } });
      changed();
      return { deploymentId: d.deploymentId };
    },

    GetDeployment(input: { deploymentId: string }) {
      return { deploymentInfo: deploymentInfoToWire(requireDeployment(input.deploymentId)) };
    },

    BatchGetDeployments(input: { deploymentIds: string[] }) {
      const ids = [...new Set(input.deploymentIds)];
      if (ids.length === 0) throw deploymentIdRequired();
      if (ids.length > MAX_DEPLOYMENT_BATCH) throw cdError('BatchLimitExceededException', `The maximum number of deployment IDs allowed for this request (${MAX_DEPLOYMENT_BATCH}) was exceeded: got ${ids.length}.`);
      for (const id of ids) if (!DEPLOYMENT_ID.test(id)) throw cdError('InvalidDeploymentIdException', `Specified DeploymentId is not in the valid format: ${id}`);
      // Deployments that do not exist are left out, as AWS does.
      const found = ids.map((id) => records.deployment(id)).filter((d): d is DeploymentRecord => d !== undefined);
      return { deploymentsInfo: found.map(deploymentInfoToWire) };
    },

    ListDeployments(input: {
      applicationName?: string; deploymentGroupName?: string; externalId?: string; includeOnlyStatuses?: string[]; createTimeRange?: { start?: Date; end?: Date }; nextToken?: string;
    }) {
      // AWS: the two names come together or not at all.
      if (input.applicationName !== undefined && input.deploymentGroupName === undefined) {
        throw cdError('DeploymentGroupNameRequiredException', 'If applicationName is specified, then deploymentGroupName must be specified.');
      }
      if (input.deploymentGroupName !== undefined && input.applicationName === undefined) {
        throw cdError('ApplicationNameRequiredException', 'If deploymentGroupName is specified, then applicationName must be specified.');
      }
      let groupId: string | undefined;
      if (input.applicationName !== undefined) {
        const app = requireApplication(deps, input.applicationName);
        const g = records.group(app.applicationId, input.deploymentGroupName!);
        if (!g) throw deploymentGroupDoesNotExist(app.applicationName, input.deploymentGroupName!);
        groupId = g.deploymentGroupId;
      }
      for (const s of input.includeOnlyStatuses ?? []) {
        if (!(STATUSES as readonly string[]).includes(s)) throw cdError('InvalidDeploymentStatusException', `The deployment status ${s} is not valid: use ${STATUSES.join(', ')}.`);
      }
      const { start, end } = input.createTimeRange ?? {};
      if (start && end && start.getTime() > end.getTime()) throw cdError('InvalidTimeRangeException', 'The createTimeRange start must not be after its end.');
      // No Berth deployment is linked to an external resource (CloudFormation), so an externalId matches none.
      const ids =
        input.externalId !== undefined
          ? []
          : records.deploymentIds({ groupId, statuses: input.includeOnlyStatuses, createdAfter: start?.toISOString(), createdBefore: end?.toISOString() });
      const scope = `ListDeployments:${JSON.stringify([groupId ?? '', input.includeOnlyStatuses ?? [], start?.toISOString() ?? '', end?.toISOString() ?? '', input.externalId ?? ''])}`;
      const p = page(ids, input.nextToken, scope);
      return { deployments: p.items, nextToken: p.nextToken };
    },

    StopDeployment(input: { deploymentId: string; autoRollbackEnabled?: boolean }) {
      const d = requireDeployment(input.deploymentId);
      requireLive(d);
      const groupDefault = d.autoRollback.enabled && d.autoRollback.events.includes('DEPLOYMENT_STOP_ON_REQUEST');
      // A rollback deployment has nothing to roll back to.
      const autoRollbackEnabled = d.kind === 'rollback' ? false : (input.autoRollbackEnabled ?? groupDefault);
      if (!d.stopRequest) {
        records.saveDeployment({ ...d, stopRequest: { autoRollbackEnabled, at: deps.now().toISOString() } });
        changed();
      }
      return { status: 'Pending', statusMessage: 'Stopping Active deployment' };
    },

    ContinueDeployment(input: { deploymentId?: string; deploymentWaitType?: 'READY_WAIT' | 'TERMINATION_WAIT' }) {
      const d = requireDeployment(input.deploymentId);
      requireLive(d);
      const now = deps.now();
      if ((input.deploymentWaitType ?? 'READY_WAIT') === 'READY_WAIT') {
        if (d.status !== 'Ready') throw cdError('DeploymentIsNotInReadyStateException', `The deployment ${d.deploymentId} is not in a ready state.`);
        records.saveDeployment({ ...d, readyWait: { until: d.readyWait?.until ?? now.toISOString(), continued: true } });
      } else {
        const w = d.terminationWait;
        if (!d.instanceTerminationWaitTimeStarted || !w) {
          throw cdError('InvalidDeploymentWaitTypeException', `The deployment ${d.deploymentId} is not waiting to terminate its original task set: TERMINATION_WAIT continues a deployment only after traffic has moved to the replacement.`);
        }
        if (w.continued || Date.parse(w.until) <= now.getTime()) {
          throw cdError('InvalidDeploymentWaitTypeException', `The termination wait of deployment ${d.deploymentId} is already over.`);
        }
        records.saveDeployment({ ...d, terminationWait: { ...w, continued: true } });
      }
      changed();
      return {};
    },

    ListDeploymentTargets(input: { deploymentId: string; nextToken?: string; targetFilters?: Record<string, string[]> }) {
      const d = requireDeployment(input.deploymentId);
      let ids = [ecsTargetId(d.service)];
      for (const [name, values] of Object.entries(input.targetFilters ?? {})) {
        if (name === 'TargetStatus') {
          for (const v of values) if (!TARGET_STATUSES.includes(v)) throw cdError('InvalidInstanceStatusException', `The target status ${v} is not valid: use ${TARGET_STATUSES.join(', ')}.`);
          if (!values.includes(targetStatus(d.status))) ids = [];
        } else if (name === 'ServerInstanceLabel') {
          // Blue/Green labels name EC2 instances; the ECS target has none, so the filter matches nothing.
          ids = [];
        } else {
          throw cdError('InvalidTargetFilterNameException', `The target filter name ${name} is not valid: use TargetStatus or ServerInstanceLabel.`);
        }
      }
      const p = page(ids, input.nextToken, `ListDeploymentTargets:${d.deploymentId}:${JSON.stringify(input.targetFilters ?? {})}`);
      return { targetIds: p.items, nextToken: p.nextToken };
    },

    GetDeploymentTarget(input: { deploymentId: string; targetId: string }) {
      const d = requireDeployment(input.deploymentId);
      requireTarget(d, input.targetId);
      return { deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: ecsTargetToWire(d, targetsOf(d)) } };
    },

    BatchGetDeploymentTargets(input: { deploymentId: string; targetIds: string[] }) {
      const d = requireDeployment(input.deploymentId);
      const ids = [...new Set(input.targetIds)];
      if (ids.length === 0) throw cdError('DeploymentTargetIdRequiredException', 'At least one deployment target ID must be specified.');
      if (ids.length > MAX_DEPLOYMENT_BATCH) throw cdError('DeploymentTargetListSizeExceededException', `The maximum number of targets that can be associated with one request (${MAX_DEPLOYMENT_BATCH}) was exceeded: got ${ids.length}.`);
      for (const id of ids) requireTarget(d, id);
      const taskSets = targetsOf(d);
      return { deploymentTargets: ids.map(() => ({ deploymentTargetType: 'ECSTarget', ecsTarget: ecsTargetToWire(d, taskSets) })) };
    },

    PutLifecycleEventHookExecutionStatus(input: { deploymentId?: string; lifecycleEventHookExecutionId?: string; status?: string }) {
      const d = requireDeployment(input.deploymentId);
      if (input.status !== 'Succeeded' && input.status !== 'Failed') {
        throw cdError('InvalidLifecycleEventHookExecutionStatusException', `The status ${input.status ?? '(none)'} is not valid: a lifecycle hook reports Succeeded or Failed.`);
      }
      const id = input.lifecycleEventHookExecutionId;
      const row = id ? records.hookExecution(id) : undefined;
      if (!id || !row || row.deploymentId !== d.deploymentId) {
        throw cdError('InvalidLifecycleEventHookExecutionIdException', `The lifecycle event hook execution ID ${id ?? '(none)'} is not one of deployment ${d.deploymentId}.`);
      }
      if (!isLive(d) || !records.reportHookExecution(id, input.status, deps.now().toISOString())) {
        throw cdError('LifecycleEventAlreadyCompletedException', `The lifecycle event ${row.lifecycleEvent} of deployment ${d.deploymentId} has already completed.`);
      }
      changed();
      return { lifecycleEventHookExecutionId: id };
    },
  };
}
