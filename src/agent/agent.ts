/**
 * The task agent: a level-based reconcile loop keyed by task ARN over every task that is not
 * STOPPED. Each step reads the task (desired state) and what its driver observes, asks
 * {@link decideTask} what to do, applies that through the driver, and saves the outcome in one
 * transaction. Runtime state (driver, sandbox, handles) is saved the moment a driver returns it,
 * so Berth may be killed at any point: on start the agent re-adopts what still runs and marks what
 * died meanwhile. Stopping Berth leaves tasks running (as the ECS agent does).
 */
import { DriverError, type Driver, type TaskHandle, type TaskSpec } from '../runtime/index.js';
import type { LogWriter } from '../services/logs/index.js';
import {
  ContainerStatus,
  DRIVER_CHOICES,
  DRIVER_TAG,
  findCluster,
  parseTaskCpu,
  parseTaskMemory,
  requireTaskDefinition,
  saveTask,
  TaskDesiredStatus,
  TaskStatus,
  type DriverChoice,
  type EcsDeps,
  type TaskDefinitionRecord,
  type TaskRecord,
} from '../services/ecs/index.js';
import { GroupCommit, type Store } from '../state/index.js';
import { TagStore } from '../tagging/index.js';
import { containerConfigs, containerRuntimeId, type ContainerPlan, type ContainerConfigOptions, type SecretSources } from './container-config.js';
import { decideTask, type ContainerObservation, type HealthStatus, type TaskActions, type TaskView } from './decide.js';
import { chooseDriver, type DriverSet } from './drivers.js';
import { HealthChecker } from './health.js';
import { LogShipper, logRouting } from './log-shipper.js';
import type { MetadataServer, MetadataSource, MetadataTask } from './metadata.js';
import { deleteRuntimeState, liveRuntimeStates, loadRuntimeState, saveLogOffset, saveRuntimeState, type TaskRuntimeState } from './runtime-state.js';
import { WakeSignal } from '../reconcile/index.js';

/**
 * Sources that resolve every reference to a placeholder: used to read the structure of a task's
 * containers (dependsOn, stop timeouts, health checks, ports, logging) without fetching secrets.
 * Configurations built with them are never started.
 */
const NO_SECRETS: SecretSources = {
  secrets: { resolve: () => '{"username":"","password":""}' },
  parameters: { resolve: () => '' },
};
/** How long the agent waits for a stopped container's last output to be shipped before releasing its files. */
const SHIP_GRACE_MS = 10_000;

/** The container reason given to a container found dead after a Berth restart. */
export const EXITED_WHILE_DOWN = 'Container exited while Berth was down';
const MAX_STEPS = 50;
/**
 * How long a quiet task (RUNNING, wanted RUNNING, nothing to do at its last step, every container
 * watched) is left out of the sweeps while nothing about it changes. Its containers' exit watches
 * and health checkers wake it at once; this is the safety net under them.
 */
const QUIET_RECHECK_MS = 10_000;
/** Every task status but STOPPED: the sweep reads these through the index on last_status. */
const LIVE_STATUSES = TaskStatus.values.filter((s) => s !== 'STOPPED');

/** Options of {@link TaskAgent}. */
export interface TaskAgentOptions {
  store: Store;
  /** The account and region the ECS tables belong to. */
  scope: EcsDeps['scope'];
  drivers: DriverSet;
  /** Where container `secrets` are read. */
  secrets: SecretSources;
  /** Berth's log writer: `awslogs` containers' output goes through it to CloudWatch Logs. */
  logWriter: Pick<LogWriter, 'append' | 'flush'>;
  /** The task metadata endpoint v4 the containers get in `ECS_CONTAINER_METADATA_URI_V4`; none: the variable is not set. */
  metadata?: Pick<MetadataServer, 'containerUri' | 'forgetTask' | 'ready'>;
  /** How often every live task is looked at even without a wake-up. Default 1000 ms. */
  pollMs?: number;
  /** Where the agent reports what it could not do. Default stderr. */
  log?: (line: string) => void;
  /** The clock. */
  now?: () => Date;
  /** Called after a task's lastStatus changed, with the task (the service scheduler looks at its service then). */
  onTaskStatusChange?: (task: { clusterArn: string; serviceName?: string }) => void;
  /**
   * The drain gate of tasks behind load balancers (scheduler/load-balancers.ts): a stopping task's
   * containers are signalled only once this says its targets are deregistered and drained; until
   * then the task shows DEACTIVATING. Absent: no wait.
   */
  drained?: (task: TaskRecord) => boolean;
}

/** The task agent; a Runnable owned by Berth's Manager, and the source of the task metadata endpoint. */
export class TaskAgent implements MetadataSource {
  private readonly deps: EcsDeps;
  private readonly busy = new Map<string, Promise<void>>();
  /** Per started container (`<arn>/<name>`): its exit watch, health checker and log shipper. */
  private readonly companions = new Map<string, Companions>();
  private readonly log: (line: string) => void;
  private readonly wakeSignal: WakeSignal;
  /** The agent's writes: those made in the same turn of the event loop commit together (one fsync). */
  private readonly commits: GroupCommit;
  /**
   * Quiet tasks: ARN -> the `last_status`/`desired_status` columns when the task was found quiet,
   * and when. A sweep skips a quiet task while its columns are unchanged, for at most
   * {@link QUIET_RECHECK_MS}; a container exit or health change forgets it at once.
   */
  private readonly quiet = new Map<string, { columns: string; at: number }>();

  constructor(private readonly options: TaskAgentOptions) {
    this.deps = { store: options.store, tags: new TagStore(options.store), scope: options.scope, now: options.now ?? (() => new Date()) };
    this.wakeSignal = new WakeSignal(options.pollMs ?? 1000);
    this.commits = new GroupCommit(options.store);
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /** Asks the loop to look at every live task now (after the caller's transaction commits). */
  wake(): void {
    this.wakeSignal.wake();
  }

  /** Asks the loop to step one task now, even if it was quiet (a container of it exited or changed health). */
  private wakeTask(arn: string): void {
    this.quiet.delete(arn);
    this.wakeSignal.wake();
  }

  /** Recovers persisted tasks, then reconciles until `signal` aborts; running tasks are left running. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.options.metadata) {
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([this.options.metadata.ready(), aborted]);
      if (signal.aborted) return;
    }
    await this.recover();
    while (!signal.aborted) {
      this.reconcileAll(signal);
      await this.wakeSignal.wait(signal);
    }
    await Promise.allSettled([...this.busy.values()]);
    const all = [...this.companions.values()];
    for (const c of all) c.stop.abort();
    await Promise.allSettled(all.map((c) => c.shipped));
    this.companions.clear();
  }

  /**
   * Steps every live task that is not being stepped already and not quiet. Reads three columns
   * per task, so a sweep over many steady tasks costs little; the sweep runs on every wake-up.
   */
  private reconcileAll(signal: AbortSignal): void {
    const rows = this.options.store
      .prepare(`SELECT arn, last_status || '/' || desired_status AS columns FROM ecs_tasks WHERE last_status IN (${LIVE_STATUSES.map(() => '?').join(', ')}) ORDER BY created_at, rowid`)
      .all(...LIVE_STATUSES) as { arn: string; columns: string }[];
    const now = Date.now();
    const live = new Set<string>();
    for (const { arn, columns } of rows) {
      live.add(arn);
      if (this.busy.has(arn)) continue;
      const q = this.quiet.get(arn);
      if (q && q.columns === columns && now - q.at < QUIET_RECHECK_MS) continue;
      this.quiet.delete(arn);
      const run = this.reconcileTask(arn, signal)
        .catch((err: Error) => this.log(`task agent: ${arn}: ${err.stack ?? err.message}`))
        .finally(() => this.busy.delete(arn));
      this.busy.set(arn, run);
    }
    for (const arn of this.quiet.keys()) if (!live.has(arn)) this.quiet.delete(arn);
    for (const arn of this.quietEpoch.keys()) if (!live.has(arn) && !this.busy.has(arn)) this.quietEpoch.delete(arn);
  }

  /** Steps one task until nothing more is to be done now; remembers it as quiet when it is. */
  private async reconcileTask(arn: string, signal: AbortSignal): Promise<void> {
    for (let i = 0; i < MAX_STEPS && !signal.aborted; i++) {
      const epoch = this.quietEpoch.get(arn) ?? 0;
      if (await this.step(arn)) continue;
      // Nothing to do; unless a container changed meanwhile (then look again), the task is quiet.
      if ((this.quietEpoch.get(arn) ?? 0) === epoch) {
        this.markQuiet(arn);
        return;
      }
    }
    this.wake();
  }

  /**
   * Per task, bumped by every exit watch or health change: a step that saw nothing to do is only
   * taken as quiet when no such event arrived while it ran (it may have observed the container
   * just before the change).
   */
  private readonly quietEpoch = new Map<string, number>();

  /** A container of `arn` exited or changed health: forget that the task was quiet and step it. */
  private containerChanged(arn: string): void {
    this.quietEpoch.set(arn, (this.quietEpoch.get(arn) ?? 0) + 1);
    this.wakeTask(arn);
  }

  /** Remembers `arn` as quiet when it runs as wanted and each of its containers has an exit watch. */
  private markQuiet(arn: string): void {
    const row = this.options.store.prepare(`SELECT last_status || '/' || desired_status AS columns, doc FROM ecs_tasks WHERE arn = ?`).get(arn) as { columns: string; doc: string } | undefined;
    if (!row || row.columns !== 'RUNNING/RUNNING') return;
    const t = JSON.parse(row.doc) as TaskRecord;
    if (!t.containers.every((c) => this.companions.has(`${arn}/${c.name}`))) return;
    this.quiet.set(arn, { columns: row.columns, at: Date.now() });
  }

  /** Re-adopts persisted tasks after a restart: sandboxes (ports) first, then containers. */
  private async recover(): Promise<void> {
    const states = liveRuntimeStates(this.options.store);
    // Saved through the group commit, in order (a shipper's offset saved later lands after its
    // task's state): a restart with 1,000 tasks costs a few commits, not one per task.
    const saves: Promise<void>[] = [];
    const save = (rt: TaskRuntimeState) => saves.push(this.commits.run(() => saveRuntimeState(this.options.store, rt)));
    for (const rt of states) {
      // Claimed but not prepared when Berth stopped: the loop prepares it as if new.
      if (!rt.sandbox && !rt.sandboxError && Object.keys(rt.handles).length === 0) continue;
      const driver = this.options.drivers.byName(rt.driver);
      if (!driver) {
        for (const name of Object.keys(rt.handles)) rt.failures[name] ??= `CannotInspectContainerError: the ${rt.driver} driver is not available on this Berth`;
        if (!rt.sandbox) rt.sandboxError ??= `ResourceInitializationError: the ${rt.driver} driver is not available on this Berth`;
        save(rt);
        continue;
      }
      if (rt.sandbox && !(await driver.recoverTaskSandbox(rt.sandbox).catch(() => false)) && Object.keys(rt.handles).length === 0) {
        rt.sandboxError = 'ResourceInitializationError: the task network was lost while Berth was down';
      }
      const task = this.loadTask(rt.taskArn);
      const plans = task ? this.structure(task) : [];
      const dead: string[] = [];
      for (const [name, handle] of Object.entries(rt.handles)) {
        if (!(await driver.recoverTask(handle).catch(() => false))) {
          dead.push(name);
          if (task?.containers.find((c) => c.name === name)?.lastStatus === 'RUNNING') rt.notes[name] = EXITED_WHILE_DOWN;
        }
      }
      save(rt);
      for (const [name, handle] of Object.entries(rt.handles)) {
        const plan = plans.find((p) => p.config.name === name);
        // A dead container still gets its shipper (its last output), not a health checker.
        // A re-adopted container keeps its saved health until a real result changes it (as on ECS).
        if (task) this.accompany(task, handle, driver, plan, rt.logOffsets[name] ?? 0, dead.includes(name), task.containers.find((c) => c.name === name)?.healthStatus);
        if (task && !dead.includes(name)) this.options.metadata?.containerUri(task.taskArn, name);
      }
    }
    await Promise.all(saves);
  }

  /**
   * Starts what goes with a started container: a watch that wakes the loop when it exits, its
   * health checker (unless it is already dead) and, for `awslogs`, its log shipper.
   */
  private accompany(task: TaskRecord, handle: TaskHandle, driver: Driver, plan: ContainerPlan | undefined, offset: number, dead = false, initialHealth?: HealthStatus): void {
    const key = `${task.taskArn}/${handle.containerName}`;
    this.companions.get(key)?.stop.abort();
    const stop = new AbortController();
    const c: Companions = { stop, shipped: Promise.resolve() };
    this.companions.set(key, c);
    // An exit wakes the task; so does a watch that fails (unless it was ended on purpose), so the task is looked at again.
    driver.waitTask(handle, stop.signal).then(
      () => this.containerChanged(task.taskArn),
      () => void (stop.signal.aborted || this.containerChanged(task.taskArn)),
    );
    if (plan?.healthCheck && !dead) {
      c.health = new HealthChecker({ driver, handle, settings: plan.healthCheck, initial: initialHealth, onChange: () => this.containerChanged(task.taskArn) });
      void c.health.start(stop.signal);
    }
    const routing = logRouting({ containerName: handle.containerName, taskId: task.id, region: this.deps.scope.region, logConfiguration: plan?.logConfiguration });
    if (routing.kind === 'awslogs') {
      const shipper = new LogShipper({
        driver,
        handle,
        writer: this.options.logWriter,
        settings: routing.settings,
        offset,
        // After the batch's own commit (the writer flushed it); the offsets of many shippers share one commit.
        onOffset: (o) =>
          void this.commits.run(() => saveLogOffset(this.options.store, task.taskArn, handle.containerName, o)).catch((err: Error) => this.log(`task agent: saving the log offset of ${task.taskArn} ${handle.containerName}: ${err.message}`)),
      });
      c.shipped = shipper.start(stop.signal).catch((err: Error) => this.log(`task agent: shipping logs of ${task.taskArn} ${handle.containerName}: ${err.message}`));
    }
  }

  /** Ends a container's companions once its last output is shipped (or after a grace period). */
  private async release(arn: string, container: string): Promise<void> {
    const key = `${arn}/${container}`;
    const c = this.companions.get(key);
    if (!c) return;
    c.health?.stop();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHIP_GRACE_MS).unref());
    await Promise.race([c.shipped, grace]);
    c.stop.abort();
    await c.shipped;
    this.companions.delete(key);
  }

  /** How `containerConfigs` plans a task's containers here. */
  private planOptions(task: TaskRecord, withMetadata: boolean): ContainerConfigOptions {
    const metadata = this.options.metadata;
    return {
      region: this.deps.scope.region,
      launchType: task.launchType,
      ...(withMetadata && metadata ? { metadataUri: (name: string) => metadata.containerUri(task.taskArn, name) } : {}),
    };
  }

  /** The structure of a task's containers (no secrets fetched); empty when its definition is unreadable. */
  private structure(task: TaskRecord, td?: TaskDefinitionRecord): ContainerPlan[] {
    try {
      td ??= requireTaskDefinition(this.deps, task.taskDefinitionArn);
      return containerConfigs(td, task.overrides, NO_SECRETS, this.planOptions(task, false));
    } catch {
      return [];
    }
  }

  /** The task as the metadata endpoint shows it (MetadataSource). */
  task(taskArn: string): MetadataTask | undefined {
    const t = this.loadTask(taskArn);
    if (!t) return undefined;
    const rt = loadRuntimeState(this.options.store, taskArn);
    const plans = this.structure(t);
    let revision = 0;
    let networkMode = 'bridge';
    try {
      const td = requireTaskDefinition(this.deps, t.taskDefinitionArn);
      revision = td.revision;
      networkMode = td.networkMode ?? 'bridge';
    } catch {
      // The definition is gone; show what the task holds.
    }
    const date = (s: string | undefined) => (s ? new Date(s) : undefined);
    const memory = t.memory === undefined ? undefined : parseTaskMemory(t.memory);
    return {
      clusterArn: t.clusterArn,
      taskArn: t.taskArn,
      family: t.family,
      revision,
      serviceName: t.serviceName,
      desiredStatus: t.desiredStatus,
      knownStatus: t.lastStatus,
      cpuUnits: t.cpu === undefined ? undefined : parseTaskCpu(t.cpu),
      memoryMiB: memory,
      pullStartedAt: date(t.pullStartedAt),
      pullStoppedAt: date(t.pullStoppedAt),
      executionStoppedAt: date(t.executionStoppedAt),
      availabilityZone: t.availabilityZone,
      launchType: t.launchType,
      networkMode,
      ipv4Address: rt?.sandbox?.ipv4Address,
      macAddress: rt?.sandbox?.macAddress,
      containers: t.containers.map((c) => {
        const plan = plans.find((p) => p.config.name === c.name);
        const handle = rt?.handles[c.name];
        return {
          name: c.name,
          runtimeId: containerRuntimeId(t.id, c.name),
          containerArn: c.containerArn,
          image: c.image,
          desiredStatus: t.desiredStatus,
          knownStatus: c.lastStatus,
          cpuUnits: Number(c.cpu) || 0,
          memoryMiB: c.memory === undefined ? undefined : Number(c.memory),
          createdAt: date(handle?.startedAt),
          startedAt: date(handle?.startedAt),
          exitCode: c.exitCode,
          logDriver: plan?.logConfiguration?.logDriver,
          logOptions: plan?.logConfiguration?.options,
          networkBindings: c.networkBindings,
          health: this.companions.get(`${taskArn}/${c.name}`)?.health?.result(),
        };
      }),
    };
  }

  /** A resource sample of a running container (MetadataSource). */
  async stats(taskArn: string, containerName: string) {
    const rt = loadRuntimeState(this.options.store, taskArn);
    const handle = rt?.handles[containerName];
    const driver = rt && this.options.drivers.byName(rt.driver);
    if (!handle || !driver) return undefined;
    return driver.stats(handle).catch(() => undefined);
  }

  private loadTask(arn: string): TaskRecord | undefined {
    const doc = this.options.store.prepare('SELECT doc FROM ecs_tasks WHERE arn = ?').pluck().get(arn) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as TaskRecord);
  }

  /**
   * Re-reads the task in a transaction, applies `change`, and saves it when `change` says so;
   * resolves once committed. Updates of many tasks made in the same turn of the event loop share
   * one transaction (group commit: one fsync for all), each in its own savepoint.
   */
  private async update(arn: string, change: (t: TaskRecord) => boolean, rt?: (s: TaskRuntimeState | undefined) => TaskRuntimeState | 'delete' | undefined): Promise<void> {
    let moved: TaskRecord | undefined;
    await this.commits.run(() => {
      const t = this.loadTask(arn);
      if (!t) return;
      const before = t.lastStatus;
      if (change(t)) {
        if (t.lastStatus !== before) moved = t;
        t.version++;
        saveTask(this.deps, t);
      }
      if (rt) {
        const next = rt(loadRuntimeState(this.options.store, arn));
        if (next === 'delete') deleteRuntimeState(this.options.store, arn);
        else if (next) saveRuntimeState(this.options.store, next);
      }
    });
    if (moved) this.options.onTaskStatusChange?.({ clusterArn: moved.clusterArn, serviceName: moved.serviceName });
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
    const plans = td ? this.structure(task, td) : [];
    const driver = rt ? this.options.drivers.byName(rt.driver) : undefined;

    if (!rt && task.desiredStatus === 'RUNNING') {
      // Claim the task before preparing anything, so StopTask hands it to the agent from now on.
      let claimed = false;
      await this.update(arn, (t) => {
        claimed = t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
        return false;
      }, (s) => (claimed && !s ? { taskArn: arn, driver: '', handles: {}, failures: {}, notes: {}, logOffsets: {}, sandboxError: tdError } : undefined));
      return claimed;
    }

    const observed: Record<string, ContainerObservation> = {};
    for (const p of plans) {
      const name = p.config.name;
      const failure = rt?.failures[name];
      const handle = rt?.handles[name];
      if (failure) observed[name] = { state: 'exited', reason: failure, health: 'UNKNOWN' };
      else if (handle && driver) observed[name] = await observe(driver, handle, rt?.notes[name], this.companions.get(`${arn}/${name}`)?.health?.status() ?? 'UNKNOWN');
      else if (handle) observed[name] = { state: 'exited', reason: `CannotInspectContainerError: the ${rt?.driver} driver is not available`, health: 'UNKNOWN' };
    }
    const view: TaskView = {
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      sandbox: rt?.sandbox ? { state: 'ready' } : rt?.sandboxError ? { state: 'failed', reason: rt.sandboxError } : { state: 'absent' },
      containers: plans.map((p) => p.spec),
      observed,
      stop: task.desiredStatus === 'STOPPED' ? { code: (task.stopCode ?? 'UserInitiated') as NonNullable<TaskView['stop']>['code'], reason: task.stoppedReason ?? 'Task stopped' } : undefined,
    };
    const actions = decideTask(view);
    const progressed = await this.record(arn, actions, observed, rt);

    if (actions.prepareSandbox && rt && td) {
      await this.prepare(task, td, plans, rt);
      return true;
    }
    if (actions.start.length > 0 && rt?.sandbox && driver && td) {
      await this.startContainers(task, td, plans, rt, driver, actions.start);
      return true;
    }
    if (actions.stop.length > 0 && rt && driver) {
      // DEACTIVATING (recorded above) until the load balancers have drained the task's targets.
      if (this.options.drained && !this.options.drained(task)) return progressed;
      await this.update(arn, (t) => TaskStatus.canMove(t.lastStatus, 'STOPPING') && Boolean((t.lastStatus = TaskStatus.move(t.lastStatus, 'STOPPING'))));
      for (const name of actions.stop) {
        const timeoutMs = plans.find((p) => p.config.name === name)?.stopTimeoutMs ?? 30_000;
        await driver.stopTask(rt.handles[name], timeoutMs, 'SIGTERM').catch((err: Error) => this.log(`task agent: stopping ${arn} ${name}: ${err.message}`));
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
  private async record(arn: string, actions: TaskActions, observed: Record<string, ContainerObservation>, rt: TaskRuntimeState | undefined): Promise<boolean> {
    let changed = false;
    await this.update(arn, (t) => {
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
            c.runtimeId = containerRuntimeId(t.id, c.name);
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
  private async prepare(task: TaskRecord, td: TaskDefinitionRecord, plans: ContainerPlan[], rt: TaskRuntimeState): Promise<void> {
    let driver: Driver | undefined;
    try {
      // Secrets are read before anything is made, so a missing one fails the task as on Fargate.
      containerConfigs(td, task.overrides, this.options.secrets, this.planOptions(task, false));
      driver = await chooseDriver(this.options.drivers, this.driverChoice(task), plans.map((p) => p.config.image ?? ''));
      const sandbox = await driver.prepareTask(taskSpec(task, td, plans));
      await this.update(task.taskArn, () => false, (s) => (s ? { ...s, driver: driver!.name, sandbox, sandboxError: undefined } : undefined));
      // The task was forgotten meanwhile (cannot happen while claimed); release what was made.
      if (!loadRuntimeState(this.options.store, task.taskArn)) await driver.destroyTaskSandbox(sandbox);
    } catch (err) {
      const reason = err instanceof DriverError ? err.reason : (err as Error).name === 'SecretResolutionError' ? (err as Error).message : `ResourceInitializationError: ${(err as Error).message}`;
      await this.update(task.taskArn, () => false, (s) => (s ? { ...s, driver: driver?.name ?? s.driver, sandboxError: reason } : undefined));
    }
  }

  /** The cluster's `berth:driver` tag; an unknown value (set before validation existed) counts as `auto`. */
  private driverChoice(task: TaskRecord): DriverChoice {
    const cluster = findCluster(this.deps, task.clusterArn);
    const value = cluster ? this.deps.tags.list(cluster.arn).find((t) => t.key === DRIVER_TAG)?.value : undefined;
    return (DRIVER_CHOICES as readonly string[]).includes(value ?? '') ? (value as DriverChoice) : 'auto';
  }

  /** Starts containers in order; each handle (or failure) is persisted as soon as it is known. */
  private async startContainers(task: TaskRecord, td: TaskDefinitionRecord, structure: ContainerPlan[], rt: TaskRuntimeState, driver: Driver, names: string[]): Promise<void> {
    const stamp = (field: 'pullStartedAt' | 'pullStoppedAt') =>
      this.update(task.taskArn, (t) => {
        if (t[field]) return false;
        t[field] = this.deps.now().toISOString();
        return true;
      });
    await stamp('pullStartedAt');
    let plans: ContainerPlan[] | undefined;
    for (const name of names) {
      try {
        plans ??= containerConfigs(td, task.overrides, this.options.secrets, this.planOptions(task, true));
        const plan = plans.find((p) => p.config.name === name)!;
        const routing = logRouting({ containerName: name, taskId: task.id, region: this.deps.scope.region, logConfiguration: plan.logConfiguration });
        if (routing.kind === 'invalid') throw new DriverError('CannotStartContainerError', routing.reason.replace(/^CannotStartContainerError: /, ''));
        const handle = await driver.startTask(rt.sandbox!, plan.config);
        await this.update(task.taskArn, () => false, (s) => (s ? { ...s, handles: { ...s.handles, [name]: handle } } : undefined));
        this.accompany(task, handle, driver, structure.find((p) => p.config.name === name), 0);
      } catch (err) {
        const reason =
          err instanceof DriverError ? err.reason : (err as Error).name === 'SecretResolutionError' ? (err as Error).message : `CannotStartContainerError: ${(err as Error).message}`;
        await this.update(task.taskArn, () => false, (s) => (s ? { ...s, failures: { ...s.failures, [name]: reason } } : undefined));
      }
    }
    await stamp('pullStoppedAt');
  }

  /** Releases every container and the sandbox, then records STOPPED and forgets the runtime state. */
  private async destroy(arn: string, rt: TaskRuntimeState | undefined, driver: Driver | undefined): Promise<void> {
    await this.update(arn, (t) => {
      if (!TaskStatus.canMove(t.lastStatus, 'DEPROVISIONING')) return false;
      t.lastStatus = TaskStatus.move(t.lastStatus, 'DEPROVISIONING');
      t.executionStoppedAt ??= this.deps.now().toISOString();
      return true;
    });
    if (rt && driver) {
      for (const handle of Object.values(rt.handles)) {
        await this.release(arn, handle.containerName);
        await driver.destroyTask(handle).catch((err: Error) => this.log(`task agent: destroying ${arn} ${handle.containerName}: ${err.message}`));
      }
      this.options.metadata?.forgetTask(arn);
      if (rt.sandbox) await driver.destroyTaskSandbox(rt.sandbox).catch((err: Error) => this.log(`task agent: releasing ${arn}: ${err.message}`));
    }
    await this.update(
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
async function observe(driver: Driver, handle: TaskHandle, note: string | undefined, health: ContainerObservation['health']): Promise<ContainerObservation> {
  try {
    const s = await driver.inspectTask(handle);
    if (s.state === 'running') return { state: 'running', health };
    if (s.state === 'exited') return { state: 'exited', exitCode: s.exit?.exitCode, reason: note ?? s.exit?.reason, health };
    return { state: 'exited', reason: note ?? 'CannotInspectContainerError: the container cannot be found', health };
  } catch (err) {
    return { state: 'exited', reason: `CannotInspectContainerError: ${(err as Error).message}`, health: 'UNKNOWN' };
  }
}

/** The sandbox the driver should prepare for a task. */
function taskSpec(task: TaskRecord, td: TaskDefinitionRecord, plans: ContainerPlan[]): TaskSpec {
  const memory = task.memory === undefined ? undefined : parseTaskMemory(task.memory);
  return {
    taskId: task.id,
    networkMode: (td.networkMode ?? 'bridge') as TaskSpec['networkMode'],
    cpuUnits: task.cpu === undefined ? undefined : parseTaskCpu(task.cpu),
    memoryLimitBytes: memory === undefined ? undefined : memory * 1024 * 1024,
    containers: plans.map((p) => ({ name: p.config.name, portMappings: p.portMappings })),
  };
}

/** What runs beside one started container. */
interface Companions {
  /** Ends the exit watch, the health checker and the shipper. */
  stop: AbortController;
  health?: HealthChecker;
  /** Settles when the shipper has shipped everything (resolved at once without awslogs). */
  shipped: Promise<void>;
}
