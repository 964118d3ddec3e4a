/**
 * The Prometheus text exposition format (version 0.0.4) for `GET /metrics`: metric families with
 * `# HELP` and `# TYPE` lines, one sample a line, label values escaped (backslash, double quote,
 * newline) as the format requires.
 */

/** One sample of a family: labels, value, and the suffix of a summary's `_sum`/`_count` lines. */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
  suffix?: '_sum' | '_count';
}

/** A metric family. */
export interface PromFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  samples: PromSample[];
}

/** The content type of the format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The exposition text of `families` (families without samples are left out). */
export function renderPrometheus(families: readonly PromFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${f.name}${s.suffix ?? ''}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
