/**
 * AWS/ApplicationELB metrics from the load balancer data plane's cumulative per target group
 * counters (lb/counters.ts) and its target health:
 *
 * - Counters are cumulative; each interval publishes their delta. A counter that went down was
 *   reset (an engine restarted): its new value is then the delta, as Prometheus treats resets.
 * - RequestCount, HTTPCode_Target_{2,3,4,5}XX_Count per LoadBalancer and per TargetGroup +
 *   LoadBalancer; HTTPCode_ELB_{4,5}XX_Count and HTTPCode_ELB_{500,502,503,504}_Count per
 *   LoadBalancer (AWS has no TargetGroup dimension for them); all Unit Count, published only when
 *   nonzero (ALB's reporting criterion "there is a nonzero value").
 * - RequestCountPerTarget per TargetGroup and TargetGroup + LoadBalancer: the group's requests /
 *   its healthy targets (all registered targets when none is healthy), Unit None, read with Sum;
 *   published when the group had requests.
 * - TargetResponseTime (Seconds) per LoadBalancer and TargetGroup + LoadBalancer: the interval's
 *   response times as Values/Counts from the counters' histogram (each value within 1% of the
 *   real one), so Average and percentiles such as p99 come out of the metric store's sketch.
 * - HealthyHostCount / UnHealthyHostCount (Count) per TargetGroup + LoadBalancer: the health
 *   samples of the interval (every 10 s) as a statistic set, so Minimum, Maximum and Average are
 *   over the samples; published every interval for a group whose health checks are enabled.
 *
 * Requests the load balancer answered without a target group (fixed responses, redirects,
 * malformed requests) are not in any group's counters, so they are not counted.
 */
import type { LbSnapshot, TargetGroupCounters } from '../../lb/config.js';
import { addCounters, responseTimeBinValue } from '../../lb/counters.js';
import type { Datum } from './metric-store.js';
import type { StatisticSet } from './ecs-metrics.js';

/** PutMetricData's limit on Values per datum, which Berth's producers keep to as well. */
const MAX_VALUES = 150;

/** `app/NAME/ID` of a load balancer ARN, `targetgroup/NAME/ID` of a target group ARN (AWS's dimension values). */
export function arnDimension(arn: string): string {
  const i = arn.indexOf(':loadbalancer/');
  if (i >= 0) return arn.slice(i + ':loadbalancer/'.length);
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/** A target group as metrics see it: the load balancer that forwards to it. */
export interface GroupTopology {
  targetGroupArn: string;
  loadBalancerArn: string;
  healthCheckEnabled: boolean;
}

/** Every target group some listener rule of a load balancer forwards to (the first such load balancer). */
export function groupTopology(snapshot: LbSnapshot): GroupTopology[] {
  const tgs = new Map(snapshot.targetGroups.map((tg) => [tg.arn, tg]));
  const out = new Map<string, GroupTopology>();
  for (const lb of [...snapshot.loadBalancers].sort((a, b) => (a.arn < b.arn ? -1 : 1))) {
    for (const listener of lb.listeners) {
      for (const rule of listener.rules) {
        for (const action of rule.actions) {
          if (action.type !== 'forward') continue;
          for (const { arn } of action.targetGroups) {
            const tg = tgs.get(arn);
            if (tg && !out.has(arn)) out.set(arn, { targetGroupArn: arn, loadBalancerArn: lb.arn, healthCheckEnabled: tg.healthCheck.enabled });
          }
        }
      }
    }
  }
  return [...out.values()];
}

/** True when some counter of `cur` is below `prev`: the counters were reset since `prev`. */
export function wasReset(prev: TargetGroupCounters, cur: TargetGroupCounters): boolean {
  const pairs: [number, number][] = [
    [prev.requests, cur.requests],
    [prev.targetResponseTimeCount, cur.targetResponseTimeCount],
    [prev.elbResponses['4xx'], cur.elbResponses['4xx']],
    [prev.elbResponses['5xx'], cur.elbResponses['5xx']],
    ...(['2xx', '3xx', '4xx', '5xx'] as const).map((k): [number, number] => [prev.targetResponses[k], cur.targetResponses[k]]),
  ];
  return pairs.some(([p, c]) => c < p);
}

/** What happened between two readings of cumulative counters (`prev` undefined: since zero). */
export function counterDelta(prev: TargetGroupCounters | undefined, cur: TargetGroupCounters): TargetGroupCounters {
  if (!prev || wasReset(prev, cur)) return addCounters(undefined, cur);
  const bins: Record<string, number> = {};
  for (const [bin, n] of Object.entries(cur.targetResponseTimeBins)) {
    const d = n - (prev.targetResponseTimeBins[bin] ?? 0);
    if (d > 0) bins[bin] = d;
  }
  const codes = (k: '500' | '502' | '503' | '504') => Math.max(0, cur.elbResponseCodes[k] - prev.elbResponseCodes[k]);
  return {
    requests: cur.requests - prev.requests,
    targetResponses: {
      '2xx': cur.targetResponses['2xx'] - prev.targetResponses['2xx'],
      '3xx': cur.targetResponses['3xx'] - prev.targetResponses['3xx'],
      '4xx': cur.targetResponses['4xx'] - prev.targetResponses['4xx'],
      '5xx': cur.targetResponses['5xx'] - prev.targetResponses['5xx'],
    },
    elbResponses: { '4xx': cur.elbResponses['4xx'] - prev.elbResponses['4xx'], '5xx': cur.elbResponses['5xx'] - prev.elbResponses['5xx'] },
    elbResponseCodes: { '500': codes('500'), '502': codes('502'), '503': codes('503'), '504': codes('504') },
    targetResponseTimeSum: Math.max(0, cur.targetResponseTimeSum - prev.targetResponseTimeSum),
    targetResponseTimeCount: cur.targetResponseTimeCount - prev.targetResponseTimeCount,
    targetResponseTimeBins: bins,
  };
}

/** Health samples of one group: healthy and unhealthy target counts, one pair per sample. */
export interface HealthSamples {
  healthy: number[];
  unhealthy: number[];
}

/** One target group's figures for an interval. */
export interface GroupInterval {
  topology: GroupTopology;
  /** What the counters did during the interval. */
  delta: TargetGroupCounters;
  health: HealthSamples;
  /** Healthy targets at the end of the interval. */
  healthyTargets: number;
  /** Registered (not draining) targets at the end of the interval. */
  registeredTargets: number;
}

/** Requests per target as ALB defines it: / healthy targets, / registered ones when none is healthy. */
export function requestCountPerTarget(requests: number, healthyTargets: number, registeredTargets: number): number | undefined {
  const targets = healthyTargets > 0 ? healthyTargets : registeredTargets;
  return targets > 0 ? requests / targets : undefined;
}

function setOf(xs: number[]): StatisticSet | undefined {
  if (xs.length === 0) return undefined;
  return { sampleCount: xs.length, sum: xs.reduce((a, b) => a + b, 0), minimum: Math.min(...xs), maximum: Math.max(...xs) };
}

/** Values/Counts datums (at most 150 values each) for a response time histogram. */
function responseTimeDatums(bins: Record<string, number>, base: Omit<Datum, 'metricName'>): Datum[] {
  const entries = Object.entries(bins).filter(([, n]) => n > 0);
  const out: Datum[] = [];
  for (let i = 0; i < entries.length; i += MAX_VALUES) {
    const chunk = entries.slice(i, i + MAX_VALUES);
    out.push({ ...base, metricName: 'TargetResponseTime', unit: 'Seconds', values: chunk.map(([b]) => responseTimeBinValue(b)), counts: chunk.map(([, n]) => n) });
  }
  return out;
}

/** The count metrics of a delta, nonzero only, with `dimensions`. */
function countDatums(d: TargetGroupCounters, dimensions: Datum['dimensions'], timestamp: number, elb: boolean): Datum[] {
  const counts: [string, number][] = [
    ['RequestCount', d.requests],
    ['HTTPCode_Target_2XX_Count', d.targetResponses['2xx']],
    ['HTTPCode_Target_3XX_Count', d.targetResponses['3xx']],
    ['HTTPCode_Target_4XX_Count', d.targetResponses['4xx']],
    ['HTTPCode_Target_5XX_Count', d.targetResponses['5xx']],
  ];
  if (elb) {
    counts.push(
      ['HTTPCode_ELB_4XX_Count', d.elbResponses['4xx']],
      ['HTTPCode_ELB_5XX_Count', d.elbResponses['5xx']],
      ['HTTPCode_ELB_500_Count', d.elbResponseCodes['500']],
      ['HTTPCode_ELB_502_Count', d.elbResponseCodes['502']],
      ['HTTPCode_ELB_503_Count', d.elbResponseCodes['503']],
      ['HTTPCode_ELB_504_Count', d.elbResponseCodes['504']],
    );
  }
  return counts.filter(([, n]) => n > 0).map(([metricName, value]) => ({ metricName, dimensions, timestamp, unit: 'Count', value }));
}

/** The AWS/ApplicationELB datums of one interval, timestamped `timestamp` (the interval's start). */
export function albDatums(groups: readonly GroupInterval[], timestamp: number): Datum[] {
  const out: Datum[] = [];
  const perLb = new Map<string, TargetGroupCounters>();
  for (const g of groups) {
    const lb = arnDimension(g.topology.loadBalancerArn);
    const tg = arnDimension(g.topology.targetGroupArn);
    const both = [{ name: 'LoadBalancer', value: lb }, { name: 'TargetGroup', value: tg }];
    perLb.set(lb, addCounters(perLb.get(lb), g.delta));
    out.push(...countDatums(g.delta, both, timestamp, false));
    out.push(...responseTimeDatums(g.delta.targetResponseTimeBins, { dimensions: both, timestamp }));
    if (g.delta.requests > 0) {
      const perTarget = requestCountPerTarget(g.delta.requests, g.healthyTargets, g.registeredTargets);
      if (perTarget !== undefined) {
        for (const dimensions of [[{ name: 'TargetGroup', value: tg }], both]) out.push({ metricName: 'RequestCountPerTarget', dimensions, timestamp, unit: 'None', value: perTarget });
      }
    }
    if (g.topology.healthCheckEnabled) {
      const healthy = setOf(g.health.healthy);
      const unhealthy = setOf(g.health.unhealthy);
      if (healthy) out.push({ metricName: 'HealthyHostCount', dimensions: both, timestamp, unit: 'Count', statisticValues: healthy });
      if (unhealthy) out.push({ metricName: 'UnHealthyHostCount', dimensions: both, timestamp, unit: 'Count', statisticValues: unhealthy });
    }
  }
  for (const [lb, d] of perLb) {
    const dimensions = [{ name: 'LoadBalancer', value: lb }];
    out.push(...countDatums(d, dimensions, timestamp, true));
    out.push(...responseTimeDatums(d.targetResponseTimeBins, { dimensions, timestamp }));
  }
  return out;
}
