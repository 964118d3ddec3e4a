/**
 * Unit-test support: Application Auto Scaling with ECS, ELBv2 and CloudWatch over one in-memory
 * store, called the way api/ calls them (input checked against the model, output shaped by it).
 * The fixture makes cluster `main` with REPLICA service `web` (desiredCount 2) and a DAEMON
 * service `daemon`.
 */
import assert from 'node:assert/strict';
import type { ServiceDefinition } from '../../api/index.js';
import { callOperation, testContext } from '../../api/test-support.js';
import { Store } from '../../state/index.js';
import { createCloudWatchService } from '../cloudwatch/index.js';
import { createEcsService } from '../ecs/index.js';
import { createElbv2 } from '../elbv2/index.js';
import { cloudWatchAlarmsDoor, createApplicationAutoScaling, type ApplicationAutoScaling } from './index.js';

export const TEST_SCOPE = { accountId: '123456789012', region: 'us-east-1' };
const ctx = testContext(TEST_SCOPE);
export const WEB = 'service/main/web';
export const ECS_KEY = { ServiceNamespace: 'ecs', ResourceId: WEB, ScalableDimension: 'ecs:service:DesiredCount' };

export interface Harness {
  store: Store;
  aas: ApplicationAutoScaling;
  /** Moves the clock by `seconds`. */
  advance(seconds: number): void;
  call(op: string, input: object): Promise<any>;
  fails(op: string, input: object, code: string, message?: RegExp): Promise<void>;
  ecs(op: string, input: object): Promise<any>;
  elb(op: string, input: object): Promise<any>;
  cw(op: string, input: object): Promise<any>;
  /** The desiredCount of service `web`. */
  desired(): Promise<number>;
  /** How many times scaling woke the scheduler. */
  wakes(): number;
}

/** `timeScale`: Berth's --time-scale for Application Auto Scaling (cooldowns, the repeater's minute). */
export async function harness(options: { timeScale?: number } = {}): Promise<Harness> {
  const store = Store.openFile(':memory:');
  let clock = Date.parse('2026-11-30T00:00:00Z');
  const now = () => new Date(clock);
  const elbv2 = createElbv2({ store, scope: TEST_SCOPE });
  const ecs = createEcsService({ store, scope: TEST_SCOPE, now, targetGroups: (arn) => elbv2.ecsTargets.targetGroup(arn) });
  let wakes = 0;
  const aas = createApplicationAutoScaling({ store, scope: TEST_SCOPE, now, onServiceChange: () => wakes++, timeScale: options.timeScale });
  const cloudwatch: ServiceDefinition = createCloudWatchService({ store, now: () => clock, onAlarmAction: (a, s, arns) => aas.onAlarmAction(a, s, arns) });
  aas.bindAlarms(cloudWatchAlarmsDoor(cloudwatch, TEST_SCOPE));
  const call = (op: string, input: object) => callOperation(store, aas.service, ctx, op, input);
  const ecsCall = (op: string, input: object) => callOperation(store, ecs, ctx, op, input);
  await ecsCall('CreateCluster', { clusterName: 'main' });
  await ecsCall('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'web:1', memory: 128, essential: true }] });
  await ecsCall('CreateService', { cluster: 'main', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 });
  await ecsCall('CreateService', { cluster: 'main', serviceName: 'daemon', taskDefinition: 'web', schedulingStrategy: 'DAEMON' });
  return {
    store,
    aas,
    advance: (seconds) => (clock += seconds * 1000),
    call,
    async fails(op, input, code, message) {
      let caught: any;
      await call(op, input).catch((e) => (caught = e));
      assert.ok(caught, `expected ${op} to fail with ${code}`);
      assert.equal(caught.code, code, caught.message);
      if (message) assert.match(caught.message, message);
    },
    ecs: ecsCall,
    elb: (op, input) => callOperation(store, elbv2.service, ctx, op, input),
    cw: (op, input) => callOperation(store, cloudwatch, ctx, op, input),
    async desired() {
      return (await ecsCall('DescribeServices', { cluster: 'main', services: ['web'] })).services[0].desiredCount;
    },
    wakes: () => wakes,
  };
}
