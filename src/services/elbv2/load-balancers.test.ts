import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './test-support.js';

describe('ELBv2 load balancers', () => {
  it('creates an application load balancer with AWS-shaped defaults, its own loopback address and an elb.localhost DNS name', async () => {
    const h = harness();
    const lb = await h.lb('web');
    assert.match(lb.LoadBalancerArn, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
    assert.match(lb.DNSName, /^web-\d{10}\.us-east-1\.elb\.localhost$/);
    assert.equal(lb.CanonicalHostedZoneId, 'Z35SXDOTRQ7X7K');
    assert.equal(lb.Scheme, 'internet-facing');
    assert.equal(lb.Type, 'application');
    assert.equal(lb.IpAddressType, 'ipv4');
    assert.deepEqual(lb.State, { Code: 'provisioning' });
    assert.match(lb.VpcId, /^vpc-[0-9a-f]{17}$/);
    assert.equal(lb.AvailabilityZones.length, 2);
    assert.deepEqual(lb.AvailabilityZones.map((z: any) => z.ZoneName), ['us-east-1a', 'us-east-1b']);
    const address = lb.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress;
    assert.match(address, /^127\.(\d+)\.\d+\.\d+$/);
    assert.notEqual(address.split('.')[1], '0');
    assert.equal(lb.SecurityGroups.length, 1);
    const internal = await h.lb('api', { Scheme: 'internal', Subnets: ['subnet-1', 'subnet-2', 'subnet-3'], SecurityGroups: ['sg-9'] });
    assert.match(internal.DNSName, /^internal-api-\d{10}\.us-east-1\.elb\.localhost$/);
    assert.deepEqual(internal.AvailabilityZones.map((z: any) => [z.ZoneName, z.SubnetId]), [['us-east-1a', 'subnet-1'], ['us-east-1b', 'subnet-2'], ['us-east-1c', 'subnet-3']]);
    assert.deepEqual(internal.SecurityGroups, ['sg-9']);
    assert.notEqual(internal.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress, address);
    const described = (await h.call('DescribeLoadBalancers', { Names: ['web'] })).LoadBalancers[0];
    assert.deepEqual(described.State, { Code: 'active' });
    assert.equal(described.CreatedTime, lb.CreatedTime);
  });

  it('refuses bad names with ValidationError and says why', async () => {
    const h = harness();
    await h.fails('CreateLoadBalancer', { Name: 'a'.repeat(33) }, 'ValidationError', /cannot be longer than '32' characters/);
    await h.fails('CreateLoadBalancer', { Name: 'web_1' }, 'ValidationError', /alphanumeric characters or hyphens/);
    await h.fails('CreateLoadBalancer', { Name: '-web' }, 'ValidationError', /cannot begin or end with '-'/);
    await h.fails('CreateLoadBalancer', { Name: 'web-' }, 'ValidationError', /cannot begin or end with '-'/);
    await h.fails('CreateLoadBalancer', { Name: 'internal-web' }, 'ValidationError', /cannot begin with 'internal-'/);
    await h.lb('a'.repeat(32));
    assert.equal((await h.call('DescribeLoadBalancers', {})).LoadBalancers.length, 1);
  });

  it('answers network and gateway types, single subnets and bad ids clearly, and makes nothing', async () => {
    const h = harness();
    await h.fails('CreateLoadBalancer', { Name: 'nlb', Type: 'network' }, 'ValidationError', /type 'network' is not supported.*only 'application'/);
    await h.fails('CreateLoadBalancer', { Name: 'gw', Type: 'gateway' }, 'ValidationError', /'gateway'/);
    await h.fails('CreateLoadBalancer', { Name: 'one', Subnets: ['subnet-1'] }, 'ValidationError', /At least two subnets/);
    await h.fails('CreateLoadBalancer', { Name: 'both', Subnets: ['subnet-1', 'subnet-2'], SubnetMappings: [{ SubnetId: 'subnet-3' }] }, 'ValidationError', /not both/);
    await h.fails('CreateLoadBalancer', { Name: 'bad', Subnets: ['nope', 'subnet-2'] }, 'SubnetNotFound', /'nope'/);
    await h.fails('CreateLoadBalancer', { Name: 'sg', SecurityGroups: ['default'] }, 'InvalidSecurityGroup', /'default'/);
    await h.fails('CreateLoadBalancer', { Name: 'sch', Scheme: 'public' }, 'ValidationError', /Scheme/);
    assert.deepEqual((await h.call('DescribeLoadBalancers', {})).LoadBalancers, []);
  });

  it('is idempotent for the same settings and answers DuplicateLoadBalancerName otherwise', async () => {
    const h = harness();
    const a = await h.lb('web');
    const b = await h.lb('web');
    assert.equal(b.LoadBalancerArn, a.LoadBalancerArn);
    await h.fails('CreateLoadBalancer', { Name: 'web', Scheme: 'internal' }, 'DuplicateLoadBalancerName', /A load balancer with the same name 'web' exists, but with different settings/);
  });

  it('describes by ARNs or names, pages with Marker/PageSize, and reports what is missing', async () => {
    const h = harness();
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) arns.push((await h.lb(`lb${i}`)).LoadBalancerArn);
    const first = await h.call('DescribeLoadBalancers', { PageSize: 2 });
    assert.equal(first.LoadBalancers.length, 2);
    const second = await h.call('DescribeLoadBalancers', { PageSize: 2, Marker: first.NextMarker });
    const third = await h.call('DescribeLoadBalancers', { PageSize: 2, Marker: second.NextMarker });
    assert.equal(third.NextMarker, undefined);
    assert.deepEqual([...first.LoadBalancers, ...second.LoadBalancers, ...third.LoadBalancers].map((l: any) => l.LoadBalancerArn), arns);
    await h.fails('DescribeLoadBalancers', { Marker: 'garbage' }, 'ValidationError', /marker/);
    await h.fails('DescribeLoadBalancers', { PageSize: 401 }, 'ValidationError', /pageSize|PageSize/);
    assert.deepEqual((await h.call('DescribeLoadBalancers', { LoadBalancerArns: [arns[3]] })).LoadBalancers.map((l: any) => l.LoadBalancerName), ['lb3']);
    await h.fails('DescribeLoadBalancers', { Names: ['lb1', 'nope'] }, 'LoadBalancerNotFound', /'\[nope\]' not found/);
    await h.fails('DescribeLoadBalancers', { LoadBalancerArns: [arns[0].replace(/[0-9a-f]{16}$/, '0'.repeat(16))] }, 'LoadBalancerNotFound', /One or more load balancers not found/);
    await h.fails('DescribeLoadBalancers', { LoadBalancerArns: ['arn:aws:ecs:us-east-1:123456789012:cluster/x'] }, 'ValidationError', /not a valid load balancer ARN/);
    await h.fails('DescribeLoadBalancers', { LoadBalancerArns: [arns[0]], Names: ['lb0'] }, 'ValidationError', /cannot be specified at the same time/);
  });

  it('lists every ALB attribute with its default, checks values, and keeps changes', async () => {
    const h = harness();
    const lb = await h.lb('web', { Scheme: 'internal' });
    const attrs = (await h.call('DescribeLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn })).Attributes;
    const map = Object.fromEntries(attrs.map((a: any) => [a.Key, a.Value]));
    assert.equal(map['idle_timeout.timeout_seconds'], '60');
    assert.equal(map['routing.http.xff_header_processing.mode'], 'append');
    assert.equal(map['routing.http.drop_invalid_header_fields.enabled'], 'false');
    assert.equal(map['deletion_protection.enabled'], 'false');
    assert.equal(map['routing.http2.enabled'], 'true');
    assert.equal(map['ipv6.deny_all_igw_traffic'], 'true');
    assert.equal(map['client_keep_alive.seconds'], '3600');
    const arn = lb.LoadBalancerArn;
    const out = await h.call('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '120' }, { Key: 'routing.http.xff_header_processing.mode', Value: 'remove' }] });
    assert.ok(out.Attributes.some((a: any) => a.Key === 'idle_timeout.timeout_seconds' && a.Value === '120'));
    await h.fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '4001' }] }, 'ValidationError', /between 1 and 4000/);
    await h.fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'routing.http.xff_header_processing.mode', Value: 'drop' }] }, 'ValidationError', /append, preserve, remove/);
    await h.fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'no.such.key', Value: '1' }] }, 'ValidationError', /'no.such.key' is not recognized/);
    await h.fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'load_balancing.cross_zone.enabled', Value: 'false' }] }, 'InvalidConfigurationRequest', /Cross-zone/);
    await h.fails('ModifyLoadBalancerAttributes', { LoadBalancerArn: arn, Attributes: [{ Key: 'access_logs.s3.enabled', Value: 'true' }] }, 'InvalidConfigurationRequest', /S3/);
    const again = Object.fromEntries((await h.call('DescribeLoadBalancerAttributes', { LoadBalancerArn: arn })).Attributes.map((a: any) => [a.Key, a.Value]));
    assert.equal(again['idle_timeout.timeout_seconds'], '120');
    assert.equal(again['routing.http.xff_header_processing.mode'], 'remove');
  });

  it('deletes with its listeners, rules and tags; deletion protection refuses; deleting twice succeeds', async () => {
    const h = harness();
    const lb = await h.lb('web', { Tags: [{ Key: 'team', Value: 'a' }] });
    const tg = await h.tg('app');
    const l = await h.listener(lb.LoadBalancerArn, 8080, tg.TargetGroupArn);
    const rule = (await h.call('CreateRule', { ListenerArn: l.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/a'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }], Tags: [{ Key: 'r', Value: '1' }] })).Rules[0];
    await h.call('ModifyLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] });
    await h.fails('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn }, 'OperationNotPermitted', /deletion protection is enabled/);
    await h.call('ModifyLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] });
    await h.call('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn });
    await h.call('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn });
    await h.fails('DescribeListeners', { ListenerArns: [l.ListenerArn] }, 'ListenerNotFound');
    await h.fails('DescribeRules', { RuleArns: [rule.RuleArn] }, 'RuleNotFound');
    assert.equal(h.store.prepare('SELECT count(*) FROM resource_tags').pluck().get(), 0);
    // The target group stays, no longer used by any load balancer.
    assert.deepEqual((await h.call('DescribeTargetGroups', { Names: ['app'] })).TargetGroups[0].LoadBalancerArns, []);
    await h.call('DeleteTargetGroup', { TargetGroupArn: tg.TargetGroupArn });
  });

  it('changes subnets, security groups and IP address type', async () => {
    const h = harness();
    const lb = await h.lb('web');
    const arn = lb.LoadBalancerArn;
    const out = await h.call('SetSubnets', { LoadBalancerArn: arn, Subnets: ['subnet-x', 'subnet-y', 'subnet-z'] });
    assert.deepEqual(out.AvailabilityZones.map((z: any) => z.SubnetId), ['subnet-x', 'subnet-y', 'subnet-z']);
    await h.fails('SetSubnets', { LoadBalancerArn: arn, Subnets: ['subnet-x'] }, 'ValidationError', /At least two subnets/);
    assert.deepEqual((await h.call('SetSecurityGroups', { LoadBalancerArn: arn, SecurityGroups: ['sg-1', 'sg-2'] })).SecurityGroupIds, ['sg-1', 'sg-2']);
    await h.fails('SetSecurityGroups', { LoadBalancerArn: arn, SecurityGroups: ['web'] }, 'InvalidSecurityGroup');
    assert.equal((await h.call('SetIpAddressType', { LoadBalancerArn: arn, IpAddressType: 'dualstack' })).IpAddressType, 'dualstack');
    const d = (await h.call('DescribeLoadBalancers', { LoadBalancerArns: [arn] })).LoadBalancers[0];
    assert.deepEqual([d.AvailabilityZones.length, d.SecurityGroups, d.IpAddressType], [3, ['sg-1', 'sg-2'], 'dualstack']);
  });

  it('tags every resource type and checks tag rules', async () => {
    const h = harness();
    const lb = await h.lb('web');
    const tg = await h.tg('app');
    const l = await h.listener(lb.LoadBalancerArn, 80, tg.TargetGroupArn);
    const rule = (await h.call('DescribeRules', { ListenerArn: l.ListenerArn })).Rules[0];
    const arns = [lb.LoadBalancerArn, tg.TargetGroupArn, l.ListenerArn, rule.RuleArn];
    await h.call('AddTags', { ResourceArns: arns, Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'core' }] });
    await h.call('RemoveTags', { ResourceArns: [tg.TargetGroupArn], TagKeys: ['team'] });
    const d = (await h.call('DescribeTags', { ResourceArns: arns })).TagDescriptions;
    assert.deepEqual(d.map((x: any) => [x.ResourceArn, x.Tags.length]), [[arns[0], 2], [arns[1], 1], [arns[2], 2], [arns[3], 2]]);
    await h.fails('AddTags', { ResourceArns: [lb.LoadBalancerArn], Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }, 'DuplicateTagKeys', /'a'/);
    await h.fails('AddTags', { ResourceArns: [lb.LoadBalancerArn], Tags: [{ Key: 'aws:x', Value: '1' }] }, 'ValidationError', /reserved/);
    await h.fails('AddTags', { ResourceArns: [lb.LoadBalancerArn], Tags: Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, 'TooManyTags', /50/);
    await h.fails('DescribeTags', { ResourceArns: [tg.TargetGroupArn.replace(/[0-9a-f]{16}$/, 'f'.repeat(16))] }, 'TargetGroupNotFound');
    await h.fails('DescribeTags', { ResourceArns: ['arn:nope'] }, 'ValidationError', /not a valid/);
  });
});
