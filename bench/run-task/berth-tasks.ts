/**
 * The Berth side of a round: RunTask (up to 10 tasks per call, every call at once), DescribeTasks
 * polled until all are RUNNING, then StopTask for each and polling until all are STOPPED. Times
 * come from the tasks' own `createdAt`, `startedAt` and `stoppedAt` (Berth's clock, the same
 * host clock as the bench's).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { RoundResult } from './figures.js';

/** ECS's limits: tasks per RunTask call, tasks per DescribeTasks call. */
const RUN_TASK_MAX_COUNT = 10;
const DESCRIBE_MAX = 100;

/** What a round on Berth needs. */
export interface BerthRound {
  ecs: ECSClient;
  cluster: string;
  taskDefinition: string;
  n: number;
  pollMs: number;
  timeoutMs: number;
}

/** A Berth round's result, with the client-side view beside the task timestamps. */
export interface BerthRoundResult extends RoundResult {
  /** Per task: from the client sending its RunTask call to `startedAt`, in ms. */
  clientLatenciesMs: number[];
  /** From the first RunTask call to the poll that saw the last task RUNNING, in ms. */
  observedElapsedMs: number;
}

const time = (d: Date | undefined, what: string, t: Task): number => {
  if (!d) throw new Error(`task ${t.taskArn} has no ${what}`);
  return d.getTime();
};

/** Polls DescribeTasks until every task of `arns` has `lastStatus` `status`; returns the tasks as last described. */
async function waitForAll(r: BerthRound, arns: string[], status: 'RUNNING' | 'STOPPED'): Promise<Map<string, Task>> {
  const done = new Map<string, Task>();
  const deadline = Date.now() + r.timeoutMs;
  for (;;) {
    const pending = arns.filter((a) => !done.has(a));
    for (let i = 0; i < pending.length; i += DESCRIBE_MAX) {
      const out = await r.ecs.send(new DescribeTasksCommand({ cluster: r.cluster, tasks: pending.slice(i, i + DESCRIBE_MAX) }));
      if (out.failures?.length) throw new Error(`DescribeTasks failed: ${JSON.stringify(out.failures)}`);
      for (const t of out.tasks ?? []) {
        if (t.lastStatus === status) done.set(t.taskArn!, t);
        else if (t.lastStatus === 'STOPPED') throw new Error(`task ${t.taskArn} stopped before RUNNING: ${t.stopCode}: ${t.stoppedReason}`);
      }
    }
    if (done.size === arns.length) return done;
    if (Date.now() > deadline) throw new Error(`${arns.length - done.size} of ${arns.length} tasks not ${status} after ${r.timeoutMs / 1000} s`);
    await sleep(r.pollMs);
  }
}

/** Starts `n` tasks, waits until all run, stops them and waits until all stopped. */
export async function berthRound(r: BerthRound): Promise<BerthRoundResult> {
  const calls = Array.from({ length: Math.ceil(r.n / RUN_TASK_MAX_COUNT) }, (_, i) => Math.min(RUN_TASK_MAX_COUNT, r.n - i * RUN_TASK_MAX_COUNT));
  const t0 = Date.now();
  const sentAt = new Map<string, number>();
  const answers = await Promise.allSettled(
    calls.map(async (count) => {
      const sent = Date.now();
      const out = await r.ecs.send(new RunTaskCommand({ cluster: r.cluster, taskDefinition: r.taskDefinition, count, startedBy: 'bench-run-task' }));
      if (out.failures?.length) throw new Error(`RunTask failed: ${JSON.stringify(out.failures)}`);
      for (const t of out.tasks ?? []) sentAt.set(t.taskArn!, sent);
    }),
  );
  const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failed) throw failed.reason; // tasks already started are stopped by the caller's clean-up
  const arns = [...sentAt.keys()];
  if (arns.length !== r.n) throw new Error(`RunTask answered ${arns.length} tasks, not ${r.n}`);

  const running = await waitForAll(r, arns, 'RUNNING');
  const observedElapsedMs = Date.now() - t0;
  const tasks = [...running.values()];
  const startedAt = tasks.map((t) => time(t.startedAt, 'startedAt', t));
  const startLatenciesMs = tasks.map((t) => time(t.startedAt, 'startedAt', t) - time(t.createdAt, 'createdAt', t));
  const clientLatenciesMs = tasks.map((t) => time(t.startedAt, 'startedAt', t) - sentAt.get(t.taskArn!)!);

  const t1 = Date.now();
  await Promise.all(arns.map((task) => r.ecs.send(new StopTaskCommand({ cluster: r.cluster, task, reason: 'bench-run-task' }))));
  const stopped = await waitForAll(r, arns, 'STOPPED');
  const lastStopped = Math.max(...[...stopped.values()].map((t) => time(t.stoppedAt, 'stoppedAt', t)));
  return {
    n: r.n,
    startElapsedMs: Math.max(...startedAt) - t0,
    startLatenciesMs,
    clientLatenciesMs,
    observedElapsedMs,
    stopElapsedMs: lastStopped - t1,
  };
}

async function listTasks(ecs: ECSClient, cluster: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** Clean-up: stops every task of the cluster that is not STOPPED and waits (at most `timeoutMs`) until they are. */
export async function stopEveryTask(ecs: ECSClient, cluster: string, timeoutMs: number): Promise<void> {
  const arns = await listTasks(ecs, cluster, 'RUNNING');
  await Promise.allSettled(arns.map((task) => ecs.send(new StopTaskCommand({ cluster, task, reason: 'bench-run-task clean-up' }))));
  const stopping = await listTasks(ecs, cluster, 'STOPPED');
  if (stopping.length) await waitForAll({ ecs, cluster, taskDefinition: '', n: 0, pollMs: 200, timeoutMs }, stopping, 'STOPPED');
}
