import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeSSLPoliciesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
  SetRulePrioritiesCommand,
  waitUntilLoadBalancerAvailable,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { hostInstanceId } from '../../src/services/elbv2/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';
import { namedBackend as backend, freePort, getFrom as get, until } from '../fixtures/http.js';

/** A real backend on 127.0.0.1 answering with its name and the path. */

const addressOf = (lb: LoadBalancer) => lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
const accountOf = (arn: string) => arn.split(':')[4];

describe('ELBv2 through @aws-sdk/client-elastic-load-balancing-v2', () => {
  let berth: TestBerth;
  let elb: ElasticLoadBalancingV2Client;
  const backends: { close(): Promise<void> }[] = [];
  const client = () => new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off' } });
    elb = client();
  });
  after(async () => {
    elb?.destroy();
    await berth?.cleanup();
    for (const b of backends) await b.close();
  });

  it('builds an ALB with path routing to two target groups and serves real HTTP through it; it survives kill -9', async () => {
    const [api, web] = [await backend('api'), await backend('web')];
    backends.push(api, web);
    const created = (await elb.send(new CreateLoadBalancerCommand({ Name: 'front', Subnets: ['subnet-a1', 'subnet-b2'], Tags: [{ Key: 'env', Value: 'e2e' }] }))).LoadBalancers![0];
    assert.equal(created.State?.Code, 'provisioning');
    assert.ok(created.CreatedTime instanceof Date);
    assert.match(created.DNSName!, /^front-\d{10}\.us-east-1\.elb\.localhost$/);
    await waitUntilLoadBalancerAvailable({ client: elb, maxWaitTime: 60, minDelay: 1 }, { Names: ['front'] });
    const lbArn = created.LoadBalancerArn!;
    const instance = hostInstanceId(accountOf(lbArn));
    const hc = { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, HealthCheckPath: '/health' };
    const apiTg = (await elb.send(new CreateTargetGroupCommand({ Name: 'api', Protocol: 'HTTP', Port: api.port, VpcId: created.VpcId, ...hc }))).TargetGroups![0].TargetGroupArn!;
    const webTg = (await elb.send(new CreateTargetGroupCommand({ Name: 'web', Protocol: 'HTTP', Port: web.port, VpcId: created.VpcId, TargetType: 'ip', ...hc }))).TargetGroups![0].TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: apiTg, Targets: [{ Id: instance }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: webTg, Targets: [{ Id: '127.0.0.1' }] }));
    const port = await freePort(addressOf(created));
    const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: webTg }] }))).Listeners![0];
    const rule = (await elb.send(new CreateRuleCommand({
      ListenerArn: listener.ListenerArn, Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: apiTg, Weight: 1 }] } }],
    }))).Rules![0];
    assert.equal(rule.Priority, '10');
    for (const tg of [apiTg, webTg]) {
      await until(`${tg} healthy`, async () => {
        const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions!;
        return d[0]?.TargetHealth?.State === 'healthy' ? true : undefined;
      });
    }
    assert.deepEqual(await get(addressOf(created), port, '/api/users'), { status: 200, body: 'api /api/users' });
    assert.deepEqual(await get(addressOf(created), port, '/index.html'), { status: 200, body: 'web /index.html' });

    // Berth is killed and started again on the same data dir: the configuration and the socket come back.
    await berth.kill9();
    elb.destroy();
    berth = await startBerthProcess({ dataDir: berth.dataDir, env: { BERTH_AGENT: 'off' } });
    elb = client();
    const again = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }))).LoadBalancers![0];
    assert.equal(addressOf(again), addressOf(created));
    assert.equal(again.State?.Code, 'active');
    assert.deepEqual((await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.map((r) => r.Priority), ['10', 'default']);
    assert.deepEqual((await elb.send(new DescribeTagsCommand({ ResourceArns: [lbArn] }))).TagDescriptions![0].Tags, [{ Key: 'env', Value: 'e2e' }]);
    const served = await until('served after restart', async () => {
      const r = await get(addressOf(created), port, '/api/again');
      return r.status === 200 ? r : undefined;
    });
    assert.deepEqual(served, { status: 200, body: 'api /api/again' });
  });

  it('answers bad input with ELBv2 error codes and messages, leaving nothing half-made', async () => {
    await rejectsWith(() => elb.send(new CreateLoadBalancerCommand({ Name: 'internal-x' })), 'ValidationError', /cannot begin with 'internal-'/);
    await rejectsWith(() => elb.send(new CreateLoadBalancerCommand({ Name: 'x'.repeat(33) })), 'ValidationError', /longer than '32'/);
    await rejectsWith(() => elb.send(new CreateLoadBalancerCommand({ Name: 'nlb', Type: 'network' })), 'ValidationError', /only 'application'/);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'bad-input' }))).LoadBalancers![0];
    await rejectsWith(() => elb.send(new CreateLoadBalancerCommand({ Name: 'bad-input', Scheme: 'internal' })), 'DuplicateLoadBalancerNameException', /same name 'bad-input' exists/);
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'bad-input', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' }))).TargetGroups![0].TargetGroupArn!;
    await rejectsWith(() => elb.send(new CreateTargetGroupCommand({ Name: 'bad-input', Protocol: 'HTTP', Port: 81, VpcId: 'vpc-1' })), 'DuplicateTargetGroupNameException');
    await rejectsWith(() => elb.send(new CreateTargetGroupCommand({ Name: 'hc', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 20 })), 'ValidationError', /must be smaller than the interval/);
    await rejectsWith(() => elb.send(new CreateTargetGroupCommand({ Name: 'hc', Protocol: 'HTTPS', Port: 443, VpcId: 'vpc-1' })), 'UnsupportedProtocolException');
    await rejectsWith(() => elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: 'i-0aaaaaaaaaaaaaaaa' }] })), 'InvalidTargetException', /not valid instances/);
    const port = await freePort(addressOf(lb));
    const l = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }))).Listeners![0];
    await rejectsWith(() => elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] })), 'DuplicateListenerException');
    await rejectsWith(() => elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port + 1, Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] })), 'CertificateNotFoundException');
    const cond = [{ Field: 'path-pattern', Values: ['/a'] }];
    const r1 = (await elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn, Priority: 1, Conditions: cond, Actions: [{ Type: 'forward', TargetGroupArn: tg }] }))).Rules![0];
    await rejectsWith(() => elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/b'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg }] })), 'PriorityInUseException', /Priority '1' is currently in use/);
    await rejectsWith(() => elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn, Priority: 2, Conditions: [{ Field: 'http-header', Values: ['x'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg }] })), 'ValidationError', /Values can only be used with host-header and path-pattern/);
    await rejectsWith(() => elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn, Priority: 50001, Conditions: cond, Actions: [{ Type: 'forward', TargetGroupArn: tg }] })), 'ValidationError', /priority|Priority/);
    await rejectsWith(() => elb.send(new ModifyRuleCommand({ RuleArn: r1.RuleArn, Actions: [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }] })), 'InvalidLoadBalancerActionException', /loop/);
    const r2 = (await elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn, Priority: 2, Conditions: [{ Field: 'path-pattern', Values: ['/b'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] }))).Rules![0];
    await rejectsWith(() => elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r1.RuleArn, Priority: 2 }] })), 'PriorityInUseException');
    await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r1.RuleArn, Priority: 2 }, { RuleArn: r2.RuleArn, Priority: 1 }] }));
    await rejectsWith(() => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg })), 'ResourceInUseException', /in use by a listener or a rule/);
    const other = (await elb.send(new CreateLoadBalancerCommand({ Name: 'bad-input-2' }))).LoadBalancers![0];
    await rejectsWith(() => elb.send(new CreateListenerCommand({ LoadBalancerArn: other.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] })), 'TargetGroupAssociationLimitException');
    assert.deepEqual((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: other.LoadBalancerArn }))).Listeners, []);
    await rejectsWith(() => elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '0' }] })), 'ValidationError', /between 1 and 4000/);
    const attrs = (await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes!;
    assert.ok(attrs.some((a) => a.Key === 'idle_timeout.timeout_seconds' && a.Value === '60'));
    await rejectsWith(() => elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })), 'LoadBalancerNotFoundException');
    await rejectsWith(() => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.replace(/[0-9a-f]{16}$/, '0'.repeat(16))] })), 'TargetGroupNotFoundException');
    await rejectsWith(() => elb.send(new DescribeListenersCommand({ ListenerArns: ['not-an-arn'] })), 'ValidationError', /not a valid listener ARN/);
    await rejectsWith(() => elb.send(new DescribeSSLPoliciesCommand({})), 'UnsupportedOperation', /DescribeSSLPolicies/);
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg }));
  });
});

describe('ELBv2 DNS names in a hosts file (BERTH_ELB_HOSTS_FILE)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hosts-e2e-'));
  const hosts = path.join(dir, 'hosts');
  let berth: TestBerth | undefined;
  after(async () => {
    await berth?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a DNSName -> address line per load balancer while Berth runs and removes its block when Berth stops', async () => {
    writeFileSync(hosts, '127.0.0.1\tlocalhost\n');
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off', BERTH_ELB_HOSTS_FILE: hosts } });
    const elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    try {
      const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'named' }))).LoadBalancers![0];
      const text = readFileSync(hosts, 'utf8');
      assert.ok(text.startsWith('127.0.0.1\tlocalhost\n# BEGIN berth elbv2 '), text);
      assert.ok(text.includes(`${addressOf(lb)}\t${lb.DNSName}\n`), text);
    } finally {
      elb.destroy();
    }
    assert.equal(await berth.stop(), 0);
    assert.equal(readFileSync(hosts, 'utf8'), '127.0.0.1\tlocalhost\n');
  });
});
