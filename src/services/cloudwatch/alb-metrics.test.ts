/** Tests of AWS/ApplicationELB metrics: deltas of the data plane's counters, resets, per-target counts, what is published when idle. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { countElbResponse, countTargetResponse, emptyCounters } from '../../lb/counters.js';
import { createLoadBalancerEngine } from '../../lb/index.js';
import { client, LB_MODES, modeName, simpleSnapshot, startBackend, targetGroup, listenerUrl, waitFor, TEST_HEALTH_CHECK } from '../../lb/test-helpers.js';
import { albDatums, arnDimension, counterDelta, groupTopology, requestCountPerTarget, type GroupInterval } from './alb-metrics.js';
import { createMetricStore } from './index.js';
import { MetricProducers, metricsIntervalSeconds } from './producers.js';

const LB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067';

describe('AWS/ApplicationELB computations', () => {
  it("dimension values are AWS's: app/NAME/ID and targetgroup/NAME/ID", () => {
    assert.equal(arnDimension(LB), 'app/web/50dc6c495c0c9188');
    assert.equal(arnDimension(TG), 'targetgroup/web-tg/73e2d6bc24d8a067');
  });
  it('a delta is what the cumulative counters did since the last reading', () => {
    const a = emptyCounters();
    a.requests = 10;
    countTargetResponse(a, 200, 0.1);
    const b = structuredClone(a);
    b.requests = 15;
    countTargetResponse(b, 200, 0.1);
    countTargetResponse(b, 500, 1);
    countElbResponse(b, 502);
    const d = counterDelta(a, b);
    assert.equal(d.requests, 5);
    assert.deepEqual(d.targetResponses, { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 1 });
    assert.deepEqual(d.elbResponseCodes, { '500': 0, '502': 1, '503': 0, '504': 0 });
    assert.equal(d.targetResponseTimeCount, 2);
    assert.equal(Object.values(d.targetResponseTimeBins).reduce((x, y) => x + y, 0), 2);
    // The first reading counts everything since zero.
    assert.equal(counterDelta(undefined, b).requests, 15);
  });
  it('counters that went down were reset (a restarted engine or worker): the new values are the delta', () => {
    const before = emptyCounters();
    before.requests = 100;
    before.targetResponses['2xx'] = 100;
    const after = emptyCounters();
    after.requests = 7;
    after.targetResponses['2xx'] = 7;
    const d = counterDelta(before, after);
    assert.equal(d.requests, 7);
    assert.equal(d.targetResponses['2xx'], 7);
  });
  it('RequestCountPerTarget divides by the healthy targets, by all registered ones when none is healthy', () => {
    assert.equal(requestCountPerTarget(90, 3, 4), 30);
    assert.equal(requestCountPerTarget(90, 0, 2), 45);
    assert.equal(requestCountPerTarget(90, 0, 0), undefined);
  });
  it('publishes counts only when nonzero; health every interval; ELB codes per load balancer only', () => {
    const topology = { targetGroupArn: TG, loadBalancerArn: LB, healthCheckEnabled: true };
    const idle: GroupInterval = { topology, delta: emptyCounters(), health: { healthy: [2, 2, 1], unhealthy: [0, 0, 1] }, healthyTargets: 1, registeredTargets: 2 };
    const idleDatums = albDatums([idle], 0);
    assert.deepEqual(idleDatums.map((d) => d.metricName).sort(), ['HealthyHostCount', 'UnHealthyHostCount']);
    assert.deepEqual(idleDatums.find((d) => d.metricName === 'HealthyHostCount')!.statisticValues, { sampleCount: 3, sum: 5, minimum: 1, maximum: 2 });

    const delta = emptyCounters();
    delta.requests = 4;
    countTargetResponse(delta, 200, 0.01);
    countTargetResponse(delta, 200, 0.02);
    countTargetResponse(delta, 404, 0.03);
    countElbResponse(delta, 503);
    const busy = albDatums([{ ...idle, delta }], 60_000);
    const keys = busy.map((d) => `${d.metricName} ${d.dimensions!.map((x) => x.name).sort().join(',')}`).sort();
    assert.deepEqual(keys, [
      'HTTPCode_ELB_503_Count LoadBalancer',
      'HTTPCode_ELB_5XX_Count LoadBalancer',
      'HTTPCode_Target_2XX_Count LoadBalancer',
      'HTTPCode_Target_2XX_Count LoadBalancer,TargetGroup',
      'HTTPCode_Target_4XX_Count LoadBalancer',
      'HTTPCode_Target_4XX_Count LoadBalancer,TargetGroup',
      'HealthyHostCount LoadBalancer,TargetGroup',
      'RequestCount LoadBalancer',
      'RequestCount LoadBalancer,TargetGroup',
      'RequestCountPerTarget LoadBalancer,TargetGroup',
      'RequestCountPerTarget TargetGroup',
      'TargetResponseTime LoadBalancer',
      'TargetResponseTime LoadBalancer,TargetGroup',
      'UnHealthyHostCount LoadBalancer,TargetGroup',
    ]);
    assert.equal(busy.find((d) => d.metricName === 'RequestCountPerTarget')!.value, 4);
    const rt = busy.find((d) => d.metricName === 'TargetResponseTime')!;
    assert.equal(rt.unit, 'Seconds');
    assert.equal(rt.counts!.reduce((a, b) => a + b, 0), 3);
    assert.ok(busy.every((d) => d.timestamp === 60_000));
  });
  it('the topology is the groups listeners forward to; groups no load balancer uses have no metrics', () => {
    const tg = targetGroup('a', [{ port: 1 }]);
    const snap = simpleSnapshot(tg);
    snap.targetGroups.push(targetGroup('unused', [{ port: 2 }]));
    assert.deepEqual(groupTopology(snap).map((t) => t.targetGroupArn), [tg.arn]);
  });
  it('the interval comes from BERTH_METRICS_INTERVAL_SECONDS (default 60) and a bad one is refused by name', () => {
    assert.equal(metricsIntervalSeconds(undefined, {}), 60);
    assert.equal(metricsIntervalSeconds(undefined, { BERTH_METRICS_INTERVAL_SECONDS: '5' }), 5);
    assert.throws(() => metricsIntervalSeconds(undefined, { BERTH_METRICS_INTERVAL_SECONDS: '0.5' }), /BERTH_METRICS_INTERVAL_SECONDS.*'0.5'/);
  });
});

for (const workers of LB_MODES) describe(`AWS/ApplicationELB through a real load balancer, the producer and the metric store${modeName(workers)}`, () => {
  const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
  const http = client();
  after(async () => {
    await http.close();
    await engine.close();
  });

  /** Group `name` (one target on `port`) behind the engine and healthy, a metric store, and a producer that has not sampled yet. */
  const setUp = async (name: string, port: number) => {
    const tg = targetGroup(name, [{ port }], { healthCheck: TEST_HEALTH_CHECK });
    const snapshot = simpleSnapshot(tg);
    await engine.apply(snapshot);
    await waitFor('healthy target', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
    const store = Store.openFile(':memory:');
    const metrics = createMetricStore(store, { log: () => {} });
    const producers = new MetricProducers({ store, metrics, engine, loadBalancers: () => snapshot, intervalSeconds: 60 });
    return { tg, metrics, producers, base: listenerUrl(engine, snapshot.loadBalancers[0].listeners[0].arn) };
  };

  it('publishes the requests of each interval once, p99 of the response times, host counts; /metrics keeps totals', async () => {
    const slow = await startBackend('slow', (req, res) => {
      if (req.url !== '/slow') return false;
      setTimeout(() => res.writeHead(200).end('slow'), 200);
      return true;
    });
    try {
      const { tg, metrics, producers, base } = await setUp('web', slow.port);
      for (let i = 0; i < 9; i++) assert.equal((await http.get(`${base}/fast`)).status, 200);
      assert.equal((await http.get(`${base}/slow`)).status, 200);
      // Worker processes report their counters within 50 ms.
      await waitFor('counted', () => engine.counters(tg.arn)?.targetResponseTimeCount === 10);
      producers.sampleHealth();
      const t0 = producers.intervalStart(Date.now()) - 60_000;
      producers.publish(t0, t0 + 60_000);
      const lbDims = [{ name: 'LoadBalancer', value: 'app/web/1' }];
      const bothDims = [...lbDims, { name: 'TargetGroup', value: 'targetgroup/web/0123456789abcdef' }];
      const q = (metricName: string, stat: string, dimensions = bothDims) => metrics.query({ namespace: 'AWS/ApplicationELB', metricName, dimensions, stat, periodSeconds: 60, start: t0 - 60_000, end: t0 + 180_000 });
      assert.deepEqual(q('RequestCount', 'Sum'), { timestamps: [t0], values: [10] });
      assert.deepEqual(q('RequestCount', 'Sum', lbDims).values, [10]);
      assert.deepEqual(q('HTTPCode_Target_2XX_Count', 'Sum').values, [10]);
      assert.deepEqual(q('RequestCountPerTarget', 'Sum', [bothDims[1]]).values, [10]);
      assert.deepEqual(q('HealthyHostCount', 'Minimum').values, [1]);
      assert.deepEqual(q('UnHealthyHostCount', 'Maximum').values, [0]);
      const p99 = q('TargetResponseTime', 'p99').values[0];
      assert.ok(p99 >= 0.19 && p99 < 5, `p99 ${p99} is the slow request`);
      assert.ok(q('TargetResponseTime', 'p50').values[0] < 0.19, 'p50 is a fast request');
      // The next interval: no requests, so no RequestCount datum; health still published.
      producers.sampleHealth();
      producers.publish(t0 + 60_000, t0 + 120_000);
      assert.deepEqual(q('RequestCount', 'Sum').timestamps, [t0]);
      assert.deepEqual(q('HealthyHostCount', 'Average').timestamps, [t0, t0 + 60_000]);
      // Two more requests count in the interval after, and only there.
      for (let i = 0; i < 2; i++) await http.get(`${base}/fast`);
      await waitFor('counted', () => engine.counters(tg.arn)?.targetResponseTimeCount === 12);
      producers.publish(t0 + 120_000, t0 + 180_000);
      assert.deepEqual(q('RequestCount', 'Sum'), { timestamps: [t0, t0 + 120_000], values: [10, 2] });
      const text = producers.prometheus();
      assert.match(text, /^# TYPE aws_applicationelb_request_count_total counter$/m);
      assert.match(text, /^aws_applicationelb_request_count_total\{load_balancer="app\/web\/1",target_group="targetgroup\/web\/0123456789abcdef"\} 12$/m);
      assert.match(text, /^aws_applicationelb_target_response_time_seconds_count\{[^}]+\} 12$/m);
      assert.match(text, /^aws_applicationelb_healthy_host_count\{[^}]+\} 1$/m);
    } finally {
      await slow.close();
    }
  });

  it('RequestCountPerTarget divides by the targets as the interval ends, even with no health sample taken yet', async () => {
    const b = await startBackend('b');
    try {
      // A group of its own (the engine's counters are cumulative per group), and a producer that has
      // not sampled health yet (its first sample still to come, or the last one before the target registered).
      const { tg, metrics, producers, base } = await setUp('fresh', b.port);
      for (let i = 0; i < 4; i++) assert.equal((await http.get(`${base}/x`)).status, 200);
      await waitFor('counted', () => engine.counters(tg.arn)?.requests === 4);
      const t0 = producers.intervalStart(Date.now()) - 60_000;
      producers.publish(t0, t0 + 60_000);
      const q = (metricName: string) => metrics.query({ namespace: 'AWS/ApplicationELB', metricName, dimensions: [{ name: 'TargetGroup', value: 'targetgroup/fresh/0123456789abcdef' }], stat: 'Sum', periodSeconds: 60, start: t0, end: t0 + 60_000 });
      assert.deepEqual(q('RequestCountPerTarget').values, [4], 'the requests over the one healthy target');
    } finally {
      await b.close();
    }
  });
});
