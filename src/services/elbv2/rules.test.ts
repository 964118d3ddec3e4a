import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { elbv2Snapshot } from './index.js';
import { harness, type Harness } from './test-support.js';

async function setup(h: Harness) {
  const lb = await h.lb('web');
  const tg = await h.tg('app');
  const l = await h.listener(lb.LoadBalancerArn, 80, tg.TargetGroupArn);
  return { lb: lb.LoadBalancerArn as string, tg: tg.TargetGroupArn as string, listener: l.ListenerArn as string };
}

const forward = (arn: string) => [{ Type: 'forward', TargetGroupArn: arn }];
const path = (...v: string[]) => ({ Field: 'path-pattern', PathPatternConfig: { Values: v } });

describe('ELBv2 listeners', () => {
  it('creates an HTTP listener with a default rule, normalizes its forward action, and describes it', async () => {
    const h = harness();
    const { lb, tg, listener } = await setup(h);
    assert.match(listener, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    const d = (await h.call('DescribeListeners', { LoadBalancerArn: lb })).Listeners;
    assert.deepEqual(d, [
      {
        ListenerArn: listener, LoadBalancerArn: lb, Port: 80, Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } }],
      },
    ]);
    const rules = (await h.call('DescribeRules', { ListenerArn: listener })).Rules;
    assert.equal(rules.length, 1);
    assert.deepEqual([rules[0].Priority, rules[0].IsDefault, rules[0].Conditions], ['default', true, []]);
    assert.match(rules[0].RuleArn, /:listener-rule\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    assert.deepEqual((await h.call('DescribeTargetGroups', { TargetGroupArns: [tg] })).TargetGroups[0].LoadBalancerArns, [lb]);
  });

  it('answers DuplicateListener for a taken port (same settings give the same listener), and HTTPS/TCP clearly', async () => {
    const h = harness();
    const { lb, tg, listener } = await setup(h);
    assert.equal((await h.listener(lb, 80, tg)).ListenerArn, listener);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }, 'DuplicateListener', /port 80/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 443, DefaultActions: forward(tg) }, 'ValidationError', /certificate must be specified/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 443, Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x' }], DefaultActions: forward(tg) }, 'CertificateNotFound', /no certificate store/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'TCP', Port: 81, DefaultActions: forward(tg) }, 'UnsupportedProtocol', /'TCP'/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 0, DefaultActions: forward(tg) }, 'ValidationError', /port|Port/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 82, DefaultActions: [] }, 'ValidationError', /At least one action/);
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 82, DefaultActions: [{ Type: 'authenticate-oidc' }] }, 'InvalidLoadBalancerAction', /not supported/);
    await h.fails('CreateListener', { LoadBalancerArn: lb.replace(/[0-9a-f]{16}$/, 'a'.repeat(16)), Protocol: 'HTTP', Port: 82, DefaultActions: forward(tg) }, 'LoadBalancerNotFound');
    await h.fails('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 82, DefaultActions: forward(tg.replace(/[0-9a-f]{16}$/, 'a'.repeat(16))) }, 'TargetGroupNotFound');
    assert.equal((await h.call('DescribeListeners', { LoadBalancerArn: lb })).Listeners.length, 1);
    await h.fails('DescribeListeners', {}, 'ValidationError', /either listener ARNs or a load balancer ARN/);
  });

  it('modifies port and default actions; the default rule follows', async () => {
    const h = harness();
    const { lb, listener } = await setup(h);
    await h.listener(lb, 81);
    await h.fails('ModifyListener', { ListenerArn: listener, Port: 81 }, 'DuplicateListener');
    const m = (await h.call('ModifyListener', { ListenerArn: listener, Port: 8080, DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] })).Listeners[0];
    assert.equal(m.Port, 8080);
    assert.deepEqual(m.DefaultActions, [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' } }]);
    const def = (await h.call('DescribeRules', { ListenerArn: listener })).Rules[0];
    assert.deepEqual(def.Actions, m.DefaultActions);
    // ModifyRule on the default rule changes the listener's default actions too.
    await h.call('ModifyRule', { RuleArn: def.RuleArn, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'ok' } }] });
    assert.deepEqual((await h.call('DescribeListeners', { ListenerArns: [listener] })).Listeners[0].DefaultActions, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'ok' } }]);
    await h.fails('ModifyRule', { RuleArn: def.RuleArn, Conditions: [path('/x')] }, 'OperationNotPermitted', /default rule/);
    await h.fails('DeleteRule', { RuleArn: def.RuleArn }, 'OperationNotPermitted', /default rule cannot be deleted/);
  });
});

describe('ELBv2 rules', () => {
  it('creates rules with every condition form, normalized as DescribeRules shows them, in priority order', async () => {
    const h = harness();
    const { listener, tg } = await setup(h);
    const create = (Priority: number, Conditions: object[]) => h.call('CreateRule', { ListenerArn: listener, Priority, Conditions, Actions: forward(tg) });
    await create(30, [{ Field: 'host-header', Values: ['api.example.com'] }]);
    await create(10, [{ Field: 'path-pattern', Values: ['/img/*'] }]);
    await create(20, [
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['canary'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'beta' }] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
    ]);
    const rules = (await h.call('DescribeRules', { ListenerArn: listener })).Rules;
    assert.deepEqual(rules.map((r: any) => r.Priority), ['10', '20', '30', 'default']);
    assert.deepEqual(rules[0].Conditions, [{ Field: 'path-pattern', Values: ['/img/*'], PathPatternConfig: { Values: ['/img/*'] } }]);
    assert.deepEqual(rules[2].Conditions, [{ Field: 'host-header', Values: ['api.example.com'], HostHeaderConfig: { Values: ['api.example.com'] } }]);
    assert.deepEqual(rules[1].Conditions, [
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['canary'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'beta' }] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
    ]);
    const page1 = await h.call('DescribeRules', { ListenerArn: listener, PageSize: 3 });
    assert.equal(page1.Rules.length, 3);
    assert.deepEqual((await h.call('DescribeRules', { ListenerArn: listener, Marker: page1.NextMarker })).Rules.map((r: any) => r.Priority), ['default']);
  });

  it('refuses invalid conditions with ValidationError and a precise message', async () => {
    const h = harness();
    const { listener, tg } = await setup(h);
    const cases: [object[], RegExp][] = [
      [[], /at least one condition/],
      [[{ Values: ['/x'] }], /condition field must be specified/],
      [[{ Field: 'cookie', Values: ['x'] }], /'cookie' is not valid/],
      [[{ Field: 'path-pattern', Values: ['/a', '/b'] }], /single value/],
      [[{ Field: 'path-pattern', Values: ['/a'], PathPatternConfig: { Values: ['/b'] } }], /not both/],
      [[{ Field: 'path-pattern', PathPatternConfig: { Values: [] } }], /At least one value/],
      [[{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a b'] } }], /not allowed/],
      [[{ Field: 'path-pattern', PathPatternConfig: { Values: ['/' + 'a'.repeat(128)] } }], /between 1 and 128/],
      [[{ Field: 'host-header', Values: ['localhost'] }], /at least one '\.'/],
      [[{ Field: 'host-header', Values: ['bad_host.com'] }], /can contain only/],
      [[{ Field: 'http-header', Values: ['x'] }], /Values can only be used with host-header and path-pattern/],
      [[{ Field: 'http-header', HttpHeaderConfig: { Values: ['x'] } }], /header name must be specified/],
      [[{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'Host', Values: ['x'] } }], /host-header condition/],
      [[{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['get'] } }], /'get' is not valid/],
      [[{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.*'] } }], /not a valid CIDR/],
      [[{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/33'] } }], /not a valid CIDR/],
      [[{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a' }] } }], /must have a value/],
      [[path('/a'), path('/b')], /only one 'path-pattern' condition/],
      [[{ Field: 'path-pattern', HostHeaderConfig: { Values: ['a.com'] } }], /HostHeaderConfig can only be specified for conditions of field 'host-header'/],
      [[path('/a', '/b', '/c'), { Field: 'host-header', HostHeaderConfig: { Values: ['a.com', 'b.com', 'c.com'] } }], /at most 5 condition values in total; this one has 6/],
      [[{ Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/a$'] } }], /RegexValues/],
      [[path('/a*/b*/c*'), { Field: 'host-header', HostHeaderConfig: { Values: ['*.a?c.com'] } }, { Field: 'query-string', QueryStringConfig: { Values: [{ Value: 'x*' }] } }], /at most 5 wildcards.*this one has 6/],
    ];
    for (const [Conditions, message] of cases) {
      await h.fails('CreateRule', { ListenerArn: listener, Priority: 1, Conditions, Actions: forward(tg) }, 'ValidationError', message);
    }
    assert.equal((await h.call('DescribeRules', { ListenerArn: listener })).Rules.length, 1);
  });

  it('refuses invalid actions: weights, too many groups, stickiness, redirect loops, fixed responses', async () => {
    const h = harness();
    const { lb, listener, tg } = await setup(h);
    const groups = [];
    for (let i = 0; i < 6; i++) groups.push((await h.tg(`g${i}`)).TargetGroupArn);
    const rule = (Actions: object[]) => ({ ListenerArn: listener, Priority: 1, Conditions: [path('/x')], Actions });
    const fc = (tgs: object[], st?: object) => [{ Type: 'forward', ForwardConfig: { TargetGroups: tgs, ...(st ? { TargetGroupStickinessConfig: st } : {}) } }];
    await h.fails('CreateRule', rule(fc([{ TargetGroupArn: groups[0], Weight: 1000 }])), 'ValidationError', /between 0 and 999/);
    await h.fails('CreateRule', rule(fc(groups.map((g) => ({ TargetGroupArn: g, Weight: 1 })))), 'ValidationError', /at most 5 target groups/);
    await h.fails('CreateRule', rule(fc([{ TargetGroupArn: groups[0] }, { TargetGroupArn: groups[0] }])), 'ValidationError', /more than once/);
    await h.fails('CreateRule', rule(fc([{ TargetGroupArn: groups[0] }], { Enabled: true })), 'ValidationError', /duration must be specified/);
    await h.fails('CreateRule', rule([{ Type: 'forward', TargetGroupArn: tg, ForwardConfig: { TargetGroups: [{ TargetGroupArn: groups[0] }] } }]), 'ValidationError', /both a target group ARN and a forward config/);
    await h.fails('CreateRule', rule([{ Type: 'forward' }]), 'ValidationError', /target group ARN must be specified/);
    await h.fails('CreateRule', rule([{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }]), 'InvalidLoadBalancerAction', /loop/);
    await h.fails('CreateRule', rule([{ Type: 'redirect', RedirectConfig: { Protocol: 'FTP', StatusCode: 'HTTP_301' } }]), 'ValidationError', /'FTP'/);
    await h.fails('CreateRule', rule([{ Type: 'redirect', RedirectConfig: { Path: 'x', StatusCode: 'HTTP_302' } }]), 'ValidationError', /must begin with '\/'/);
    await h.fails('CreateRule', rule([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }]), 'ValidationError', /StatusCode|2XX/);
    await h.fails('CreateRule', rule([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'image/png' } }]), 'ValidationError', /content type 'image\/png'/);
    await h.fails('CreateRule', rule([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' }, RedirectConfig: { StatusCode: 'HTTP_301' } }]), 'ValidationError', /RedirectConfig can only be specified/);
    await h.fails('CreateRule', rule([...forward(tg), { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }]), 'InvalidLoadBalancerAction', /only one forward, redirect or fixed-response/);
    const ok = (await h.call('CreateRule', rule(fc([{ TargetGroupArn: groups[0], Weight: 80 }, { TargetGroupArn: groups[1], Weight: 20 }], { Enabled: true, DurationSeconds: 300 })))).Rules[0];
    assert.deepEqual(ok.Actions, [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: groups[0], Weight: 80 }, { TargetGroupArn: groups[1], Weight: 20 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 } } }]);
    // A target group serves one load balancer only.
    const other = await h.lb('other');
    await h.fails('CreateListener', { LoadBalancerArn: other.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: forward(groups[0]) }, 'TargetGroupAssociationLimit', new RegExp(`cannot be associated with more than one load balancer: ${groups[0]}`));
    await h.listener(other.LoadBalancerArn, 80, groups[5]);
    await h.fails('ModifyRule', { RuleArn: ok.RuleArn, Actions: forward(groups[5]) }, 'TargetGroupAssociationLimit');
    assert.deepEqual((await h.call('DescribeTargetGroups', { LoadBalancerArn: lb })).TargetGroups.map((t: any) => t.TargetGroupName).sort(), ['app', 'g0', 'g1']);
  });

  it('keeps priorities unique (PriorityInUse) and swaps them atomically with SetRulePriorities', async () => {
    const h = harness();
    const { listener, tg } = await setup(h);
    const mk = async (Priority: number, p: string) => (await h.call('CreateRule', { ListenerArn: listener, Priority, Conditions: [path(p)], Actions: forward(tg) })).Rules[0].RuleArn as string;
    const a = await mk(1, '/a');
    const b = await mk(2, '/b');
    const c = await mk(3, '/c');
    await h.fails('CreateRule', { ListenerArn: listener, Priority: 2, Conditions: [path('/d')], Actions: forward(tg) }, 'PriorityInUse', /Priority '2' is currently in use/);
    await h.fails('CreateRule', { ListenerArn: listener, Priority: 50001, Conditions: [path('/d')], Actions: forward(tg) }, 'ValidationError', /Priority|priority/);
    const out = await h.call('SetRulePriorities', { RulePriorities: [{ RuleArn: a, Priority: 2 }, { RuleArn: b, Priority: 1 }] });
    assert.deepEqual(out.Rules.map((r: any) => [r.RuleArn, r.Priority]), [[a, '2'], [b, '1']]);
    await h.fails('SetRulePriorities', { RulePriorities: [{ RuleArn: a, Priority: 3 }] }, 'PriorityInUse', /'3'/);
    await h.fails('SetRulePriorities', { RulePriorities: [{ RuleArn: a, Priority: 7 }, { RuleArn: c, Priority: 7 }] }, 'PriorityInUse', /'7'/);
    const def = (await h.call('DescribeRules', { ListenerArn: listener })).Rules.at(-1).RuleArn;
    await h.fails('SetRulePriorities', { RulePriorities: [{ RuleArn: def, Priority: 9 }] }, 'OperationNotPermitted', /default rule/);
    await h.fails('SetRulePriorities', { RulePriorities: [{ RuleArn: c.replace(/[0-9a-f]{16}$/, '0'.repeat(16)), Priority: 9 }] }, 'RuleNotFound', /One or more rules not found/);
    const order = (await h.call('DescribeRules', { ListenerArn: listener })).Rules.map((r: any) => [r.RuleArn, r.Priority]);
    assert.deepEqual(order, [[b, '1'], [a, '2'], [c, '3'], [def, 'default']]);
    await h.call('DeleteRule', { RuleArn: b });
    await h.fails('DeleteRule', { RuleArn: b }, 'RuleNotFound');
    await h.fails('DeleteRule', { RuleArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:rule/x' }, 'ValidationError', /not a valid rule ARN/);
  });

  it('answers TooManyRules past 100 rules per load balancer', async () => {
    const h = harness();
    const { lb, listener, tg } = await setup(h);
    const second = await h.listener(lb, 81, tg);
    for (let i = 1; i <= 100; i++) await h.call('CreateRule', { ListenerArn: i % 2 ? listener : second.ListenerArn, Priority: i, Conditions: [path(`/p${i}`)], Actions: forward(tg) });
    await h.fails('CreateRule', { ListenerArn: listener, Priority: 101, Conditions: [path('/p101')], Actions: forward(tg) }, 'TooManyRules', /100/);
  });

  it('answers TooManyUniqueTargetGroupsPerLoadBalancer past 100 target groups on one load balancer, and lists its limits', async () => {
    const h = harness();
    const { listener, tg } = await setup(h);
    const groups: string[] = [];
    for (let i = 0; i < 100; i++) groups.push((await h.tg(`t${i}`)).TargetGroupArn);
    // 'app' (the default action's group) and t0..t98 make 100.
    for (let i = 0; i < 99; i += 3) {
      const tgs = groups.slice(i, Math.min(i + 3, 99)).map((TargetGroupArn) => ({ TargetGroupArn }));
      await h.call('CreateRule', { ListenerArn: listener, Priority: i + 1, Conditions: [path(`/r${i}`)], Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: tgs } }] });
    }
    await h.fails('CreateRule', { ListenerArn: listener, Priority: 500, Conditions: [path('/last')], Actions: forward(groups[99]) }, 'TooManyUniqueTargetGroupsPerLoadBalancer', /at most 100 target groups; this change would make it 101/);
    await h.call('CreateRule', { ListenerArn: listener, Priority: 501, Conditions: [path('/again')], Actions: forward(tg) });
    const limits = Object.fromEntries((await h.call('DescribeAccountLimits', {})).Limits.map((l: any) => [l.Name, l.Max]));
    assert.equal(limits['target-groups-per-application-load-balancer'], '100');
    assert.equal(limits['rules-per-application-load-balancer'], '100');
    assert.equal(limits['condition-values-per-alb-rule'], '5');
  });

  it('builds the data plane snapshot from the stored rules in evaluation order', async () => {
    const h = harness();
    const { listener, tg } = await setup(h);
    await h.call('CreateRule', { ListenerArn: listener, Priority: 20, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain', MessageBody: 'teapot' } }] });
    await h.call('CreateRule', { ListenerArn: listener, Priority: 10, Conditions: [{ Field: 'query-string', QueryStringConfig: { Values: [{ Value: 'x' }] } }], Actions: forward(tg) });
    await h.call('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }] });
    const snap = elbv2Snapshot(h.store);
    const rules = snap.loadBalancers[0].listeners[0].rules;
    assert.deepEqual(rules.map((r) => r.priority), [10, 20, 'default']);
    assert.deepEqual(rules[0].conditions, [{ field: 'query-string', values: [{ value: 'x' }] }]);
    assert.deepEqual(rules[1].actions, [{ type: 'fixed-response', statusCode: '418', contentType: 'text/plain', messageBody: 'teapot' }]);
    assert.deepEqual(rules[2].actions, [{ type: 'forward', targetGroups: [{ arn: tg, weight: 1 }] }]);
    assert.equal(snap.targetGroups[0].deregistrationDelaySeconds, 5);
    assert.equal(snap.loadBalancers[0].idleTimeoutSeconds, 60);
  });
});
