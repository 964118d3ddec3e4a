import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, TEST_INSTANCE } from './test-support.js';

const attrMap = (attrs: any[]) => Object.fromEntries(attrs.map((a) => [a.Key, a.Value]));

describe('ELBv2 target groups', () => {
  it('creates an HTTP group with AWS health check defaults and attribute defaults', async () => {
    const h = harness();
    const tg = await h.tg('app');
    assert.match(tg.TargetGroupArn, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/app\/[0-9a-f]{16}$/);
    assert.deepEqual(
      { ...tg, TargetGroupArn: undefined },
      {
        TargetGroupName: 'app', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-0abc', HealthCheckProtocol: 'HTTP', HealthCheckPort: 'traffic-port', HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, HealthCheckPath: '/', Matcher: { HttpCode: '200' },
        LoadBalancerArns: [], TargetType: 'instance', ProtocolVersion: 'HTTP1', IpAddressType: 'ipv4', TargetGroupArn: undefined,
      },
    );
    const attrs = attrMap((await h.call('DescribeTargetGroupAttributes', { TargetGroupArn: tg.TargetGroupArn })).Attributes);
    assert.equal(attrs['deregistration_delay.timeout_seconds'], '300');
    assert.equal(attrs['slow_start.duration_seconds'], '0');
    assert.equal(attrs['stickiness.enabled'], 'false');
    assert.equal(attrs['stickiness.type'], 'lb_cookie');
    assert.equal(attrs['stickiness.lb_cookie.duration_seconds'], '86400');
    assert.equal(attrs['load_balancing.algorithm.type'], 'round_robin');
  });

  it('checks names, protocols, target types and health check ranges, and makes nothing on error', async () => {
    const h = harness();
    await h.fails('CreateTargetGroup', { Name: 'x'.repeat(33), Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' }, 'ValidationError', /cannot be longer than '32' characters/);
    await h.fails('CreateTargetGroup', { Name: 'a.b', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' }, 'ValidationError', /alphanumeric/);
    await h.fails('CreateTargetGroup', { Name: 'app-', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' }, 'ValidationError', /cannot begin or end with '-'/);
    await h.fails('CreateTargetGroup', { Name: 'tls', Protocol: 'HTTPS', Port: 443, VpcId: 'vpc-1' }, 'UnsupportedProtocol', /HTTPS/);
    await h.fails('CreateTargetGroup', { Name: 'tcp', Protocol: 'TCP', Port: 443, VpcId: 'vpc-1' }, 'UnsupportedProtocol', /'TCP'/);
    await h.fails('CreateTargetGroup', { Name: 'fn', TargetType: 'lambda' }, 'ValidationError', /'lambda' is not supported/);
    await h.fails('CreateTargetGroup', { Name: 'alb', TargetType: 'alb', Protocol: 'TCP', Port: 80, VpcId: 'vpc-1' }, 'ValidationError', /'alb' is not supported/);
    await h.fails('CreateTargetGroup', { Name: 'noport', Protocol: 'HTTP', VpcId: 'vpc-1' }, 'ValidationError', /A port must be specified/);
    await h.fails('CreateTargetGroup', { Name: 'novpc', Protocol: 'HTTP', Port: 80 }, 'ValidationError', /A VPC ID must be specified/);
    const base = { Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1' };
    await h.fails('CreateTargetGroup', { Name: 'hc1', ...base, HealthCheckIntervalSeconds: 4 }, 'ValidationError', /healthCheckIntervalSeconds|HealthCheckIntervalSeconds/);
    await h.fails('CreateTargetGroup', { Name: 'hc2', ...base, HealthCheckTimeoutSeconds: 121 }, 'ValidationError', /HealthCheckTimeoutSeconds|healthCheckTimeoutSeconds/);
    await h.fails('CreateTargetGroup', { Name: 'hc3', ...base, HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 }, 'ValidationError', /timeout '10' must be smaller than the interval '10'/);
    await h.fails('CreateTargetGroup', { Name: 'hc4', ...base, HealthyThresholdCount: 11 }, 'ValidationError', /HealthyThresholdCount|healthyThresholdCount/);
    await h.fails('CreateTargetGroup', { Name: 'hc5', ...base, UnhealthyThresholdCount: 1 }, 'ValidationError', /UnhealthyThresholdCount|unhealthyThresholdCount/);
    await h.fails('CreateTargetGroup', { Name: 'hc6', ...base, Matcher: { HttpCode: '500' } }, 'ValidationError', /between 200 and 499/);
    await h.fails('CreateTargetGroup', { Name: 'hc7', ...base, Matcher: { HttpCode: '299-200' } }, 'ValidationError', /between 200 and 499/);
    await h.fails('CreateTargetGroup', { Name: 'hc8', ...base, HealthCheckPath: 'health' }, 'ValidationError', /must begin with a '\/'/);
    await h.fails('CreateTargetGroup', { Name: 'hc9', ...base, HealthCheckPort: '70000' }, 'ValidationError', /traffic-port/);
    await h.fails('CreateTargetGroup', { Name: 'hc10', ...base, ProtocolVersion: 'GRPC' }, 'ValidationError', /'GRPC' is not supported/);
    assert.deepEqual((await h.call('DescribeTargetGroups', {})).TargetGroups, []);
    const ok = await h.tg('custom', { HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, Matcher: { HttpCode: '200-299,302' }, HealthCheckPort: '9000', TargetType: 'ip' });
    assert.deepEqual([ok.HealthCheckPath, ok.HealthCheckIntervalSeconds, ok.HealthCheckTimeoutSeconds, ok.HealthyThresholdCount, ok.Matcher.HttpCode, ok.HealthCheckPort, ok.TargetType], ['/health', 5, 2, 2, '200-299,302', '9000', 'ip']);
  });

  it('is idempotent for the same settings and answers DuplicateTargetGroupName otherwise', async () => {
    const h = harness();
    const a = await h.tg('app');
    assert.equal((await h.tg('app')).TargetGroupArn, a.TargetGroupArn);
    await h.fails('CreateTargetGroup', { Name: 'app', Protocol: 'HTTP', Port: 9090, VpcId: 'vpc-0abc' }, 'DuplicateTargetGroupName', /A target group with the same name 'app' exists, but with different settings/);
  });

  it('modifies health checks within the rules', async () => {
    const h = harness();
    const tg = await h.tg('app');
    const m = (await h.call('ModifyTargetGroup', { TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: '/ready', HealthCheckIntervalSeconds: 10 })).TargetGroups[0];
    assert.deepEqual([m.HealthCheckPath, m.HealthCheckIntervalSeconds, m.HealthCheckTimeoutSeconds], ['/ready', 10, 5]);
    await h.fails('ModifyTargetGroup', { TargetGroupArn: tg.TargetGroupArn, HealthCheckTimeoutSeconds: 10 }, 'ValidationError', /must be smaller than the interval/);
    await h.fails('ModifyTargetGroup', { TargetGroupArn: tg.TargetGroupArn.replace(/[0-9a-f]{16}$/, '0'.repeat(16)) }, 'TargetGroupNotFound', /One or more target groups not found/);
  });

  it('checks target group attributes as ELBv2 does', async () => {
    const h = harness();
    const arn = (await h.tg('app')).TargetGroupArn;
    const set = (Key: string, Value: string) => ({ TargetGroupArn: arn, Attributes: [{ Key, Value }] });
    await h.fails('ModifyTargetGroupAttributes', set('deregistration_delay.timeout_seconds', '3601'), 'ValidationError', /between 0 and 3600/);
    await h.fails('ModifyTargetGroupAttributes', set('slow_start.duration_seconds', '10'), 'ValidationError', /0 \(off\) or an integer between 30 and 900/);
    await h.fails('ModifyTargetGroupAttributes', set('stickiness.type', 'source_ip'), 'ValidationError', /lb_cookie, app_cookie/);
    await h.fails('ModifyTargetGroupAttributes', set('load_balancing.algorithm.type', 'random'), 'ValidationError', /round_robin/);
    await h.fails('ModifyTargetGroupAttributes', set('stickiness.lb_cookie.duration_seconds', '0'), 'ValidationError', /between 1 and 604800/);
    await h.fails('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'app_cookie' }] }, 'ValidationError', /cookie_name' must be specified/);
    await h.fails('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: 'stickiness.app_cookie.cookie_name', Value: 'AWSALBAPP-1' }] }, 'ValidationError', /reserved/);
    await h.call('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '30' }, { Key: 'deregistration_delay.timeout_seconds', Value: '0' }] });
    await h.fails('ModifyTargetGroupAttributes', set('load_balancing.algorithm.type', 'least_outstanding_requests'), 'InvalidConfigurationRequest', /Slow start/);
    const out = attrMap((await h.call('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '0' }, { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }, { Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'app_cookie' }, { Key: 'stickiness.app_cookie.cookie_name', Value: 'SESSION' }] })).Attributes);
    assert.equal(out['load_balancing.algorithm.type'], 'least_outstanding_requests');
    assert.equal(out['deregistration_delay.timeout_seconds'], '0');
    assert.equal(out['stickiness.app_cookie.cookie_name'], 'SESSION');
  });

  it('registers Berth\'s instance and IPv4 targets, refuses others with InvalidTarget, and deregisters', async () => {
    const h = harness();
    const inst = (await h.tg('inst')).TargetGroupArn;
    const ip = (await h.tg('ips', { TargetType: 'ip' })).TargetGroupArn;
    await h.fails('RegisterTargets', { TargetGroupArn: inst, Targets: [{ Id: 'i-0123456789abcdef0' }] }, 'InvalidTarget', new RegExp(`'i-0123456789abcdef0'.*'${TEST_INSTANCE}'`));
    await h.fails('RegisterTargets', { TargetGroupArn: ip, Targets: [{ Id: '10.0.0.300' }] }, 'InvalidTarget', /not valid IPv4 addresses: '10.0.0.300'/);
    await h.fails('RegisterTargets', { TargetGroupArn: ip, Targets: [{ Id: '10.0.0.1', Port: 0 }] }, 'ValidationError', /Port|port/);
    await h.call('RegisterTargets', { TargetGroupArn: inst, Targets: [{ Id: TEST_INSTANCE }, { Id: TEST_INSTANCE, Port: 9001 }] });
    await h.call('RegisterTargets', { TargetGroupArn: inst, Targets: [{ Id: TEST_INSTANCE }] });
    await h.call('RegisterTargets', { TargetGroupArn: ip, Targets: [{ Id: '10.1.2.3', Port: 80, AvailabilityZone: 'all' }] });
    const health = (await h.call('DescribeTargetHealth', { TargetGroupArn: inst })).TargetHealthDescriptions;
    assert.deepEqual(
      health.map((d: any) => [d.Target.Id, d.Target.Port, d.HealthCheckPort, d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description]),
      [
        [TEST_INSTANCE, 8080, '8080', 'unused', 'Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer'],
        [TEST_INSTANCE, 9001, '9001', 'unused', 'Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer'],
      ],
    );
    await h.fails('DeregisterTargets', { TargetGroupArn: inst, Targets: [{ Id: TEST_INSTANCE, Port: 9999 }] }, 'InvalidTarget', /not registered/);
    await h.call('DeregisterTargets', { TargetGroupArn: inst, Targets: [{ Id: TEST_INSTANCE, Port: 9001 }] });
    const one = (await h.call('DescribeTargetHealth', { TargetGroupArn: inst, Targets: [{ Id: TEST_INSTANCE, Port: 9001 }] })).TargetHealthDescriptions;
    assert.deepEqual(one.map((d: any) => [d.TargetHealth.State, d.TargetHealth.Reason]), [['unused', 'Target.NotRegistered']]);
    // Once a listener uses the group, its targets read initial until the data plane reports on them.
    const lb = await h.lb('web');
    await h.listener(lb.LoadBalancerArn, 80, inst);
    const used = (await h.call('DescribeTargetHealth', { TargetGroupArn: inst })).TargetHealthDescriptions;
    assert.deepEqual(used.map((d: any) => [d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description]), [['initial', 'Elb.RegistrationInProgress', 'Target registration is in progress']]);
  });

  it('answers TooManyTargets past 1000 targets and registers none of the batch', async () => {
    const h = harness();
    const ip = (await h.tg('ips', { TargetType: 'ip' })).TargetGroupArn;
    const targets = Array.from({ length: 1001 }, (_, i) => ({ Id: `10.0.${i >> 8}.${i & 255}`, Port: 80 }));
    await h.fails('RegisterTargets', { TargetGroupArn: ip, Targets: targets }, 'TooManyTargets', /1000/);
    assert.equal((await h.call('DescribeTargetHealth', { TargetGroupArn: ip })).TargetHealthDescriptions.length, 0);
    await h.call('RegisterTargets', { TargetGroupArn: ip, Targets: targets.slice(0, 1000) });
    assert.equal((await h.call('DescribeTargetHealth', { TargetGroupArn: ip })).TargetHealthDescriptions.length, 1000);
  });

  it('refuses to delete a group a listener or rule uses (ResourceInUse), then deletes it once unused', async () => {
    const h = harness();
    const lb = await h.lb('web');
    const a = (await h.tg('a')).TargetGroupArn;
    const b = (await h.tg('b')).TargetGroupArn;
    const l = await h.listener(lb.LoadBalancerArn, 80, a);
    const rule = (await h.call('CreateRule', { ListenerArn: l.ListenerArn, Priority: 5, Conditions: [{ Field: 'path-pattern', Values: ['/b/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: b }] })).Rules[0];
    await h.fails('DeleteTargetGroup', { TargetGroupArn: a }, 'ResourceInUse', /is currently in use by a listener or a rule/);
    await h.fails('DeleteTargetGroup', { TargetGroupArn: b }, 'ResourceInUse');
    assert.deepEqual((await h.call('DescribeTargetGroups', { LoadBalancerArn: lb.LoadBalancerArn })).TargetGroups.map((t: any) => [t.TargetGroupName, t.LoadBalancerArns]), [['a', [lb.LoadBalancerArn]], ['b', [lb.LoadBalancerArn]]]);
    await h.call('DeleteRule', { RuleArn: rule.RuleArn });
    await h.call('DeleteTargetGroup', { TargetGroupArn: b });
    await h.fails('DescribeTargetGroups', { TargetGroupArns: [b] }, 'TargetGroupNotFound');
    await h.fails('DescribeTargetGroups', { Names: ['b'] }, 'TargetGroupNotFound', /'\[b\]' not found/);
    await h.call('DeleteListener', { ListenerArn: l.ListenerArn });
    await h.call('DeleteTargetGroup', { TargetGroupArn: a });
    assert.deepEqual((await h.call('DescribeTargetGroups', {})).TargetGroups, []);
  });
});
