/**
 * Deployment configurations: the predefined `CodeDeployDefault.*` ones (predefined.ts) and custom
 * ones with CreateDeploymentConfig, GetDeploymentConfig, ListDeploymentConfigs and
 * DeleteDeploymentConfig.
 */
import { randomUUID } from 'node:crypto';
import type { Operation } from '../../api/index.js';
import { deploymentConfigArn } from './arns.js';
import type { CodeDeployDeps } from './deps.js';
import { cdError, deploymentConfigDoesNotExist } from './errors.js';
import { checkName, page } from './names.js';
import { PREDEFINED_CONFIGS, PREDEFINED_PREFIX, predefinedConfig } from './predefined.js';
import type { ComputePlatform, DeploymentConfigRecord, TrafficRoutingConfig } from './records.js';

/** AWS's default quota of custom deployment configurations per account and region. */
export const MAX_CUSTOM_CONFIGS = 50;
/** The longest step of a time-based config Berth accepts, in minutes (two days, as the longest waits elsewhere in CodeDeploy). */
export const MAX_INTERVAL_MINUTES = 2880;

/** A configuration as CodeDeploy shows it. */
export const configToWire = (c: DeploymentConfigRecord) => ({
  deploymentConfigId: c.deploymentConfigId,
  deploymentConfigName: c.deploymentConfigName,
  minimumHealthyHosts: c.minimumHealthyHosts,
  createTime: new Date(c.createTime),
  computePlatform: c.computePlatform,
  trafficRoutingConfig: c.trafficRoutingConfig,
});

/** The configuration `name` (predefined or custom), if it exists. */
export const findConfig = (deps: CodeDeployDeps, name: string) => predefinedConfig(name) ?? deps.records.config(name);

/** The configuration `name`, or DeploymentConfigDoesNotExistException. */
export function requireConfig(deps: CodeDeployDeps, name: string): DeploymentConfigRecord {
  const c = findConfig(deps, name);
  if (!c) throw deploymentConfigDoesNotExist(name);
  return c;
}

interface WireTrafficRouting {
  type?: string;
  timeBasedCanary?: { canaryPercentage?: number; canaryInterval?: number };
  timeBasedLinear?: { linearPercentage?: number; linearInterval?: number };
}

/** Checks a traffic routing config for ECS or Lambda and returns it in its stored form. */
export function checkTrafficRouting(t: WireTrafficRouting | undefined): TrafficRoutingConfig {
  const bad = (why: string) => cdError('InvalidTrafficRoutingConfigurationException', `The traffic routing configuration is not valid: ${why}`);
  // A config without routing shifts everything at once, as AWS's AllAtOnce does.
  if (!t || t.type === undefined) {
    if (t?.timeBasedCanary || t?.timeBasedLinear) throw bad('type is required.');
    return { type: 'AllAtOnce' };
  }
  const percent = (v: number | undefined, what: string) => {
    if (v === undefined) throw bad(`${what} is required.`);
    if (!Number.isInteger(v) || v < 1 || v > 99) throw bad(`${what} must be between 1 and 99; got ${v}.`);
    return v;
  };
  const minutes = (v: number | undefined, what: string) => {
    if (v === undefined) throw bad(`${what} is required.`);
    if (!Number.isInteger(v) || v < 1 || v > MAX_INTERVAL_MINUTES) throw bad(`${what} must be between 1 and ${MAX_INTERVAL_MINUTES} minutes; got ${v}.`);
    return v;
  };
  switch (t.type) {
    case 'AllAtOnce':
      if (t.timeBasedCanary || t.timeBasedLinear) throw bad('an AllAtOnce config takes neither timeBasedCanary nor timeBasedLinear.');
      return { type: 'AllAtOnce' };
    case 'TimeBasedCanary':
      if (t.timeBasedLinear) throw bad('a TimeBasedCanary config takes timeBasedCanary, not timeBasedLinear.');
      if (!t.timeBasedCanary) throw bad('timeBasedCanary is required when type is TimeBasedCanary.');
      return {
        type: 'TimeBasedCanary',
        timeBasedCanary: { canaryPercentage: percent(t.timeBasedCanary.canaryPercentage, 'canaryPercentage'), canaryInterval: minutes(t.timeBasedCanary.canaryInterval, 'canaryInterval') },
      };
    case 'TimeBasedLinear':
      if (t.timeBasedCanary) throw bad('a TimeBasedLinear config takes timeBasedLinear, not timeBasedCanary.');
      if (!t.timeBasedLinear) throw bad('timeBasedLinear is required when type is TimeBasedLinear.');
      return {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: percent(t.timeBasedLinear.linearPercentage, 'linearPercentage'), linearInterval: minutes(t.timeBasedLinear.linearInterval, 'linearInterval') },
      };
    default:
      throw bad(`unknown type '${t.type}'.`);
  }
}

interface CreateInput {
  deploymentConfigName: string;
  minimumHealthyHosts?: { type?: 'HOST_COUNT' | 'FLEET_PERCENT'; value?: number };
  trafficRoutingConfig?: WireTrafficRouting;
  computePlatform?: ComputePlatform;
  zonalConfig?: unknown;
}

export function deploymentConfigOperations(deps: CodeDeployDeps): Record<string, Operation> {
  const { records } = deps;
  return {
    CreateDeploymentConfig(input: CreateInput) {
      const name = input.deploymentConfigName;
      checkName(name, 'InvalidDeploymentConfigNameException', 'deployment configuration name');
      if (name.startsWith(PREDEFINED_PREFIX)) {
        throw cdError('InvalidDeploymentConfigNameException', `The deployment configuration name '${name}' is not valid: the prefix ${PREDEFINED_PREFIX} is reserved for predefined configurations.`);
      }
      const platform = input.computePlatform ?? 'Server';
      const c: DeploymentConfigRecord = { deploymentConfigId: randomUUID(), deploymentConfigName: name, computePlatform: platform, createTime: deps.now().toISOString() };
      if (input.zonalConfig !== undefined) {
        throw cdError('InvalidZonalDeploymentConfigurationException', 'Berth does not support zonal deployment configurations (zonalConfig): it has one availability zone.');
      }
      if (platform === 'Server') {
        if (input.trafficRoutingConfig) throw cdError('InvalidTrafficRoutingConfigurationException', 'A traffic routing configuration applies to the ECS and Lambda compute platforms only, not Server.');
        const m = input.minimumHealthyHosts;
        if (!m || m.type === undefined || m.value === undefined) {
          throw cdError('InvalidMinimumHealthyHostValueException', 'minimumHealthyHosts with a type (HOST_COUNT or FLEET_PERCENT) and a value is required for the Server compute platform.');
        }
        if (m.value < 0 || (m.type === 'FLEET_PERCENT' && m.value > 99)) {
          throw cdError('InvalidMinimumHealthyHostValueException', `The minimum healthy hosts value ${m.value} is not valid for ${m.type}: use ${m.type === 'FLEET_PERCENT' ? '0 to 99' : '0 or more'}.`);
        }
        c.minimumHealthyHosts = { type: m.type, value: m.value };
      } else {
        if (input.minimumHealthyHosts) {
          throw cdError('InvalidMinimumHealthyHostValueException', `minimumHealthyHosts applies to the Server compute platform only, not ${platform}.`);
        }
        c.trafficRoutingConfig = checkTrafficRouting(input.trafficRoutingConfig);
      }
      if (records.config(name)) throw cdError('DeploymentConfigAlreadyExistsException', `Deployment Configuration already exists with name ${name}`);
      if (records.countConfigs() >= MAX_CUSTOM_CONFIGS) {
        throw cdError('DeploymentConfigLimitExceededException', `The limit of ${MAX_CUSTOM_CONFIGS} custom deployment configurations has been reached.`);
      }
      records.saveConfig(c);
      return { deploymentConfigId: c.deploymentConfigId };
    },

    GetDeploymentConfig(input: { deploymentConfigName: string }) {
      return { deploymentConfigInfo: configToWire(requireConfig(deps, input.deploymentConfigName)) };
    },

    ListDeploymentConfigs(input: { nextToken?: string }) {
      const names = [...PREDEFINED_CONFIGS.map((c) => c.deploymentConfigName), ...records.configNames()];
      const p = page(names, input.nextToken, 'ListDeploymentConfigs');
      return { deploymentConfigsList: p.items, nextToken: p.nextToken };
    },

    DeleteDeploymentConfig(input: { deploymentConfigName: string }) {
      const name = input.deploymentConfigName;
      if (predefinedConfig(name)) throw cdError('InvalidOperationException', `The predefined deployment configuration ${name} cannot be deleted.`);
      if (!records.config(name)) return {};
      if (records.configInUse(name)) throw cdError('DeploymentConfigInUseException', `The deployment configuration ${name} is still in use by a deployment group.`);
      const running = records.liveDeployments().find((d) => d.deploymentConfigName === name);
      if (running) throw cdError('DeploymentConfigInUseException', `The deployment configuration ${name} is still in use by deployment ${running.deploymentId}, which has not finished.`);
      deps.tags.clear(deploymentConfigArn(deps.scope, name));
      records.deleteConfig(name);
      return {};
    },
  };
}
