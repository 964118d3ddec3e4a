/**
 * ECS services behind load balancers: the loop that registers a service's RUNNING tasks as
 * targets of its `loadBalancers` target groups and deregisters them when they are to stop, the
 * target health the service scheduler counts, and the drain gate the task agent waits on before
 * it signals a stopping task's containers (ECS's DEACTIVATING).
 *
 * Level-based: every second, and when woken (a task changed status, a task waits on its drain),
 * it compares what should be registered (the RUNNING tasks meant to keep running, of every
 * ACTIVE or DRAINING service with target groups) with what ECS registered (the table
 * `ecs_lb_targets`, which remembers which task each target is), and makes the difference in one
 * ELBv2 change (`EcsTargetRegistry.change`: one transaction, then the data plane's snapshot).
 * A kill -9 at any point leaves a consistent state: the next round carries on.
 */
import { randomUUID } from 'node:crypto';
import { REASON_DESCRIPTIONS, type EcsTargetEdit, type EcsTargetGroup, type EcsTargetRegistry } from '../services/elbv2/index.js';
import { saveService, type ServiceRecord, type TaskRecord } from '../services/ecs/index.js';
import type { Migration, Store } from '../state/index.js';
import { WakeSignal } from '../reconcile/index.js';

/** The ownership table: each target ECS registered, the task it stands for, and whether it was deregistered since. */
export const lbTargetMigrations: Migration[] = [
  {
    version: 1,
    name: 'targets registered for service tasks',
    up: `
      CREATE TABLE ecs_lb_targets (
        target_group_arn TEXT NOT NULL, id TEXT NOT NULL, port INTEGER NOT NULL,
        task_arn TEXT NOT NULL, service_arn TEXT NOT NULL, container_port INTEGER NOT NULL,
        deregistered INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (target_group_arn, id, port));
      CREATE INDEX ecs_lb_targets_task ON ecs_lb_targets (task_arn);
    `,
  },
];

/** The most events a service keeps (as the scheduler keeps them). */
const MAX_EVENTS = 100;
/** Loopback: where the process driver's tasks listen (their host ports). */
const LOOPBACK = '127.0.0.1';

/** One target a task stands for. */
export interface TaskTarget {
  targetGroupArn: string;
  id: string;
  port: number;
  containerPort: number;
}

interface OwnedRow {
  targetGroupArn: string;
  id: string;
  port: number;
  taskArn: string;
  serviceArn: string;
  containerPort: number;
  deregistered: number;
}

const keyOf = (t: { targetGroupArn: string; id: string; port: number }) => `${t.targetGroupArn}|${t.id}|${t.port}`;

/**
 * The targets a task of a service with `loadBalancers` stands for. `instance` groups: Berth's host
 * instance and the host port bound to the container port. `ip` groups: the task's own address
 * and the container port when it has one (oci, awsvpc); on the process driver, whose tasks share
 * the host's network, `127.0.0.1` and the host port (an ip target may be loopback in Berth).
 * Load balancers whose group is gone, or whose port the task has no binding for, give none.
 */
export function taskTargets(s: Pick<ServiceRecord, 'loadBalancers'>, task: TaskRecord, group: (arn: string) => EcsTargetGroup | undefined, instanceId: string): TaskTarget[] {
  const out: TaskTarget[] = [];
  const ip = task.attachments.flatMap((a) => a.details).find((d) => d.name === 'privateIPv4Address')?.value;
  for (const lb of s.loadBalancers) {
    if (!lb.targetGroupArn || !lb.containerName || lb.containerPort === undefined) continue;
    const tg = group(lb.targetGroupArn);
    if (!tg) continue;
    const binding = task.containers.find((c) => c.name === lb.containerName)?.networkBindings.find((b) => b.containerPort === lb.containerPort && b.protocol !== 'udp');
    if (tg.targetType === 'ip' && ip && ip !== LOOPBACK) {
      out.push({ targetGroupArn: tg.arn, id: ip, port: lb.containerPort, containerPort: lb.containerPort });
    } else if (binding) {
      out.push({ targetGroupArn: tg.arn, id: tg.targetType === 'instance' ? instanceId : LOOPBACK, port: binding.hostPort, containerPort: lb.containerPort });
    }
  }
  return out;
}

/**
 * The load balancers a task of `s` registers in: its task set's for a service of task sets
 * (EXTERNAL, CODE_DEPLOY; none once the set is DRAINING or gone), the service's otherwise.
 */
export function loadBalancersOf(s: Pick<ServiceRecord, 'loadBalancers' | 'taskSets' | 'deploymentController'>, task: Pick<TaskRecord, 'startedBy'>): ServiceRecord['loadBalancers'] {
  // A record without a controller (older or partial) is of the ECS controller.
  if ((s.deploymentController?.type ?? 'ECS') === 'ECS') return s.loadBalancers;
  const set = (s.taskSets ?? []).find((t) => t.id === task.startedBy);
  return set && set.status !== 'DRAINING' ? set.loadBalancers : [];
}

/** Whether any task of `s` may have targets. */
const hasTargetGroups = (s: ServiceRecord) =>
  s.loadBalancers.some((lb) => lb.targetGroupArn) || ((s.deploymentController?.type ?? 'ECS') !== 'ECS' && (s.taskSets ?? []).some((t) => t.loadBalancers.some((lb) => lb.targetGroupArn)));

/** ECS's events about targets. */
export const targetEvents = {
  registered: (service: string, count: number, tgArn: string) => `(service ${service}) registered ${count} targets in (target-group ${tgArn})`,
  deregistered: (service: string, count: number, tgArn: string) => `(service ${service}) deregistered ${count} targets in (target-group ${tgArn})`,
  unhealthy: (service: string, port: number, tgArn: string, reason: string) => `(service ${service}) (port ${port}) is unhealthy in (target-group ${tgArn}) due to (reason ${reason}).`,
  stoppedReason: (tgArn: string) => `Task failed ELB health checks in (target-group ${tgArn})`,
};

/** A task's health as its target groups see it, and, when unhealthy, where and why. */
export interface TargetHealthView {
  status: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  failing?: { targetGroupArn: string; port: number; reason: string };
}

/** Options of {@link LoadBalancerTargets}. */
export interface LoadBalancerTargetsOptions {
  store: Store;
  registry: EcsTargetRegistry;
  pollMs?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

/** The registration loop, the health view and the drain gate; a Runnable owned by Berth's Manager. */
export class LoadBalancerTargets {
  private readonly wakeSignal: WakeSignal;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: LoadBalancerTargetsOptions) {
    options.store.migrate('ecs-lb-targets', lbTargetMigrations);
    this.wakeSignal = new WakeSignal(options.pollMs ?? 1000);
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
    this.now = options.now ?? (() => new Date());
  }

  /** Asks for a round now (a task changed status, or waits on its drain). */
  wake(): void {
    this.wakeSignal.wake();
  }

  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sync();
      } catch (err) {
        this.log(`load balancer targets: ${(err as Error).stack ?? (err as Error).message}`);
      }
      await this.wakeSignal.wait(signal);
    }
  }

  /** One round: registers what should be, deregisters what should not; true when it changed anything. */
  async sync(): Promise<boolean> {
    this.forgetStopped();
    if (!this.plan().changes) return false;
    // Re-planned inside the ELBv2 transaction: what it writes matches what it read.
    return this.options.registry.change((edit) => this.apply(edit));
  }

  /** The desired targets (by key) and the owned rows, read now. */
  private plan(): { desired: Map<string, TaskTarget & { task: TaskRecord; service: ServiceRecord }>; owned: Map<string, OwnedRow>; changes: boolean } {
    const store = this.options.store;
    const registry = this.options.registry;
    const groups = new Map<string, EcsTargetGroup | undefined>();
    const group = (arn: string) => {
      if (!groups.has(arn)) groups.set(arn, registry.targetGroup(arn));
      return groups.get(arn);
    };
    const desired = new Map<string, TaskTarget & { task: TaskRecord; service: ServiceRecord }>();
    const services = (store.prepare(`SELECT doc FROM ecs_services WHERE status IN ('ACTIVE', 'DRAINING')`).pluck().all() as string[])
      .map((d) => JSON.parse(d) as ServiceRecord)
      .filter(hasTargetGroups);
    const tasksOf = store.prepare(`SELECT doc FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status = 'RUNNING' AND desired_status = 'RUNNING'`).pluck();
    for (const s of services) {
      for (const doc of tasksOf.all(s.clusterArn, s.name) as string[]) {
        const task = JSON.parse(doc) as TaskRecord;
        for (const t of taskTargets({ loadBalancers: loadBalancersOf(s, task) }, task, group, registry.instanceId)) desired.set(keyOf(t), { ...t, task, service: s });
      }
    }
    const owned = new Map(
      (store
        .prepare('SELECT target_group_arn AS targetGroupArn, id, port, task_arn AS taskArn, service_arn AS serviceArn, container_port AS containerPort, deregistered FROM ecs_lb_targets')
        .all() as OwnedRow[]).map((r) => [keyOf(r), r]),
    );
    let changes = false;
    for (const [k, d] of desired) {
      const o = owned.get(k);
      if (!o || o.deregistered || o.taskArn !== d.task.taskArn) changes = true;
    }
    for (const [k, o] of owned) if (!o.deregistered && !desired.has(k)) changes = true;
    return { desired, owned, changes };
  }

  /** Makes the difference inside the ELBv2 transaction; records the events on the services. */
  private apply(edit: EcsTargetEdit): boolean {
    const store = this.options.store;
    const { desired, owned } = this.plan();
    const events = new Map<string, { service?: ServiceRecord; registered: Map<string, number>; deregistered: Map<string, number> }>();
    const note = (serviceArn: string, kind: 'registered' | 'deregistered', tgArn: string, service?: ServiceRecord) => {
      let e = events.get(serviceArn);
      if (!e) events.set(serviceArn, (e = { service, registered: new Map(), deregistered: new Map() }));
      e.service ??= service;
      e[kind].set(tgArn, (e[kind].get(tgArn) ?? 0) + 1);
    };
    const upsert = store.prepare(
      `INSERT INTO ecs_lb_targets (target_group_arn, id, port, task_arn, service_arn, container_port, deregistered) VALUES (?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT DO UPDATE SET task_arn = excluded.task_arn, service_arn = excluded.service_arn, container_port = excluded.container_port, deregistered = 0`,
    );
    const markDeregistered = store.prepare('UPDATE ecs_lb_targets SET deregistered = 1 WHERE target_group_arn = ? AND id = ? AND port = ?');
    let changed = false;
    for (const [k, o] of owned) {
      if (o.deregistered || desired.has(k)) continue;
      // The group may be gone (deleted with its targets): nothing to drain then.
      edit.deregister(o.targetGroupArn, o.id, o.port);
      markDeregistered.run(o.targetGroupArn, o.id, o.port);
      note(o.serviceArn, 'deregistered', o.targetGroupArn);
      changed = true;
    }
    for (const [k, d] of desired) {
      const o = owned.get(k);
      if (o && !o.deregistered && o.taskArn === d.task.taskArn) continue;
      if (!edit.register(d.targetGroupArn, d.id, d.port)) {
        this.log(`load balancer targets: could not register ${d.id}:${d.port} of ${d.task.taskArn} in ${d.targetGroupArn} (group gone or full)`);
        continue;
      }
      upsert.run(d.targetGroupArn, d.id, d.port, d.task.taskArn, d.service.arn, d.containerPort);
      note(d.service.arn, 'registered', d.targetGroupArn, d.service);
      changed = true;
    }
    const at = this.now().toISOString();
    for (const [serviceArn, e] of events) {
      const doc = store.prepare('SELECT doc FROM ecs_services WHERE arn = ?').pluck().get(serviceArn) as string | undefined;
      if (!doc) continue;
      const s = JSON.parse(doc) as ServiceRecord;
      const messages = [
        ...[...e.deregistered].map(([tg, n]) => targetEvents.deregistered(s.name, n, tg)),
        ...[...e.registered].map(([tg, n]) => targetEvents.registered(s.name, n, tg)),
      ];
      for (const message of messages) s.events.unshift({ id: randomUUID(), createdAt: at, message });
      if (s.events.length > MAX_EVENTS) s.events.length = MAX_EVENTS;
      // saveService writes through deps.store only.
      saveService({ store } as Parameters<typeof saveService>[0], s);
    }
    return changed;
  }

  /** Forgets the deregistered targets of tasks that have stopped (nothing waits on their drain any more). */
  private forgetStopped(): void {
    // Read first: most rounds have nothing to forget and then write (and sync) nothing.
    const gone = `deregistered = 1 AND NOT EXISTS (SELECT 1 FROM ecs_tasks t WHERE t.arn = task_arn AND t.last_status != 'STOPPED')`;
    if (this.options.store.prepare(`SELECT 1 FROM ecs_lb_targets WHERE ${gone} LIMIT 1`).get() === undefined) return;
    this.options.store.prepare(`DELETE FROM ecs_lb_targets WHERE ${gone}`).run();
  }

  /**
   * The drain gate: true once none of the task's targets is registered and the data plane has
   * finished draining each (in-flight requests done or the deregistration delay passed). The
   * task agent signals a stopping task's containers only then. Not drained yet: a round is
   * asked for, so the deregistration happens now rather than at the next poll.
   */
  drained(task: Pick<TaskRecord, 'taskArn'>): boolean {
    const rows = this.options.store
      .prepare('SELECT target_group_arn AS targetGroupArn, id, port, deregistered FROM ecs_lb_targets WHERE task_arn = ?')
      .all(task.taskArn) as Pick<OwnedRow, 'targetGroupArn' | 'id' | 'port' | 'deregistered'>[];
    const waiting = rows.some((r) => {
      if (!r.deregistered) return true;
      // Still in the data plane (draining, or the new snapshot not applied yet).
      return this.options.registry.health(r.targetGroupArn)?.has(`${r.id}:${r.port}`) ?? false;
    });
    if (waiting) this.wake();
    return !waiting;
  }

  /**
   * The service's tasks as the scheduler should count them: a RUNNING task of a service with
   * target groups is HEALTHY only once healthy in every group (and its container health check,
   * if any, passes), UNHEALTHY when unhealthy in one, UNKNOWN otherwise (registering, initial).
   * A task the scheduler stopped for failing its target health checks reads UNHEALTHY, so the
   * circuit breaker counts it as failed. Returns copies (the records are untouched) and, per
   * RUNNING task, why it is unhealthy.
   */
  observe(s: ServiceRecord, tasks: readonly TaskRecord[], healthChecked: (taskDefinitionArn: string) => boolean): { tasks: TaskRecord[]; health: Map<string, TargetHealthView> } {
    const health = new Map<string, TargetHealthView>();
    if (!hasTargetGroups(s)) return { tasks: [...tasks], health };
    const rows = this.options.store.prepare('SELECT target_group_arn AS targetGroupArn, id, port, container_port AS containerPort FROM ecs_lb_targets WHERE task_arn = ? AND deregistered = 0');
    const reports = new Map<string, ReturnType<EcsTargetRegistry['health']>>();
    const reportOf = (tg: string) => {
      if (!reports.has(tg)) reports.set(tg, this.options.registry.health(tg));
      return reports.get(tg);
    };
    const out = tasks.map((t) => {
      // Replaced for failing its target health checks: a failed task for the circuit breaker, as ECS counts it.
      if (t.lastStatus === 'STOPPED' && t.stopCode === 'ServiceSchedulerInitiated' && t.stoppedReason?.startsWith('Task failed ELB health checks')) {
        return t.healthStatus === 'UNHEALTHY' ? t : { ...t, healthStatus: 'UNHEALTHY' as const };
      }
      if (t.lastStatus !== 'RUNNING') return t;
      const registered = rows.all(t.taskArn) as { targetGroupArn: string; id: string; port: number; containerPort: number }[];
      const wanted = loadBalancersOf(s, t).filter((lb) => lb.targetGroupArn).length;
      let view: TargetHealthView = { status: registered.length >= wanted ? 'HEALTHY' : 'UNKNOWN' };
      for (const r of registered) {
        const report = reportOf(r.targetGroupArn)?.get(`${r.id}:${r.port}`);
        if (report?.state === 'unhealthy') {
          view = { status: 'UNHEALTHY', failing: { targetGroupArn: r.targetGroupArn, port: r.containerPort, reason: report.description ?? REASON_DESCRIPTIONS[report.reason ?? ''] ?? 'Health checks failed' } };
          break;
        }
        if (report?.state !== 'healthy') view = { status: 'UNKNOWN' };
      }
      health.set(t.taskArn, view);
      const container = t.healthStatus;
      const checked = healthChecked(t.taskDefinitionArn);
      const status: TaskRecord['healthStatus'] =
        container === 'UNHEALTHY' || view.status === 'UNHEALTHY'
          ? 'UNHEALTHY'
          : view.status === 'HEALTHY' && (!checked || container === 'HEALTHY')
            ? 'HEALTHY'
            : 'UNKNOWN';
      return status === t.healthStatus ? t : { ...t, healthStatus: status };
    });
    return { tasks: out, health };
  }
}
