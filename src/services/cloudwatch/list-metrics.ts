/**
 * ListMetrics: the metrics (namespace, name, dimensions; one entry whatever units they were put
 * with) that received data in the last two weeks, or the last three hours with RecentlyActive
 * PT3H, filtered by namespace, metric name and dimensions, 500 per page. The NextToken names the
 * last metric of the page, so pages stay right while new metrics arrive.
 */
import type { Operation } from '../../api/index.js';
import type { CloudWatchDeps } from './deps.js';
import { invalidNextToken } from './errors.js';
import { parseDimensions } from './series.js';

/** Metrics per page, as CloudWatch returns. */
export const LIST_PAGE = 500;
const TWO_WEEKS = 14 * 86_400_000;
const THREE_HOURS = 3 * 3_600_000;

interface Input {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value?: string }[];
  NextToken?: string;
  RecentlyActive?: 'PT3H';
}

type Key = [string, string, string];

function decodeToken(token: string): Key {
  try {
    const k = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(k) && k.length === 3 && k.every((x) => typeof x === 'string')) return k as Key;
  } catch {
    // fall through
  }
  throw invalidNextToken();
}

/** The ListMetrics operation. */
export function listMetricsOperations(deps: CloudWatchDeps): Record<string, Operation> {
  return {
    ListMetrics(input: Input) {
      const since = deps.now() - (input.RecentlyActive === 'PT3H' ? THREE_HOURS : TWO_WEEKS);
      let after: Key | undefined = input.NextToken === undefined ? undefined : decodeToken(input.NextToken);
      const filters = input.Dimensions ?? [];
      const metrics: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }[] = [];
      let lastKey: Key | undefined;
      let more = false;
      // Read in chunks: dimension filters are applied here, so a chunk may yield fewer than a page.
      for (;;) {
        const chunk = deps.metrics.listSeries({ namespace: input.Namespace, metricName: input.MetricName, since, after, limit: 1000 });
        for (const s of chunk) {
          const key: Key = [s.namespace, s.metricName, s.dimensions];
          if (lastKey && key.every((x, i) => x === lastKey![i])) continue; // the same metric under another unit
          const dims = parseDimensions(s.dimensions);
          if (!filters.every((f) => dims.some((d) => d.name === f.Name && (f.Value === undefined || d.value === f.Value)))) {
            after = key;
            continue;
          }
          if (metrics.length === LIST_PAGE) {
            more = true;
            break;
          }
          metrics.push({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: dims.map((d) => ({ Name: d.name, Value: d.value })) });
          lastKey = key;
          after = key;
        }
        if (more || chunk.length < 1000) break;
        after = [chunk[chunk.length - 1].namespace, chunk[chunk.length - 1].metricName, chunk[chunk.length - 1].dimensions];
      }
      return { Metrics: metrics, ...(more && lastKey ? { NextToken: Buffer.from(JSON.stringify(lastKey)).toString('base64url') } : {}) };
    },
  };
}
