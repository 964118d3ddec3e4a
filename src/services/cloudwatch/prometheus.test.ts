/** Tests of the Prometheus text exposition: HELP/TYPE lines, label escaping, summaries, empty families. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrometheus } from './prometheus.js';

describe('Prometheus text format', () => {
  it('writes HELP and TYPE before the samples, escapes label values and help text', () => {
    const text = renderPrometheus([
      { name: 'x_total', help: 'line one\nline two \\ end', type: 'counter', samples: [{ labels: { a: 'q"\\\n', b: 'plain' }, value: 3 }] },
      { name: 'rt_seconds', help: 'times', type: 'summary', samples: [{ labels: {}, value: 1.5, suffix: '_sum' }, { labels: {}, value: 2, suffix: '_count' }] },
      { name: 'nothing', help: 'no samples', type: 'gauge', samples: [] },
    ]);
    assert.equal(
      text,
      ['# HELP x_total line one\\nline two \\\\ end', '# TYPE x_total counter', 'x_total{a="q\\"\\\\\\n",b="plain"} 3', '# HELP rt_seconds times', '# TYPE rt_seconds summary', 'rt_seconds_sum 1.5', 'rt_seconds_count 2', ''].join('\n'),
    );
  });
  it('is empty when there is nothing to show', () => {
    assert.equal(renderPrometheus([]), '');
  });
});
