/** The printed table: per driver and task count, Berth's figures, the reference's, and the ratio reference/Berth. */
import { fmt, table } from '../shared/table.js';
import { roundFigures, type RoundResult } from './figures.js';
import type { BerthRoundResult } from './berth-tasks.js';

/** One measured round of one driver: Berth's result and the reference's. */
export interface RoundRow {
  driver: string;
  /** The reference's name as printed (`spawn`, `runc run`). */
  reference: string;
  berth: BerthRoundResult;
  ref: RoundResult;
}

/** Formats the rounds of one driver as a table. */
export function formatDriverTable(rows: RoundRow[]): string {
  const lines: string[][] = [];
  for (const r of rows) {
    const b = roundFigures(r.berth);
    const f = roundFigures(r.ref);
    const client = roundFigures({ ...r.berth, startLatenciesMs: r.berth.clientLatenciesMs });
    lines.push([String(r.berth.n), 'berth', fmt(b.startedPerS, 1), fmt(b.p50Ms, 1), fmt(b.p99Ms, 1), fmt(b.maxMs, 1), `${fmt(client.p50Ms, 1)} / ${fmt(client.maxMs, 1)}`, fmt(r.berth.observedElapsedMs, 0), fmt(b.stoppedPerS, 1)]);
    lines.push(['', r.reference, fmt(f.startedPerS, 1), fmt(f.p50Ms, 1), fmt(f.p99Ms, 1), fmt(f.maxMs, 1), '', '', fmt(f.stoppedPerS, 1)]);
    lines.push(['', `ratio ${r.reference}/berth`, `${fmt(f.startedPerS / b.startedPerS, 1)}x`, `${fmt(b.p50Ms / f.p50Ms, 1)}x`, `${fmt(b.p99Ms / f.p99Ms, 1)}x`, `${fmt(b.maxMs / f.maxMs, 1)}x`, '', '', `${fmt(f.stoppedPerS / b.stoppedPerS, 1)}x`]);
  }
  return table(['N', 'what', 'started/s', 'p50 ms', 'p99 ms', 'max ms', 'client p50/max ms', 'all seen ms', 'stopped/s'], lines);
}
