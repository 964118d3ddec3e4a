/**
 * Where an ECS task's or service's container output is, for `berth logs <cluster> <task|service>`:
 * DescribeTasks and DescribeTaskDefinition through the SDK, then, per container that uses the
 * `awslogs` log driver, its log group and stream (`PREFIX/CONTAINER/TASK-ID`, or the container's
 * runtime id without `awslogs-stream-prefix`, as the agent names them).
 */
import type { ECSClient, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import { OptionsError } from '../config/index.js';

/** One container's log stream, labelled for printing. */
export interface LogSource {
  logGroupName: string;
  /** One stream; a source without it reads the whole group (or `logStreamNamePrefix`). */
  logStreamName?: string;
  logStreamNamePrefix?: string;
  /** Printed before each message instead of the stream name. */
  label?: string;
}

/** A task reference: a 32-hex task id or a task ARN (anything else is a service name). */
export function isTaskRef(ref: string): boolean {
  return /^[0-9a-f]{32}$/.test(ref) || /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:task\//.test(ref);
}

/** The streams of one task's awslogs containers; `label` includes the task id when `withTaskId`. */
export function taskLogSources(task: Task, td: TaskDefinition, withTaskId: boolean): { sources: LogSource[]; unrouted: string[] } {
  const taskId = task.taskArn!.slice(task.taskArn!.lastIndexOf('/') + 1);
  const sources: LogSource[] = [];
  const unrouted: string[] = [];
  for (const def of td.containerDefinitions ?? []) {
    const lc = def.logConfiguration;
    const group = lc?.options?.['awslogs-group'];
    if (lc?.logDriver !== 'awslogs' || !group) {
      unrouted.push(def.name!);
      continue;
    }
    const prefix = lc.options?.['awslogs-stream-prefix'];
    const runtimeId = task.containers?.find((c) => c.name === def.name)?.runtimeId;
    const stream = prefix ? `${prefix}/${def.name}/${taskId}` : runtimeId;
    if (!stream) continue; // No prefix and never started: it has no stream.
    sources.push({ logGroupName: group, logStreamName: stream, label: withTaskId ? `${def.name}/${taskId}` : def.name! });
  }
  return { sources, unrouted };
}

/**
 * Resolves `ref` in `cluster` to log sources: a task id/ARN gives that task's containers; a
 * service name gives those of its tasks, running and stopped (labels then carry the task id).
 * `warn` hears of containers whose output is not in CloudWatch Logs (once per container).
 */
export function ecsLogResolver(ecs: ECSClient, cluster: string, ref: string, warn: (line: string) => void): () => Promise<LogSource[]> {
  const definitions = new Map<string, TaskDefinition>();
  const warned = new Set<string>();
  return async () => {
    const { DescribeTasksCommand, DescribeTaskDefinitionCommand, ListTasksCommand } = await import('@aws-sdk/client-ecs');
    let arns: string[];
    const service = !isTaskRef(ref);
    if (service) {
      arns = [];
      for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
        let nextToken: string | undefined;
        do {
          const page = await ecs.send(new ListTasksCommand({ cluster, serviceName: ref, desiredStatus, nextToken }));
          arns.push(...(page.taskArns ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
      }
    } else arns = [ref];
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
      if (!service && (out.tasks ?? []).length === 0) throw new OptionsError(`task ${ref} is not in cluster ${cluster}.`);
      tasks.push(...(out.tasks ?? []));
    }
    tasks.sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
    const sources: LogSource[] = [];
    for (const task of tasks) {
      const tdArn = task.taskDefinitionArn!;
      let td = definitions.get(tdArn);
      if (!td) {
        td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: tdArn }))).taskDefinition!;
        definitions.set(tdArn, td);
      }
      const found = taskLogSources(task, td, service);
      sources.push(...found.sources);
      for (const name of found.unrouted) {
        if (warned.has(`${task.taskArn}/${name}`)) continue;
        warned.add(`${task.taskArn}/${name}`);
        warn(`berth: container ${name} of task ${task.taskArn} does not use the awslogs log driver; its output is not in CloudWatch Logs.`);
      }
    }
    return sources;
  };
}
