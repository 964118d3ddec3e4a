/**
 * The Berth side of the benchmark: a cluster on the process driver, a task definition of
 * `sleep 3600`, N services of M tasks created concurrently (bounded), and polling until every
 * service is steady. The figures come from Berth's own timestamps: each task's `startedAt` and
 * each service's "has reached a steady state." event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';

/** ECS's limits: services per DescribeServices call, tasks per DescribeTasks call. */
const DESCRIBE_SERVICES_MAX = 10;
const DESCRIBE_TASKS_MAX = 100;
/** The cluster and task definition family the bench makes. */
export const CLUSTER = 'bench-scheduler';
const FAMILY = 'bench-scheduler-sleep';
/** The container's command: it stays up and costs nothing. */
export const COMMAND = ['sleep', '3600'];

/** Creates the cluster (process driver) and registers the task definition; returns its family. */
export async function prepare(ecs: ECSClient): Promise<string> {
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER, tags: [{ key: 'berth:driver', value: 'process' }] }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      networkMode: 'none',
      containerDefinitions: [{ name: 'main', image: 'busybox:bench', command: COMMAND, cpu: 16, memory: 64, essential: true, stopTimeout: 0 }],
    }),
  );
  return FAMILY;
}

/** The service names the bench creates. */
export const serviceNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `bench-svc-${String(i).padStart(4, '0')}`);

/** Runs `fn` over `items` with at most `limit` at once; rejects with the first failure after all settle. */
async function bounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && failure === undefined) {
        const item = items[next++];
        await fn(item).catch((err) => (failure ??= err));
      }
    }),
  );
  if (failure !== undefined) throw failure;
}

/** Creates every service (desiredCount `tasks`), `concurrency` calls at a time; resolves when all answered. */
export async function createServices(ecs: ECSClient, names: readonly string[], taskDefinition: string, tasks: number, concurrency: number): Promise<void> {
  await bounded(names, concurrency, async (serviceName) => {
    await ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName, taskDefinition, desiredCount: tasks }));
  });
}

/** Every service described once (DESCRIBE_SERVICES_MAX per call, the calls at once). */
export async function describeAll(ecs: ECSClient, names: readonly string[]): Promise<Service[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += DESCRIBE_SERVICES_MAX) chunks.push(names.slice(i, i + DESCRIBE_SERVICES_MAX));
  const pages = await Promise.all(chunks.map((services) => ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services }))));
  return pages.flatMap((p) => {
    if (p.failures?.length) throw new Error(`DescribeServices failed: ${JSON.stringify(p.failures)}`);
    return p.services ?? [];
  });
}

/** Steady as the AWS CLI's services-stable waiter and the issue see it: runningCount = desired, one COMPLETED PRIMARY deployment. */
export function isSteady(s: Service, desired: number): boolean {
  const d = s.deployments ?? [];
  return s.runningCount === desired && d.length === 1 && d[0].status === 'PRIMARY' && d[0].rolloutState === 'COMPLETED';
}

/** What the poll saw over time. */
export interface Progress {
  /** ms after t0 when the poll first saw the running counts sum to the total. */
  allRunningSeenMs?: number;
  /** ms after t0 when the poll first saw every service steady. */
  allSteadySeenMs?: number;
  /** The last description of every service. */
  services: Service[];
  polls: number;
}

/**
 * Polls DescribeServices every `pollMs` until every service is steady; `onPoll` runs after each
 * poll (the bench samples /proc there). Throws after `timeoutMs` with how far it got.
 */
export async function waitSteady(ecs: ECSClient, names: readonly string[], desired: number, t0: number, pollMs: number, timeoutMs: number, onPoll: () => void): Promise<Progress> {
  const p: Progress = { services: [], polls: 0 };
  const total = names.length * desired;
  for (;;) {
    p.services = await describeAll(ecs, names);
    p.polls++;
    onPoll();
    const elapsed = performance.now() - t0;
    const running = p.services.reduce((n, s) => n + (s.runningCount ?? 0), 0);
    if (p.allRunningSeenMs === undefined && running >= total) p.allRunningSeenMs = elapsed;
    if (p.services.length === names.length && p.services.every((s) => isSteady(s, desired))) {
      p.allSteadySeenMs = elapsed;
      return p;
    }
    if (elapsed > timeoutMs) {
      const steady = p.services.filter((s) => isSteady(s, desired)).length;
      throw new Error(`after ${(timeoutMs / 1000).toFixed(0)} s: ${running} of ${total} tasks running, ${steady} of ${names.length} services steady`);
    }
    await sleep(pollMs);
  }
}

/** Every task of the cluster whose desired status is RUNNING, described. */
export async function runningTasks(ecs: ECSClient) {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const chunks: string[][] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_MAX) chunks.push(arns.slice(i, i + DESCRIBE_TASKS_MAX));
  const pages = await Promise.all(chunks.map((tasks) => ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks }))));
  return pages.flatMap((p) => p.tasks ?? []);
}

/** The newest "has reached a steady state." event of a service, in epoch ms; undefined when none. */
export function steadyAt(s: Service): number | undefined {
  const e = (s.events ?? []).find((x) => x.message?.endsWith('has reached a steady state.'));
  return e?.createdAt?.getTime();
}
