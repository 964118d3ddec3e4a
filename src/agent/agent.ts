/**
 * The task agent: a level-based reconcile loop keyed by task ARN over every task that is not
 * STOPPED. Each step reads the task (desired state) and what its driver observes, asks
 * {@link decideTask} what to do, applies that through the driver, and saves the outcome in one
 * transaction. Runtime state (driver, sandbox, handles) is saved the moment a driver returns it,
 * so Berth may be killed at any point: on start the agent re-adopts what still runs and marks what
 * died meanwhile. Stopping Berth leaves tasks running (as the ECS agent does).
 */
import { DriverError, type ContainerConfig, type Driver, type TaskHandle, type TaskSpec } from '../runtime/index.js';
import {
  ContainerStatus,
  DRIVER_CHOICES,
  DRIVER_TAG,
  findCluster,
  requireTaskDefinition,
  saveTask,
  TaskDesiredStatus,
  TaskStatus,
  type DriverChoice,
  type EcsDeps,
  type TaskDefinitionRecord,
  type TaskRecord,
} from '../services/ecs/index.js';
import type { Store } from '../state/index.js';
import { TagStore } from '../tagging/index.js';
import { decideTask, type ContainerObservation, type ContainerSpec, type DependencyCondition, type TaskActions, type TaskView } from './decide.js';
import { chooseDriver, type DriverSet } from './drivers.js';
import { deleteRuntimeState, liveRuntimeStates, loadRuntimeState, saveRuntimeState, type TaskRuntimeState } from './runtime-state.js';

/** ECS's default container `stopTimeout`: 30 seconds between SIGTERM and SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** The container reason given to a container found dead after a Berth restart. */
export const EXITED_WHILE_DOWN = 'Container exited while Berth was down';
const MAX_STEPS = 50;

/** Options of {@link TaskAgent}. */
export interface TaskAgentOptions {
  store: Store;
  /** The account and region the ECS tables belong to. */
  scope: EcsDeps['scope'];
  drivers: DriverSet;
  /** Resolves a container secret's `valueFrom` (Secrets Manager or SSM); throws with ECS's words. */
  resolveSecret(valueFrom: string): string;
  /** How often every live task is looked at even without a wake-up. Default 1000 ms. */
  pollMs?: number;
  /** Where the agent reports what it could not do. Default stderr. */
  log?: (line: string) => void;
  /** The clock. */
  now?: () => Date;
}

/** The task agent; a Runnable owned by Berth's Manager. */
export class TaskAgent {
  private readonly deps: EcsDeps;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly watches = new Map<string, AbortController>();
  private readonly pollMs: number;
  private readonly log: (line: string) => void;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly options: TaskAgentOptions) {
    this.deps = { store: options.store, tags: new TagStore(options.store), scope: options.scope, now: options.now ?? (() => new Date()) };
    this.pollMs = options.pollMs ?? 1000;
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /** Asks the loop to look at every live task now (after the caller's transaction commits). */
  wake(): void {
    setImmediate(() => {
      this.woken = true;
      this.wakeUp?.();
    });
  }

  /** Recovers persisted tasks, then reconciles until `signal` aborts; running tasks are left running. */
  async start(signal: AbortSignal): Promise<void> {
    await this.recover();
    while (!signal.aborted) {
      this.reconcileAll(signal);
      await this.idle(signal);
    }
    await Promise.allSettled([...this.busy.values()]);
    for (const w of this.watches.values()) w.abort();
    this.watches.clear();
  }

  private idle(signal: AbortSignal): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }

  private reconcileAll(signal: AbortSignal): void {
    const arns = this.options.store.prepare(`SELECT arn FROM ecs_tasks WHERE last_status != 'STOPPED' ORDER BY created_at, rowid`).pluck().all() as string[];
    for (const arn of arns) {
      if (this.busy.has(arn)) continue;
      const run = this.reconcileTask(arn, signal)
        .catch((err: Error) => this.log(`task agent: ${arn}: ${err.stack ?? err.message}`))
        .finally(() => this.busy.delete(arn));
      this.busy.set(arn, run);
    }
  }

  /** Steps one task until nothing more is to be done now. */
  private async reconcileTask(arn: string, signal: AbortSignal): Promise<void> {
    for (let i = 0; i < MAX_STEPS && !signal.aborted; i++) {
      if (!(await this.step(arn))) return;
    }
    this.wake();
  }

  /** Re-adopts persisted tasks after a restart: sandboxes (ports) first, then containers. */
  private async recover(): Promise<void> {
    const states = liveRuntimeStates(this.options.store);
    for (const rt of states) {
      const driver = this.options.drivers.byName(rt.driver);
      if (!driver) {
        for (const name of Object.keys(rt.handles)) rt.failures[name] ??= `CannotInspectContainerError: the ${rt.driver} driver is not available on this Berth`;
        if (!rt.sandbox) rt.sandboxError ??= `ResourceInitializationError: the ${rt.driver} driver is not available on this Berth`;
        saveRuntimeState(this.options.store, rt);
        continue;
      }
      if (rt.sandbox && !(await driver.recoverTaskSandbox(rt.sandbox).catch(() => false)) && Object.keys(rt.handles).length === 0) {
        rt.sandboxError = 'ResourceInitializationError: the task network was lost while Berth was down';
      }
      const task = this.loadTask(rt.taskArn);
      for (const [name, handle] of Object.entries(rt.handles)) {
        if (await driver.recoverTask(handle).catch(() => false)) this.watch(rt.taskArn, handle, driver);
        else if (task?.containers.find((c) => c.name === name)?.lastStatus === 'RUNNING') rt.notes[name] = EXITED_WHILE_DOWN;
      }
      saveRuntimeState(this.options.store, rt);
    }
  }

  /** Wakes the loop when a container exits. */
  private watch(arn: string, handle: TaskHandle, driver: Driver): void {
    const key = `${arn}/${handle.containerName}`;
    this.watches.get(key)?.abort();
    const ac = new AbortController();
    this.watches.set(key, ac);
    driver.waitTask(handle, ac.signal).then(
      () => {
        if (this.watches.get(key) === ac) this.watches.delete(key);
        this.wake();
      },
      () => undefined,
    );
  }

  private loadTask(arn: string): TaskRecord | undefined {
    const doc = this.options.store.prepare('SELECT doc FROM ecs_tasks WHERE arn = ?').pluck().get(arn) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as TaskRecord);
  }

  /** Re-reads the task in a transaction, applies `change`, and saves it when `change` says so. */
  private update(arn: string, change: (t: TaskRecord) => boolean, rt?: (s: TaskRuntimeState | undefined) => TaskRuntimeState | 'delete' | undefined): void {
    this.options.store.transaction(() => {
      const t = this.loadTask(arn);
      if (!t) return;
      if (change(t)) {
        t.version++;
        saveTask(this.deps, t);
      }
      if (rt) {
        const next = rt(loadRuntimeState(this.options.store, arn));
        if (next === 'delete') deleteRuntimeState(this.options.store, arn);
        else if (next) saveRuntimeState(this.options.store, next);
      }
    });
  }

  /** One reconcile step; true when it changed something (so another step may follow). */
  private async step(arn: string): Promise<boolean> {
    const task = this.loadTask(arn);
    if (!task || task.lastStatus === 'STOPPED') return false;
    const rt = loadRuntimeState(this.options.store, arn);
    let td: TaskDefinitionRecord | undefined;
    let tdError: string | undefined;
    try {
      td = requireTaskDefinition(this.deps, task.taskDefinitionArn);
    } catch (err) {
      tdError = `ResourceInitializationError: the task definition ${task.taskDefinitionArn} cannot be read: ${(err as Error).message}`;
    }
    const defs = td?.containerDefinitions ?? [];
    const driver = rt ? this.options.drivers.byName(rt.driver) : undefined;

    if (!rt && task.desiredStatus === 'RUNNING') {
      // Claim the task before preparing anything, so StopTask hands it to the agent from now on.
      let claimed = false;
      this.update(arn, (t) => {
        claimed = t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
        return false;
      }, (s) => (claimed && !s ? { taskArn: arn, driver: '', handles: {}, failures: {}, notes: {}, sandboxError: tdError } : undefined));
      return claimed;
    }

    const observed: Record<string, ContainerObservation> = {};
    for (const d of defs) {
      const name = d.name as string;
      const failure = rt?.failures[name];
      const handle = rt?.handles[name];
      if (failure) observed[name] = { state: 'exited', reason: failure, health: 'UNKNOWN' };
      else if (handle && driver) observed[name] = await observe(driver, handle, rt?.notes[name]);
      else if (handle) observed[name] = { state: 'exited', reason: `CannotInspectContainerError: the ${rt?.driver} driver is not available`, health: 'UNKNOWN' };
    }
    const view: TaskView = {
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      sandbox: rt?.sandbox ? { state: 'ready' } : rt?.sandboxError ? { state: 'failed', reason: rt.sandboxError } : { state: 'absent' },
      containers: defs.map(containerSpec),
      observed,
      stop: task.desiredStatus === 'STOPPED' ? { code: (task.stopCode ?? 'UserInitiated') as NonNullable<TaskView['stop']>['code'], reason: task.stoppedReason ?? 'Task stopped' } : undefined,
    };
    const actions = decideTask(view);
    const progressed = this.record(arn, actions, observed, rt);

    if (actions.prepareSandbox && rt && td) {
      await this.prepare(task, td, rt);
      return true;
    }
    if (actions.start.length > 0 && rt?.sandbox && driver && td) {
      await this.startContainers(task, td, rt, driver, actions.start);
      return true;
    }
    if (actions.stop.length > 0 && rt && driver) {
      this.update(arn, (t) => TaskStatus.canMove(t.lastStatus, 'STOPPING') && Boolean((t.lastStatus = TaskStatus.move(t.lastStatus, 'STOPPING'))));
      for (const name of actions.stop) {
        const def = defs.find((d) => d.name === name);
        const timeout = typeof def?.stopTimeout === 'number' ? def.stopTimeout : DEFAULT_STOP_TIMEOUT_SECONDS;
        await driver.stopTask(rt.handles[name], timeout * 1000, 'SIGTERM').catch((err: Error) => this.log(`task agent: stopping ${arn} ${name}: ${err.message}`));
      }
      return true;
    }
    if (actions.destroy) {
      await this.destroy(arn, rt, driver);
      return true;
    }
    return progressed;
  }

  /** Saves what the step observed and decided (statuses, exit codes, stop reason, health); true if anything moved. */
  private record(arn: string, actions: TaskActions, observed: Record<string, ContainerObservation>, rt: TaskRuntimeState | undefined): boolean {
    let changed = false;
    this.update(arn, (t) => {
      const now = this.deps.now().toISOString();
      const before = JSON.stringify(t);
      if (actions.stopTask && t.desiredStatus !== 'STOPPED') {
        t.desiredStatus = TaskDesiredStatus.move(t.desiredStatus, 'STOPPED');
        t.stopCode = actions.stopTask.code;
        t.stoppedReason = actions.stopTask.reason;
        t.stoppingAt = now;
      }
      for (const c of t.containers) {
        const to = actions.containerStatus[c.name];
        const o = observed[c.name];
        if (to === 'RUNNING' && ContainerStatus.canMove(c.lastStatus, 'RUNNING')) {
          c.lastStatus = ContainerStatus.move(c.lastStatus, 'RUNNING');
          const h = rt?.handles[c.name];
          if (h) {
            c.networkBindings = h.networkBindings.map((b) => ({ bindIP: b.bindIP, containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol }));
            c.runtimeId = `${h.taskId}/${h.containerName}`;
          }
        }
        if (to === 'STOPPED' && ContainerStatus.canMove(c.lastStatus, 'STOPPED')) {
          c.lastStatus = ContainerStatus.move(c.lastStatus, 'STOPPED');
          if (o?.exitCode !== undefined) c.exitCode = o.exitCode;
          if (o?.reason) c.reason = o.reason;
        }
        if (o) c.healthStatus = o.health;
      }
      t.healthStatus = actions.healthStatus;
      const to = actions.lastStatus;
      if (to === 'PENDING' || to === 'RUNNING') {
        if (TaskStatus.canMove(t.lastStatus, 'PENDING') && rt?.sandbox) {
          t.lastStatus = TaskStatus.move(t.lastStatus, 'PENDING');
          t.connectivity = 'CONNECTED';
          t.connectivityAt = now;
          const ip = rt.sandbox.ipv4Address;
          for (const a of t.attachments) {
            a.status = 'ATTACHED';
            const details = a.details.filter((d) => !['networkInterfaceId', 'macAddress', 'privateIPv4Address', 'privateDnsName'].includes(d.name));
            details.push({ name: 'networkInterfaceId', value: `eni-${t.id.slice(0, 17)}` });
            if (rt.sandbox.macAddress) details.push({ name: 'macAddress', value: rt.sandbox.macAddress });
            if (ip) details.push({ name: 'privateIPv4Address', value: ip }, { name: 'privateDnsName', value: `ip-${ip.replaceAll('.', '-')}.ec2.internal` });
            a.details = details;
          }
          for (const c of t.containers) for (const n of c.networkInterfaces) if (ip) n.privateIpv4Address = ip;
        }
        if (to === 'RUNNING' && TaskStatus.canMove(t.lastStatus, 'RUNNING')) {
          t.lastStatus = TaskStatus.move(t.lastStatus, 'RUNNING');
          t.startedAt = now;
        }
      }
      if (to === 'STOPPING') {
        // DEACTIVATING here; STOPPING once the apply step signals the containers.
        if (TaskStatus.canMove(t.lastStatus, 'DEACTIVATING')) t.lastStatus = TaskStatus.move(t.lastStatus, 'DEACTIVATING');
        t.stoppingAt ??= now;
      }
      changed = JSON.stringify(t) !== before;
      return changed;
    });
    return changed;
  }

  /** Chooses the driver and prepares the sandbox; persists it (or why it failed) at once. */
  private async prepare(task: TaskRecord, td: TaskDefinitionRecord, rt: TaskRuntimeState): Promise<void> {
    let driver: Driver | undefined;
    try {
      driver = await chooseDriver(this.options.drivers, this.driverChoice(task), td.containerDefinitions.map((d) => String(d.image ?? '')));
      const sandbox = await driver.prepareTask(taskSpec(task, td));
      this.update(task.taskArn, () => false, (s) => (s ? { ...s, driver: driver!.name, sandbox, sandboxError: undefined } : undefined));
      // The task was forgotten meanwhile (cannot happen while claimed); release what was made.
      if (!loadRuntimeState(this.options.store, task.taskArn)) await driver.destroyTaskSandbox(sandbox);
    } catch (err) {
      const reason = err instanceof DriverError ? err.reason : `ResourceInitializationError: ${(err as Error).message}`;
      this.update(task.taskArn, () => false, (s) => (s ? { ...s, driver: driver?.name ?? s.driver, sandboxError: reason } : undefined));
    }
  }

  /** The cluster's `berth:driver` tag; an unknown value (set before validation existed) counts as `auto`. */
  private driverChoice(task: TaskRecord): DriverChoice {
    const cluster = findCluster(this.deps, task.clusterArn);
    const value = cluster ? this.deps.tags.list(cluster.arn).find((t) => t.key === DRIVER_TAG)?.value : undefined;
    return (DRIVER_CHOICES as readonly string[]).includes(value ?? '') ? (value as DriverChoice) : 'auto';
  }

  /** Starts containers in order; each handle (or failure) is persisted as soon as it is known. */
  private async startContainers(task: TaskRecord, td: TaskDefinitionRecord, rt: TaskRuntimeState, driver: Driver, names: string[]): Promise<void> {
    const stamp = (field: 'pullStartedAt' | 'pullStoppedAt') =>
      this.update(task.taskArn, (t) => {
        if (t[field]) return false;
        t[field] = this.deps.now().toISOString();
        return true;
      });
    stamp('pullStartedAt');
    for (const name of names) {
      try {
        const config = containerConfig(task, td, name, this.options.resolveSecret);
        const handle = await driver.startTask(rt.sandbox!, config);
        this.update(task.taskArn, () => false, (s) => (s ? { ...s, handles: { ...s.handles, [name]: handle } } : undefined));
        this.watch(task.taskArn, handle, driver);
      } catch (err) {
        const reason = err instanceof DriverError ? err.reason : `CannotStartContainerError: ${(err as Error).message}`;
        this.update(task.taskArn, () => false, (s) => (s ? { ...s, failures: { ...s.failures, [name]: reason } } : undefined));
      }
    }
    stamp('pullStoppedAt');
  }

  /** Releases every container and the sandbox, then records STOPPED and forgets the runtime state. */
  private async destroy(arn: string, rt: TaskRuntimeState | undefined, driver: Driver | undefined): Promise<void> {
    this.update(arn, (t) => {
      if (!TaskStatus.canMove(t.lastStatus, 'DEPROVISIONING')) return false;
      t.lastStatus = TaskStatus.move(t.lastStatus, 'DEPROVISIONING');
      t.executionStoppedAt ??= this.deps.now().toISOString();
      return true;
    });
    if (rt && driver) {
      for (const handle of Object.values(rt.handles)) {
        await driver.destroyTask(handle).catch((err: Error) => this.log(`task agent: destroying ${arn} ${handle.containerName}: ${err.message}`));
        const key = `${arn}/${handle.containerName}`;
        this.watches.get(key)?.abort();
        this.watches.delete(key);
      }
      if (rt.sandbox) await driver.destroyTaskSandbox(rt.sandbox).catch((err: Error) => this.log(`task agent: releasing ${arn}: ${err.message}`));
    }
    this.update(
      arn,
      (t) => {
        if (!TaskStatus.canMove(t.lastStatus, 'STOPPED')) return false;
        const now = this.deps.now().toISOString();
        t.lastStatus = TaskStatus.move(t.lastStatus, 'STOPPED');
        t.stoppedAt = now;
        t.executionStoppedAt ??= now;
        for (const c of t.containers) if (ContainerStatus.canMove(c.lastStatus, 'STOPPED')) c.lastStatus = ContainerStatus.move(c.lastStatus, 'STOPPED');
        for (const a of t.attachments) a.status = 'DELETED';
        return true;
      },
      () => 'delete',
    );
  }
}

/** What the driver sees of one container now. */
async function observe(driver: Driver, handle: TaskHandle, note: string | undefined): Promise<ContainerObservation> {
  try {
    const s = await driver.inspectTask(handle);
    if (s.state === 'running') return { state: 'running', health: 'UNKNOWN' };
    if (s.state === 'exited') return { state: 'exited', exitCode: s.exit?.exitCode, reason: note ?? s.exit?.reason, health: 'UNKNOWN' };
    return { state: 'exited', reason: note ?? 'CannotInspectContainerError: the container cannot be found', health: 'UNKNOWN' };
  } catch (err) {
    return { state: 'exited', reason: `CannotInspectContainerError: ${(err as Error).message}`, health: 'UNKNOWN' };
  }
}

/** What the decision needs of a container definition. */
function containerSpec(d: Record<string, any>): ContainerSpec {
  return {
    name: d.name as string,
    essential: d.essential !== false,
    dependsOn: ((d.dependsOn ?? []) as { containerName: string; condition: DependencyCondition }[]).map((x) => ({ containerName: x.containerName, condition: x.condition })),
    hasHealthCheck: Boolean(d.healthCheck),
  };
}

const MIB = 1024 * 1024;

/** Task-level CPU units from `1024` or `1 vCPU`. */
function cpuUnits(v: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(v ?? '');
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? 1024 : 1));
}

/** Task-level memory in bytes from `512` (MiB) or `2 GB`. */
function memoryBytes(v: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(v ?? '');
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] ? 1024 : 1) * MIB);
}

/** The sandbox the driver should prepare for a task. */
function taskSpec(task: TaskRecord, td: TaskDefinitionRecord): TaskSpec {
  return {
    taskId: task.id,
    networkMode: (td.networkMode ?? 'bridge') as TaskSpec['networkMode'],
    cpuUnits: cpuUnits(task.cpu),
    memoryLimitBytes: memoryBytes(task.memory),
    containers: td.containerDefinitions.map((d) => ({
      name: d.name as string,
      portMappings: ((d.portMappings ?? []) as { containerPort?: number; hostPort?: number; protocol?: 'tcp' | 'udp' }[])
        .filter((p) => p.containerPort !== undefined)
        .map((p) => ({ containerPort: p.containerPort!, hostPort: p.hostPort, protocol: p.protocol })),
    })),
  };
}

/** A container's runtime configuration: its definition with the task's overrides and resolved secrets. */
function containerConfig(task: TaskRecord, td: TaskDefinitionRecord, name: string, resolveSecret: (valueFrom: string) => string): ContainerConfig {
  const d = td.containerDefinitions.find((c) => c.name === name)!;
  const o = task.overrides.containerOverrides?.find((c) => c.name === name) ?? {};
  const environment: Record<string, string> = {};
  for (const e of [...((d.environment ?? []) as { name?: string; value?: string }[]), ...(o.environment ?? [])]) if (e.name) environment[e.name] = e.value ?? '';
  for (const s of (d.secrets ?? []) as { name: string; valueFrom: string }[]) {
    try {
      environment[s.name] = resolveSecret(s.valueFrom);
    } catch (err) {
      throw new DriverError('ResourceInitializationError', `unable to pull secrets or registry auth: ${(err as Error).message}`);
    }
  }
  const memory = o.memory ?? d.memory;
  const reservation = o.memoryReservation ?? d.memoryReservation;
  return {
    name,
    image: String(d.image ?? ''),
    entryPoint: d.entryPoint,
    command: o.command ?? d.command,
    environment,
    environmentFiles: o.environmentFiles ?? d.environmentFiles,
    workingDirectory: d.workingDirectory,
    user: d.user,
    memoryLimitBytes: typeof memory === 'number' ? memory * MIB : memoryBytes(task.memory),
    memoryReservationBytes: typeof reservation === 'number' ? reservation * MIB : undefined,
    cpuUnits: typeof (o.cpu ?? d.cpu) === 'number' && (o.cpu ?? d.cpu) > 0 ? (o.cpu ?? d.cpu) : undefined,
  };
}
