/** The printed tables of the scheduler benchmark: Berth's figures, the spawn reference's, the ratios, the decision's cost. */
import { fmt, table } from '../shared/table.js';
import type { DecideCost } from './decide-cost.js';

/** What the Berth phase measured. */
export interface BerthFigures {
  services: number;
  tasksPerService: number;
  /** From the first CreateService call sent to the last answer, in ms. */
  createMs: number;
  /** From the first CreateService call sent to the last task's `startedAt`, in ms. */
  allRunningMs: number;
  /** Per task: its `createdAt` -> `startedAt`, sorted, in ms. */
  taskLatenciesMs: number[];
  /** From the first CreateService call to the last service's "steady state" event, in ms. */
  allSteadyMs: number;
  /** From the first CreateService call until a poll saw every service steady (includes the polling interval), in ms. */
  steadySeenMs: number;
  /** CPU of Berth itself and of its descendants during the phase, in ms. */
  berthCpuMs: number;
  childrenCpuMs: number;
  peakBerthRss: number;
  peakTreeRss: number;
  peakChildren: number;
  /** Berth's CPU while every service was steady and nothing was asked of it, in cores (1 = one core busy). */
  idleCores?: number;
}

/** What the reference measured. */
export interface SpawnFigures {
  n: number;
  /** From the first spawn() to the last 'spawn' event, in ms. */
  allRunningMs: number;
}

const mib = (b: number) => fmt(b / 1024 / 1024, 0);

/** The main table: Berth, the reference and the ratio. */
export function formatMain(b: BerthFigures, ref: SpawnFigures | undefined): string {
  const n = b.services * b.tasksPerService;
  const p = (q: number) => b.taskLatenciesMs[Math.min(b.taskLatenciesMs.length - 1, Math.max(0, Math.ceil(q * b.taskLatenciesMs.length) - 1))];
  const rows: string[][] = [
    ['berth', String(n), fmt(b.allRunningMs / 1000, 2), fmt(n / (b.allRunningMs / 1000), 1), fmt(b.allSteadyMs / 1000, 2), fmt(b.steadySeenMs / 1000, 2), `${fmt(p(0.5), 0)} / ${fmt(p(0.99), 0)}`, fmt(b.berthCpuMs / 1000, 1), fmt(b.childrenCpuMs / 1000, 1), mib(b.peakBerthRss), mib(b.peakTreeRss), fmt(b.idleCores === undefined ? undefined : b.idleCores * 100, 1)],
  ];
  if (ref) {
    rows.push(['spawn', String(ref.n), fmt(ref.allRunningMs / 1000, 2), fmt(ref.n / (ref.allRunningMs / 1000), 1), '', '', '', '', '', '', '', '']);
    // Berth's time over the reference's, and the reference's rate over Berth's: Berth's overhead factor, higher is worse.
    rows.push(['ratio berth/spawn', '', `${fmt(b.allRunningMs / ref.allRunningMs, 1)}x`, `${fmt(ref.n / ref.allRunningMs / (n / b.allRunningMs), 1)}x`, '', '', '', '', '', '', '', '']);
  }
  return table(['what', 'tasks', 'all RUNNING s', 'started/s', 'all steady s', 'steady seen s', 'task p50/p99 ms', 'berth CPU s', 'children CPU s', 'berth RSS MiB', 'tree RSS MiB', 'steady berth CPU %'], rows, 1);
}

/** The decision's cost per input shape, and per round of every service. */
export function formatDecide(costs: DecideCost[], services: number): string {
  return table(
    ['input shape', 'tasks in input', 'calls', 'µs/call', `ms for ${services} services`],
    costs.map((c) => [c.shape, String(c.tasks), String(c.calls), fmt(c.usPerCall, 2), fmt((c.usPerCall * services) / 1000, 2)]),
    1,
  );
}
