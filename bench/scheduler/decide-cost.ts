/**
 * The decision function's cost, in process: `decideService` timed on inputs shaped like the
 * benchmark's services (10 tasks each) at the points a service goes through — placing its
 * tasks, waiting for them, steady, and a rolling deployment half way (old tasks stopping, new
 * ones starting, stopped tasks to acknowledge).
 */
import { decideService, NO_THROTTLE, type DeploymentView, type ServiceInput, type TaskObservation } from '../../src/scheduler/index.js';

/** One timed input shape and its cost. */
export interface DecideCost {
  shape: string;
  tasks: number;
  calls: number;
  /** Mean microseconds per call. */
  usPerCall: number;
}

const NOW = Date.parse('2026-01-01T00:10:00Z');
const T0 = Date.parse('2026-01-01T00:00:00Z');

function deployment(id: string, status: DeploymentView['status'], rolloutState: DeploymentView['rolloutState'], desiredCount: number, ageMs: number): DeploymentView {
  return { id, status, taskDefinition: `arn:aws:ecs:us-east-1:000000000000:task-definition/bench:${id === 'ecs-svc/2' ? 2 : 1}`, desiredCount, rolloutState, failedTasks: 0, createdAt: NOW - ageMs };
}

function task(i: number, startedBy: string, lastStatus: TaskObservation['lastStatus'], desiredStatus: TaskObservation['desiredStatus'] = 'RUNNING', acknowledged = false): TaskObservation {
  const running = lastStatus === 'RUNNING' || lastStatus === 'STOPPED';
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/bench/${startedBy.replace('/', '-')}-${String(i).padStart(4, '0')}`,
    startedBy,
    lastStatus,
    desiredStatus,
    healthStatus: 'UNKNOWN',
    startedAt: running ? T0 + i * 10 : undefined,
    stopCode: lastStatus === 'STOPPED' ? 'ServiceSchedulerInitiated' : undefined,
    reachedRunning: running,
    acknowledged,
  };
}

/** The input shapes timed, for a service of `n` tasks. */
export function decideInputs(n: number): { shape: string; input: ServiceInput }[] {
  const service = {
    serviceName: 'bench-svc',
    desiredCount: n,
    schedulingStrategy: 'REPLICA' as const,
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    healthCheckGracePeriodSeconds: 0,
  };
  const base = { service, capacity: Number.MAX_SAFE_INTEGER, throttle: { ...NO_THROTTLE }, now: NOW };
  const range = (k: number) => Array.from({ length: k }, (_, i) => i);
  const v1 = 'ecs-svc/1';
  const v2 = 'ecs-svc/2';
  const half = Math.floor(n / 2);
  return [
    { shape: 'new (places all)', input: { ...base, deployments: [deployment(v1, 'PRIMARY', 'IN_PROGRESS', n, 1000)], tasks: [] } },
    {
      shape: 'starting (all PENDING)',
      input: { ...base, deployments: [deployment(v1, 'PRIMARY', 'IN_PROGRESS', n, 1000)], tasks: range(n).map((i) => task(i, v1, 'PENDING')) },
    },
    {
      shape: 'steady',
      input: { ...base, deployments: [deployment(v1, 'PRIMARY', 'COMPLETED', n, 600_000)], tasks: range(n).map((i) => task(i, v1, 'RUNNING')) },
    },
    {
      shape: 'rolling (half replaced)',
      input: {
        ...base,
        deployments: [deployment(v2, 'PRIMARY', 'IN_PROGRESS', n, 30_000), deployment(v1, 'ACTIVE', 'COMPLETED', n, 600_000)],
        tasks: [
          ...range(n - half).map((i) => task(i, v1, 'RUNNING')),
          ...range(half).map((i) => task(n + i, v1, 'STOPPED', 'STOPPED', i % 2 === 0)),
          ...range(half).map((i) => task(2 * n + i, v2, i % 2 === 0 ? 'RUNNING' : 'PENDING')),
        ],
      },
    },
  ];
}

/** Times `calls` decisions per shape (after a warm-up of a tenth as many, not counted). */
export function measureDecideCost(tasksPerService: number, calls: number): DecideCost[] {
  const out: DecideCost[] = [];
  let sink = 0;
  for (const { shape, input } of decideInputs(tasksPerService)) {
    for (let i = 0; i < Math.max(100, calls / 10); i++) sink += decideService(input).events.length;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) sink += decideService(input).events.length;
    const elapsed = performance.now() - t0;
    out.push({ shape, tasks: input.tasks.length, calls, usPerCall: (elapsed * 1000) / calls });
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the calls from being optimised away
  return out;
}
