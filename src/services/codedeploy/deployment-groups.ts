/**
 * Deployment groups of ECS applications: CreateDeploymentGroup, GetDeploymentGroup,
 * BatchGetDeploymentGroups, ListDeploymentGroups, UpdateDeploymentGroup, DeleteDeploymentGroup.
 * Server and Lambda applications may exist, but Berth only deploys to ECS, so their groups are refused.
 */
import { randomUUID } from 'node:crypto';
import type { Operation } from '../../api/index.js';
import { deploymentGroupArn } from './arns.js';
import { moveTags, MAX_BATCH, requireApplication } from './applications.js';
import type { CodeDeployDeps } from './deps.js';
import { requireConfig } from './deployment-configs.js';
import { cdError, deploymentGroupDoesNotExist } from './errors.js';
import {
  checkAlarms, checkAutoRollback, checkBlueGreen, checkDeploymentStyle, checkEcsServices, checkRole, checkTargetGroupPair, refuseServerMembers, type GroupSettings,
} from './group-validation.js';
import { checkName, page } from './names.js';
import { DEFAULT_ECS_CONFIG } from './predefined.js';
import type { RevisionRecord } from './deployment-types.js';
import type { ApplicationRecord, DeploymentGroupRecord } from './records.js';
import { checkTags, type WireTag } from './tags.js';

/** AWS's default quota of deployment groups per application. */
export const MAX_GROUPS_PER_APPLICATION = 1000;

/**
 * A deployment group as CodeDeploy shows it; the deployment fields stay absent until a deployment
 * exists. `targetRevision` is the revision of the last successful deployment.
 */
export function groupToWire(app: ApplicationRecord, g: DeploymentGroupRecord, targetRevision?: RevisionRecord) {
  const last = (d: DeploymentGroupRecord['lastAttemptedDeployment']) =>
    d && { deploymentId: d.deploymentId, status: d.status, createTime: new Date(d.createTime), endTime: d.endTime ? new Date(d.endTime) : undefined };
  return {
    applicationName: app.applicationName,
    deploymentGroupId: g.deploymentGroupId,
    deploymentGroupName: g.deploymentGroupName,
    deploymentConfigName: g.deploymentConfigName,
    ec2TagFilters: [],
    onPremisesInstanceTagFilters: [],
    autoScalingGroups: [],
    serviceRoleArn: g.serviceRoleArn,
    triggerConfigurations: [],
    alarmConfiguration: g.alarmConfiguration,
    autoRollbackConfiguration: g.autoRollbackConfiguration,
    deploymentStyle: g.deploymentStyle,
    outdatedInstancesStrategy: g.outdatedInstancesStrategy,
    blueGreenDeploymentConfiguration: g.blueGreenDeploymentConfiguration,
    loadBalancerInfo: g.loadBalancerInfo,
    lastSuccessfulDeployment: last(g.lastSuccessfulDeployment),
    lastAttemptedDeployment: last(g.lastAttemptedDeployment),
    targetRevision: targetRevision && { revisionType: targetRevision.revisionType, appSpecContent: targetRevision.appSpecContent, string: targetRevision.string },
    computePlatform: g.computePlatform,
    ecsServices: g.ecsServices,
    terminationHookEnabled: g.terminationHookEnabled,
  };
}

/** The ECS application `name`, refusing Server and Lambda ones (Berth deploys to ECS only). */
function requireEcsApplication(deps: CodeDeployDeps, name: string): ApplicationRecord {
  const app = requireApplication(deps, name);
  if (app.computePlatform !== 'ECS') {
    throw cdError('InvalidComputePlatformException', `Application ${name} uses the ${app.computePlatform} compute platform; Berth runs deployment groups of the ECS compute platform only.`);
  }
  return app;
}

/** Validates `s` as the whole of an ECS group (merged over `base` on update) and returns the record. */
function buildGroup(deps: CodeDeployDeps, app: ApplicationRecord, s: GroupSettings, base: { id: string; name: string; createTime: string; existing?: DeploymentGroupRecord }): DeploymentGroupRecord {
  refuseServerMembers(s);
  const configName = s.deploymentConfigName ?? base.existing?.deploymentConfigName ?? DEFAULT_ECS_CONFIG;
  const config = requireConfig(deps, configName);
  if (config.computePlatform !== 'ECS') {
    throw cdError('InvalidDeploymentConfigNameException', `Deployment configuration ${configName} is for the ${config.computePlatform} compute platform; an ECS deployment group needs an ECS configuration.`);
  }
  const role = s.serviceRoleArn ?? base.existing?.serviceRoleArn;
  if (!role) throw cdError('RoleRequiredException', 'The role ID was not specified.');
  checkRole(role);
  const e = base.existing;
  const style = checkDeploymentStyle(s.deploymentStyle ?? e?.deploymentStyle);
  const service = checkEcsServices(deps, s.ecsServices ?? e?.ecsServices, e?.deploymentGroupId);
  const pair = checkTargetGroupPair(deps, s.loadBalancerInfo ?? e?.loadBalancerInfo, service.targetGroupArns);
  return {
    deploymentGroupId: base.id,
    applicationId: app.applicationId,
    deploymentGroupName: base.name,
    deploymentConfigName: config.deploymentConfigName,
    serviceRoleArn: role,
    computePlatform: 'ECS',
    ecsServices: [service.ref],
    loadBalancerInfo: { targetGroupPairInfoList: [pair] },
    deploymentStyle: style,
    blueGreenDeploymentConfiguration: checkBlueGreen(s.blueGreenDeploymentConfiguration ?? e?.blueGreenDeploymentConfiguration),
    autoRollbackConfiguration: checkAutoRollback(s.autoRollbackConfiguration ?? e?.autoRollbackConfiguration),
    alarmConfiguration: checkAlarms(s.alarmConfiguration ?? e?.alarmConfiguration),
    outdatedInstancesStrategy: s.outdatedInstancesStrategy ?? e?.outdatedInstancesStrategy ?? 'UPDATE',
    terminationHookEnabled: false,
    createTime: base.createTime,
    lastAttemptedDeployment: e?.lastAttemptedDeployment,
    lastSuccessfulDeployment: e?.lastSuccessfulDeployment,
  };
}

export function deploymentGroupOperations(deps: CodeDeployDeps): Record<string, Operation> {
  const { records } = deps;
  const requireGroup = (app: ApplicationRecord, name: string) => {
    const g = records.group(app.applicationId, name);
    if (!g) throw deploymentGroupDoesNotExist(app.applicationName, name);
    return g;
  };
  const targetRevision = (g: DeploymentGroupRecord) => (g.lastSuccessfulDeployment ? records.deployment(g.lastSuccessfulDeployment.deploymentId)?.revision : undefined);
  return {
    CreateDeploymentGroup(input: GroupSettings & { applicationName: string; deploymentGroupName: string; tags?: WireTag[] }) {
      checkName(input.deploymentGroupName, 'InvalidDeploymentGroupNameException', 'deployment group name');
      const tags = checkTags(input.tags);
      const app = requireEcsApplication(deps, input.applicationName);
      if (records.group(app.applicationId, input.deploymentGroupName)) {
        throw cdError('DeploymentGroupAlreadyExistsException', `Deployment Group already exists with name ${input.deploymentGroupName} in application ${app.applicationName}`);
      }
      if (records.countGroups(app.applicationId) >= MAX_GROUPS_PER_APPLICATION) {
        throw cdError('DeploymentGroupLimitExceededException', `The limit of ${MAX_GROUPS_PER_APPLICATION} deployment groups per application has been reached.`);
      }
      const g = buildGroup(deps, app, input, { id: randomUUID(), name: input.deploymentGroupName, createTime: deps.now().toISOString() });
      records.saveGroup(g);
      if (tags.length) deps.tags.put(deploymentGroupArn(deps.scope, app.applicationName, g.deploymentGroupName), tags);
      return { deploymentGroupId: g.deploymentGroupId };
    },

    GetDeploymentGroup(input: { applicationName: string; deploymentGroupName: string }) {
      const app = requireApplication(deps, input.applicationName);
      const g = requireGroup(app, input.deploymentGroupName);
      return { deploymentGroupInfo: groupToWire(app, g, targetRevision(g)) };
    },

    BatchGetDeploymentGroups(input: { applicationName: string; deploymentGroupNames: string[] }) {
      const names = [...new Set(input.deploymentGroupNames)];
      if (names.length === 0) throw cdError('DeploymentGroupNameRequiredException', 'The deployment group name was not specified.');
      if (names.length > MAX_BATCH) throw cdError('BatchLimitExceededException', `The maximum number of names allowed for this request (${MAX_BATCH}) was exceeded.`);
      const app = requireApplication(deps, input.applicationName);
      const found: DeploymentGroupRecord[] = [];
      const missing: string[] = [];
      for (const n of names) {
        const g = records.group(app.applicationId, n);
        if (g) found.push(g);
        else missing.push(n);
      }
      return {
        deploymentGroupsInfo: found.map((g) => groupToWire(app, g, targetRevision(g))),
        errorMessage: missing.length ? `Deployment groups not found in application ${app.applicationName}: ${missing.join(', ')}` : undefined,
      };
    },

    ListDeploymentGroups(input: { applicationName: string; nextToken?: string }) {
      const app = requireApplication(deps, input.applicationName);
      const p = page(records.groups(app.applicationId).map((g) => g.deploymentGroupName), input.nextToken, `ListDeploymentGroups:${app.applicationId}`);
      return { applicationName: app.applicationName, deploymentGroups: p.items, nextToken: p.nextToken };
    },

    UpdateDeploymentGroup(input: GroupSettings & { applicationName: string; currentDeploymentGroupName: string; newDeploymentGroupName?: string }) {
      const app = requireApplication(deps, input.applicationName);
      const existing = requireGroup(app, input.currentDeploymentGroupName);
      const name = input.newDeploymentGroupName ?? existing.deploymentGroupName;
      if (name !== existing.deploymentGroupName) {
        checkName(name, 'InvalidDeploymentGroupNameException', 'deployment group name');
        if (records.group(app.applicationId, name)) throw cdError('DeploymentGroupAlreadyExistsException', `Deployment Group already exists with name ${name} in application ${app.applicationName}`);
      }
      const g = buildGroup(deps, app, input, { id: existing.deploymentGroupId, name, createTime: existing.createTime, existing });
      if (name !== existing.deploymentGroupName) {
        moveTags(deps, deploymentGroupArn(deps.scope, app.applicationName, existing.deploymentGroupName), deploymentGroupArn(deps.scope, app.applicationName, name));
      }
      records.saveGroup(g);
      return { hooksNotCleanedUp: [] };
    },

    DeleteDeploymentGroup(input: { applicationName: string; deploymentGroupName: string }) {
      // Deleting a group that is not there (or of an application that is not) succeeds: the
      // model gives DeleteDeploymentGroup no "does not exist" error.
      const app = records.application(input.applicationName);
      const g = app && records.group(app.applicationId, input.deploymentGroupName);
      if (app && g) {
        deps.tags.clear(deploymentGroupArn(deps.scope, app.applicationName, g.deploymentGroupName));
        records.deleteGroup(g.deploymentGroupId);
      }
      return { hooksNotCleanedUp: [] };
    },
  };
}
