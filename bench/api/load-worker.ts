/**
 * A load-generating thread: builds its own client (the bench's one client configuration) against
 * one target and, on each request from the main thread, drives one operation with its share of
 * the calls in flight. Several threads let the SDK's own CPU cost use more than one core, so the
 * client is less of a ceiling; every target gets the same threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { drive, type Bound } from './load.js';
import { benchClient, clusterWorkload, taskDefinitionWorkload, type TargetEndpoint } from './workload.js';

/** What the main thread gives a worker at start. */
export interface WorkerSetup {
  target: TargetEndpoint;
  workload: 'task-definitions' | 'clusters';
  revisions: number;
  /** Socket pool size of this worker's client (its share of the calls in flight). */
  concurrency: number;
}

/** One request: warm up, then measure, one operation. */
export interface WorkerJob {
  op: string;
  concurrency: number;
  warmupS: number;
  bound: Bound;
}

/** A worker's answer to a job. */
export interface WorkerResult {
  latencies: Float64Array;
  errors: number;
  firstError?: string;
  elapsedS: number;
}

const setup = workerData as WorkerSetup;
const client = benchClient(setup.target, setup.concurrency);
const workload = setup.workload === 'clusters' ? clusterWorkload() : taskDefinitionWorkload(setup.revisions);
const ops = new Map(workload.operations(client).map((o) => [o.name, o]));

parentPort!.on('message', async (msg: WorkerJob | 'close') => {
  if (msg === 'close') {
    client.destroy();
    parentPort!.close();
    return;
  }
  const op = ops.get(msg.op)!;
  if (msg.warmupS > 0) await drive(op.call, msg.concurrency, { durationS: msg.warmupS }, false);
  const run = await drive(op.call, msg.concurrency, msg.bound, true);
  const latencies = Float64Array.from(run.latencies);
  const result: WorkerResult = { latencies, errors: run.errors, firstError: run.firstError, elapsedS: run.elapsedS };
  parentPort!.postMessage(result, [latencies.buffer]);
});
