import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createLoadBalancerEngine } from '../../lb/index.js';
import type { LbSnapshot } from '../../lb/config.js';
import { elbv2Snapshot } from './index.js';
import { harness, TEST_INSTANCE, type Harness } from './test-support.js';
import { namedBackend, freePort, until } from '../../../test/fixtures/http.js';

/** A load balancer with a blue/green pair, a production listener forwarding to blue, and a stray group. */
async function pair(h: Harness, port = 80) {
  const lb = (await h.lb('web')).LoadBalancerArn as string;
  const blue = (await h.tg('blue')).TargetGroupArn as string;
  const green = (await h.tg('green')).TargetGroupArn as string;
  const other = (await h.tg('other')).TargetGroupArn as string;
  const listener = (await h.listener(lb, port, blue)).ListenerArn as string;
  return { lb, blue, green, other, listener };
}

const weighted = (groups: [string, number][], stickiness: object = { Enabled: false }) => ({
  Type: 'forward',
  ForwardConfig: { TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })), TargetGroupStickinessConfig: stickiness },
});
const path = (v: string) => [{ Field: 'path-pattern', PathPatternConfig: { Values: [v] } }];
const rulesOf = async (h: Harness, listener: string) => (await h.call('DescribeRules', { ListenerArn: listener })).Rules as any[];

describe('ELBv2 listener weights (CodeDeploy door)', () => {
  it('rewrites the default action and the rules that forward to the pair, as ModifyListener would store them; other rules are untouched', async () => {
    const h = harness();
    const { lb, blue, green, other, listener } = await pair(h);
    await h.call('CreateRule', { ListenerArn: listener, Priority: 1, Conditions: path('/api/*'), Actions: [{ Type: 'forward', TargetGroupArn: blue }] });
    await h.call('CreateRule', { ListenerArn: listener, Priority: 2, Conditions: path('/other/*'), Actions: [{ Type: 'forward', TargetGroupArn: other }] });
    await h.call('CreateRule', { ListenerArn: listener, Priority: 3, Conditions: path('/teapot'), Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418' } }] });
    const before = await rulesOf(h, listener);

    assert.deepEqual(await h.elbv2.listenerWeights.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 90 }, { targetGroupArn: green, weight: 10 }]), { changed: true });

    const expected = weighted([[blue, 90], [green, 10]]);
    assert.deepEqual((await h.call('DescribeListeners', { ListenerArns: [listener] })).Listeners[0].DefaultActions, [expected]);
    const rules = await rulesOf(h, listener);
    assert.deepEqual(rules.map((r) => [r.Priority, r.Actions]), [
      ['1', [expected]],
      ['2', before[1].Actions],
      ['3', before[2].Actions],
      ['default', [expected]],
    ]);
    // Exactly what a ModifyListener with the same weighted ForwardConfig stores.
    const lb2 = await h.call('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 81, DefaultActions: [weighted([[blue, 90], [green, 10]])] });
    assert.deepEqual(lb2.Listeners[0].DefaultActions, [expected]);
    assert.deepEqual(h.elbv2.listenerWeights.forwardWeights(listener), [{ targetGroupArn: blue, weight: 90 }, { targetGroupArn: green, weight: 10 }]);
    // The data plane's configuration follows.
    const rule = elbv2Snapshot(h.store).loadBalancers[0].listeners.find((l) => l.port === 80)!.rules.find((r) => r.priority === 'default')!;
    assert.deepEqual((rule.actions[0] as any).targetGroups, [{ arn: blue, weight: 90 }, { arn: green, weight: 10 }]);

    // All to green: the weighted form stays (a 0 weight is shown, as AWS shows it).
    await h.elbv2.listenerWeights.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 0 }, { targetGroupArn: green, weight: 100 }]);
    assert.deepEqual((await rulesOf(h, listener)).map((r) => r.Actions), [[weighted([[blue, 0], [green, 100]])], before[1].Actions, before[2].Actions, [weighted([[blue, 0], [green, 100]])]]);
    // The target groups list the load balancer through the rewritten forwards.
    assert.deepEqual((await h.call('DescribeTargetGroups', { TargetGroupArns: [green] })).TargetGroups[0].LoadBalancerArns, [lb]);
  });

  it('keeps the forward\'s target group stickiness', async () => {
    const h = harness();
    const { blue, green, listener } = await pair(h);
    await h.call('ModifyListener', { ListenerArn: listener, DefaultActions: [weighted([[blue, 1]], { Enabled: true, DurationSeconds: 300 })] });
    await h.elbv2.listenerWeights.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 50 }, { targetGroupArn: green, weight: 50 }]);
    assert.deepEqual((await h.call('DescribeListeners', { ListenerArns: [listener] })).Listeners[0].DefaultActions, [weighted([[blue, 50], [green, 50]], { Enabled: true, DurationSeconds: 300 })]);
  });

  it('reports no change when the forwards already have those weights', async () => {
    const h = harness();
    const { blue, green, listener } = await pair(h);
    const w = [{ targetGroupArn: blue, weight: 80 }, { targetGroupArn: green, weight: 20 }];
    assert.deepEqual(await h.elbv2.listenerWeights.setForwardWeights(listener, w), { changed: true });
    assert.deepEqual(await h.elbv2.listenerWeights.setForwardWeights(listener, w), { changed: false });
    assert.deepEqual(await h.elbv2.listenerWeights.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 70 }, { targetGroupArn: green, weight: 30 }]), { changed: true });
    // A single group at weight 1 is what CreateListener stored for `forward blue`.
    const h2 = harness();
    const p2 = await pair(h2);
    assert.deepEqual(await h2.elbv2.listenerWeights.setForwardWeights(p2.listener, [{ targetGroupArn: p2.blue, weight: 1 }]), { changed: false });
  });

  it('answers ListenerNotFound, TargetGroupNotFound, ValidationError for weights and for a listener that forwards to neither group, and changes nothing', async () => {
    const h = harness();
    const { blue, green, other, listener } = await pair(h);
    const lw = h.elbv2.listenerWeights;
    const code = async (p: Promise<unknown>, c: string, m?: RegExp) => {
      const err: any = await p.then(() => undefined, (e) => e);
      assert.ok(err, `expected ${c}`);
      assert.equal(err.code, c, err.message);
      if (m) assert.match(err.message, m);
    };
    const missingListener = listener.replace(/[0-9a-f]{16}$/, 'a'.repeat(16));
    const missingGroup = green.replace(/[0-9a-f]{16}$/, 'b'.repeat(16));
    await code(lw.setForwardWeights(missingListener, [{ targetGroupArn: blue, weight: 1 }]), 'ListenerNotFound');
    await code(lw.setForwardWeights('nope', [{ targetGroupArn: blue, weight: 1 }]), 'ValidationError', /not a valid listener ARN/);
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 50 }, { targetGroupArn: missingGroup, weight: 50 }]), 'TargetGroupNotFound', new RegExp(missingGroup));
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 1000 }]), 'ValidationError', /between 0 and 999/);
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: -1 }]), 'ValidationError', /between 0 and 999/);
    await code(lw.setForwardWeights(listener, []), 'ValidationError', /At least one/);
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 1 }, { targetGroupArn: blue, weight: 2 }]), 'ValidationError', /more than once/);
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: green, weight: 50 }, { targetGroupArn: other, weight: 50 }]), 'ValidationError', new RegExp(`does not forward to target group '${green}' or '${other}'`));
    assert.deepEqual(lw.forwardWeights(listener), [{ targetGroupArn: blue, weight: 1 }]);
    assert.equal(lw.forwardWeights(missingListener), undefined);
    // A group of another load balancer cannot join the forward (ELBv2's own rule).
    const lb2 = (await h.lb('second')).LoadBalancerArn;
    const foreign = (await h.tg('foreign')).TargetGroupArn;
    await h.listener(lb2, 80, foreign);
    await code(lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 50 }, { targetGroupArn: foreign, weight: 50 }]), 'TargetGroupAssociationLimit');
    assert.deepEqual(lw.forwardWeights(listener), [{ targetGroupArn: blue, weight: 1 }]);
  });
});

describe('ELBv2 listener weights with the data plane', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('moves real requests, on a kept-alive connection too, between the two groups\' backends; a no-op hands the data plane nothing', async () => {
    const engine = createLoadBalancerEngine({ timeScale: 0.1 });
    cleanups.push(() => engine.close());
    // Count the snapshots the data plane is handed (the real engine does the work).
    let applied = 0;
    const apply = engine.apply.bind(engine);
    engine.apply = (s: LbSnapshot) => {
      applied++;
      return apply(s);
    };
    const h = harness({ engine });
    const [one, two] = [await namedBackend('blue'), await namedBackend('green')];
    cleanups.push(() => one.close(), () => two.close());
    const lbWire = await h.lb('web');
    const address = lbWire.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress as string;
    const fast = { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 };
    const blue = (await h.tg('blue', fast)).TargetGroupArn;
    const green = (await h.tg('green', fast)).TargetGroupArn;
    await h.call('RegisterTargets', { TargetGroupArn: blue, Targets: [{ Id: TEST_INSTANCE, Port: one.port }] });
    await h.call('RegisterTargets', { TargetGroupArn: green, Targets: [{ Id: TEST_INSTANCE, Port: two.port }] });
    const port = await freePort(address);
    const listener = (await h.listener(lbWire.LoadBalancerArn, port, blue)).ListenerArn;
    const lw = h.elbv2.listenerWeights;
    // Green joins the forward at weight 0, so the data plane checks its health before it gets traffic.
    await lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 100 }, { targetGroupArn: green, weight: 0 }]);
    for (const tg of [blue, green]) {
      await until(`a healthy target in ${tg}`, async () => ((await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions[0]?.TargetHealth.State === 'healthy' ? true : undefined));
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const get = (n: number) => new Promise<string>((resolve, reject) => {
      const req = http.get({ host: address, port, path: `/r${n}`, agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body.split(' ')[0]) : reject(new Error(`status ${res.statusCode}: ${body}`))));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
    const served = async (n: number) => {
      const seen = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const who = await get(i);
        seen.set(who, (seen.get(who) ?? 0) + 1);
      }
      return seen;
    };
    assert.deepEqual([...(await served(20)).keys()], ['blue']);

    assert.deepEqual(await lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 0 }, { targetGroupArn: green, weight: 100 }]), { changed: true });
    assert.deepEqual([...(await served(30)).keys()], ['green']);

    await lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 50 }, { targetGroupArn: green, weight: 50 }]);
    // 60 random picks at 50/50: both groups serve (all on one side has probability 2^-59).
    const split = await served(60);
    assert.deepEqual([...split.keys()].sort(), ['blue', 'green']);

    const before = applied;
    assert.deepEqual(await lw.setForwardWeights(listener, [{ targetGroupArn: blue, weight: 50 }, { targetGroupArn: green, weight: 50 }]), { changed: false });
    assert.equal(applied, before);
  });
});
