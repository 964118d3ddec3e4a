/**
 * The deployment configurations AWS predefines (`CodeDeployDefault.*`) for each compute
 * platform, with the same traffic routing. They exist in every account, cannot be created,
 * changed or deleted, and carry fixed ids so GetDeploymentConfig answers the same every time.
 */
import { createHash } from 'node:crypto';
import type { DeploymentConfigRecord, TrafficRoutingConfig } from './records.js';

/** The prefix AWS reserves for its own configurations. */
export const PREDEFINED_PREFIX = 'CodeDeployDefault.';
/** The configuration an ECS deployment group uses when none is named. */
export const DEFAULT_ECS_CONFIG = 'CodeDeployDefault.ECSAllAtOnce';
/** The configuration a Server deployment group uses when none is named. */
export const DEFAULT_SERVER_CONFIG = 'CodeDeployDefault.OneAtATime';
/** The configuration a Lambda deployment group uses when none is named. */
export const DEFAULT_LAMBDA_CONFIG = 'CodeDeployDefault.LambdaAllAtOnce';

// Predefined configurations have existed since before any account; a fixed time says so.
const EPOCH = '2014-10-06T00:00:00.000Z';

/** A stable UUID-shaped id derived from the name. */
function fixedId(name: string): string {
  const h = createHash('sha256').update(`codedeploy-predefined:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const allAtOnce: TrafficRoutingConfig = { type: 'AllAtOnce' };
const canary = (canaryPercentage: number, canaryInterval: number): TrafficRoutingConfig => ({ type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage, canaryInterval } });
const linear = (linearPercentage: number, linearInterval: number): TrafficRoutingConfig => ({ type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage, linearInterval } });

const routed = (name: string, computePlatform: 'ECS' | 'Lambda', trafficRoutingConfig: TrafficRoutingConfig): DeploymentConfigRecord => ({
  deploymentConfigId: fixedId(name),
  deploymentConfigName: PREDEFINED_PREFIX + name,
  computePlatform,
  createTime: EPOCH,
  trafficRoutingConfig,
});
const server = (name: string, type: 'HOST_COUNT' | 'FLEET_PERCENT', value: number): DeploymentConfigRecord => ({
  deploymentConfigId: fixedId(name),
  deploymentConfigName: PREDEFINED_PREFIX + name,
  computePlatform: 'Server',
  createTime: EPOCH,
  minimumHealthyHosts: { type, value },
});

/** Every predefined configuration, in the order ListDeploymentConfigs shows them. */
export const PREDEFINED_CONFIGS: readonly DeploymentConfigRecord[] = [
  server('OneAtATime', 'HOST_COUNT', 1),
  server('HalfAtATime', 'FLEET_PERCENT', 50),
  server('AllAtOnce', 'HOST_COUNT', 0),
  routed('LambdaAllAtOnce', 'Lambda', allAtOnce),
  routed('LambdaCanary10Percent5Minutes', 'Lambda', canary(10, 5)),
  routed('LambdaCanary10Percent10Minutes', 'Lambda', canary(10, 10)),
  routed('LambdaCanary10Percent15Minutes', 'Lambda', canary(10, 15)),
  routed('LambdaCanary10Percent30Minutes', 'Lambda', canary(10, 30)),
  routed('LambdaLinear10PercentEvery1Minute', 'Lambda', linear(10, 1)),
  routed('LambdaLinear10PercentEvery2Minutes', 'Lambda', linear(10, 2)),
  routed('LambdaLinear10PercentEvery3Minutes', 'Lambda', linear(10, 3)),
  routed('LambdaLinear10PercentEvery10Minutes', 'Lambda', linear(10, 10)),
  routed('ECSAllAtOnce', 'ECS', allAtOnce),
  routed('ECSLinear10PercentEvery1Minutes', 'ECS', linear(10, 1)),
  routed('ECSLinear10PercentEvery3Minutes', 'ECS', linear(10, 3)),
  routed('ECSCanary10Percent5Minutes', 'ECS', canary(10, 5)),
  routed('ECSCanary10Percent15Minutes', 'ECS', canary(10, 15)),
];

const byName = new Map(PREDEFINED_CONFIGS.map((c) => [c.deploymentConfigName, c]));

/** The predefined configuration `name`, if it is one. */
export const predefinedConfig = (name: string) => byName.get(name);
