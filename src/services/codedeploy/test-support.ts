/**
 * Unit-test support: CodeDeploy, ECS and ELBv2 over one store (in memory by default), called the
 * way api/ calls them (input checked against the model, output shaped by the model), without
 * HTTP. The fixture builds what a deployment group points at: a load balancer, two target
 * groups, a production and a test listener, and an ECS service under the CODE_DEPLOY controller.
 */
import assert from 'node:assert/strict';
import type { ServiceDefinition } from '../../api/index.js';
import { callOperation, testContext } from '../../api/test-support.js';
import { Store } from '../../state/index.js';
import { createEcsService } from '../ecs/index.js';
import { createElbv2 } from '../elbv2/index.js';
import type { DeploymentRecord } from './deployment-types.js';
import { createCodeDeployService } from './index.js';
import { Records } from './records.js';

export const TEST_SCOPE = { accountId: '123456789012', region: 'us-east-1' };
export const ROLE = 'arn:aws:iam::123456789012:role/ecsCodeDeployRole';
const ctx = testContext(TEST_SCOPE);

/** Calls `op` of `service` as api/ would; resolves to its shaped output. */
export function callService(store: Store, service: ServiceDefinition, op: string, input: object): Promise<any> {
  return callOperation(store, service, ctx, op, input);
}

/** What the fixture made in ECS and ELBv2. */
export interface Fixture {
  blue: string;
  green: string;
  prodListener: string;
  testListener: string;
}

export interface Harness {
  store: Store;
  codedeploy: ServiceDefinition;
  /** Calls a CodeDeploy operation. */
  call(op: string, input: object): Promise<any>;
  /** Asserts the CodeDeploy call fails with `code` and a message matching `message`. */
  fails(op: string, input: object, code: string, message?: RegExp): Promise<void>;
  ecs(op: string, input: object): Promise<any>;
  elb(op: string, input: object): Promise<any>;
  /** Makes a load balancer, target groups `blue` and `green`, listeners on 8080 and 8081, and cluster `main` with CODE_DEPLOY service `web`. */
  fixture(): Promise<Fixture>;
  /** A valid CreateDeploymentGroup input for the fixture (application `app`, group `dg`), with `extra` over it. */
  groupInput(f: Fixture, extra?: object): any;
  /** The fixture, application `app` (ECS) and group `dg` (with `groupExtra` over the group input). */
  deploymentGroup(groupExtra?: object): Promise<Fixture>;
  /** Calls CreateDeployment of `app`/`dg` with {@link appSpecYaml} as AppSpecContent, `extra` over the input; resolves to the id. */
  deploy(extra?: object): Promise<string>;
  /** The stored deployment record (what the engine reads). */
  record(id: string): DeploymentRecord;
  /** Saves `change(record)` over the stored record, as the engine would (tests move statuses this way). */
  update(id: string, change: (d: DeploymentRecord) => Partial<DeploymentRecord>): DeploymentRecord;
  /** How many times CodeDeploy woke the deployment engine (onDeploymentChange). */
  wakes(): number;
}

/** An ECS AppSpec file for the fixture's `web` task definition, container `web` port 8080, with `hooks` lines. */
export function appSpecYaml(opts: { taskDefinition?: string; hooks?: string } = {}): string {
  return [
    'version: 0.0',
    'Resources:',
    '  - TargetService:',
    '      Type: AWS::ECS::Service',
    '      Properties:',
    `        TaskDefinition: "${opts.taskDefinition ?? 'web:1'}"`,
    '        LoadBalancerInfo:',
    '          ContainerName: "web"',
    '          ContainerPort: 8080',
    ...(opts.hooks ? ['Hooks:', opts.hooks] : []),
    '',
  ].join('\n');
}

export function harness(store: Store = Store.openFile(':memory:')): Harness {
  const elbv2 = createElbv2({ store, scope: TEST_SCOPE });
  const ecs = createEcsService({ store, scope: TEST_SCOPE, targetGroups: (arn) => elbv2.ecsTargets.targetGroup(arn) });
  let wakes = 0;
  const codedeploy = createCodeDeployService({ store, scope: TEST_SCOPE, onDeploymentChange: () => wakes++ });
  const records = new Records(store);
  const call = (op: string, input: object) => callService(store, codedeploy, op, input);
  const elb = (op: string, input: object) => callService(store, elbv2.service, op, input);
  const ecsCall = (op: string, input: object) => callService(store, ecs, op, input);
  const h: Harness = {
    store,
    codedeploy,
    call,
    elb,
    ecs: ecsCall,
    async fails(op, input, code, message) {
      let caught: any;
      await call(op, input).catch((e) => (caught = e));
      assert.ok(caught, `expected ${op} to fail with ${code}`);
      assert.equal(caught.code, code, caught.message);
      if (message) assert.match(caught.message, message);
    },
    async fixture() {
      const lb = (await elb('CreateLoadBalancer', { Name: 'web', Subnets: ['subnet-a1', 'subnet-b2'] })).LoadBalancers[0];
      const tg = async (Name: string) => (await elb('CreateTargetGroup', { Name, Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' })).TargetGroups[0].TargetGroupArn;
      const blue = await tg('blue');
      const green = await tg('green');
      const listener = async (Port: number, to: string) =>
        (await elb('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port, DefaultActions: [{ Type: 'forward', TargetGroupArn: to }] })).Listeners[0].ListenerArn;
      const prodListener = await listener(8080, blue);
      const testListener = await listener(8081, green);
      await ecsCall('CreateCluster', { clusterName: 'main' });
      await ecsCall('RegisterTaskDefinition', {
        family: 'web', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
        containerDefinitions: [{ name: 'web', image: 'web:1', essential: true, portMappings: [{ containerPort: 8080 }] }],
      });
      const net = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } };
      await ecsCall('CreateService', {
        cluster: 'main', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 1, launchType: 'FARGATE', networkConfiguration: net,
        deploymentController: { type: 'CODE_DEPLOY' }, loadBalancers: [{ targetGroupArn: blue, containerName: 'web', containerPort: 8080 }],
      });
      // A service under the ECS controller, which a deployment group must refuse.
      await ecsCall('CreateService', { cluster: 'main', serviceName: 'rolling', taskDefinition: 'web:1', desiredCount: 1, launchType: 'FARGATE', networkConfiguration: net });
      return { blue, green, prodListener, testListener };
    },
    groupInput(f, extra = {}) {
      return {
        applicationName: 'app',
        deploymentGroupName: 'dg',
        serviceRoleArn: ROLE,
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        ecsServices: [{ clusterName: 'main', serviceName: 'web' }],
        loadBalancerInfo: {
          targetGroupPairInfoList: [{ targetGroups: [{ name: 'blue' }, { name: 'green' }], prodTrafficRoute: { listenerArns: [f.prodListener] }, testTrafficRoute: { listenerArns: [f.testListener] } }],
        },
        ...extra,
      };
    },
    async deploymentGroup(groupExtra = {}) {
      const f = await h.fixture();
      await call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
      await call('CreateDeploymentGroup', h.groupInput(f, groupExtra));
      return f;
    },
    async deploy(extra = {}) {
      const input = { applicationName: 'app', deploymentGroupName: 'dg', revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpecYaml() } }, ...extra };
      return (await call('CreateDeployment', input)).deploymentId;
    },
    record(id) {
      const d = records.deployment(id);
      assert.ok(d, `deployment ${id} is stored`);
      return d;
    },
    update(id, change) {
      const d = h.record(id);
      const next = { ...d, ...change(d) };
      store.transaction(() => records.saveDeployment(next));
      return next;
    },
    wakes: () => wakes,
  };
  return h;
}
