/**
 * The task agent's decision: a pure function from a task's desired state and what the driver
 * observes to the actions that move it forward (as the ECS agent does on a container instance).
 * No I/O here; the agent's apply step starts and stops containers and saves the new statuses.
 */

/** Task statuses in Fargate's order (mirrors the ECS task lifecycle). */
export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';
/** A container's last-known status. */
export type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';
/** ECS health status. */
export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
/** The conditions of a container's `dependsOn`. */
export type DependencyCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';
/** Why ECS stopped a task. */
export type StopCode = 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated';

/** What the decision needs of one container's definition. */
export interface ContainerSpec {
  name: string;
  essential: boolean;
  dependsOn: { containerName: string; condition: DependencyCondition }[];
  hasHealthCheck: boolean;
}

/** What the driver observes of one container. */
export interface ContainerObservation {
  /** `absent`: never started (or destroyed); `running`; `exited` with its exit code. */
  state: 'absent' | 'running' | 'exited';
  exitCode?: number;
  /** Why it could not start or why it died (CannotStartContainerError: ..., OutOfMemoryError: ...). */
  reason?: string;
  health: HealthStatus;
}

/** A task as the decision sees it. */
export interface TaskView {
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  /** The task's network sandbox (awsvpc namespace, ports): absent, ready, or failed with a reason. */
  sandbox: { state: 'absent' | 'ready' | 'failed'; reason?: string };
  containers: ContainerSpec[];
  observed: Readonly<Record<string, ContainerObservation>>;
  /** Set once the task has been asked to stop (by a user, a service, or this decision). */
  stop?: { code: StopCode; reason: string };
}

/** What to do next, in named buckets. */
export interface TaskActions {
  /** Create the task's sandbox. */
  prepareSandbox: boolean;
  /** Containers to start now, in this order. */
  start: string[];
  /** Containers to stop now, in this order (dependents before their dependencies). */
  stop: string[];
  /** Release the sandbox and every container's resources. */
  destroy: boolean;
  /** The task's next lastStatus, when it moves. */
  lastStatus?: TaskStatus;
  /** Containers whose lastStatus moves. */
  containerStatus: Record<string, ContainerStatus>;
  /** The task's health, from its essential containers' health checks. */
  healthStatus: HealthStatus;
  /** Set when this decision stops the task (an essential container exited, a start failed). */
  stopTask?: { code: StopCode; reason: string };
}

const ORDER: TaskStatus[] = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];
const after = (a: TaskStatus, b: TaskStatus) => ORDER.indexOf(a) > ORDER.indexOf(b);

/** Whether `dep`'s condition holds for a container observed as `o`; 'never' when it no longer can. */
export function dependencyMet(condition: DependencyCondition, o: ContainerObservation | undefined): boolean | 'never' {
  const state = o?.state ?? 'absent';
  switch (condition) {
    case 'START':
      return state !== 'absent';
    case 'COMPLETE':
      return state === 'exited';
    case 'SUCCESS':
      return state === 'exited' ? (o!.exitCode === 0 ? true : 'never') : false;
    case 'HEALTHY':
      if (o?.health === 'HEALTHY') return true;
      return state === 'exited' ? 'never' : false;
  }
}

/** The task's health as ECS computes it from its essential containers that have health checks. */
export function taskHealth(view: Pick<TaskView, 'containers' | 'observed'>): HealthStatus {
  const checked = view.containers.filter((c) => c.essential && c.hasHealthCheck);
  if (checked.length === 0) return 'UNKNOWN';
  const healths = checked.map((c) => view.observed[c.name]?.health ?? 'UNKNOWN');
  if (healths.includes('UNHEALTHY')) return 'UNHEALTHY';
  return healths.every((h) => h === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN';
}

/** Containers in stop order: a container stops before the containers it depends on. */
export function stopOrder(containers: readonly ContainerSpec[]): string[] {
  const byName = new Map(containers.map((c) => [c.name, c]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const d of containers.filter((c) => c.dependsOn.some((x) => x.containerName === name))) visit(d.name);
    out.push(name);
  };
  for (const c of containers) if (byName.has(c.name)) visit(c.name);
  return out;
}

/** Decides the next actions for a task. */
export function decideTask(view: TaskView): TaskActions {
  const actions: TaskActions = { prepareSandbox: false, start: [], stop: [], destroy: false, containerStatus: {}, healthStatus: taskHealth(view) };
  const obs = (name: string): ContainerObservation => view.observed[name] ?? { state: 'absent', health: 'UNKNOWN' };
  const setContainer = (name: string, s: ContainerStatus) => {
    actions.containerStatus[name] = s;
  };
  for (const c of view.containers) {
    const o = obs(c.name);
    if (o.state === 'running') setContainer(c.name, 'RUNNING');
    if (o.state === 'exited') setContainer(c.name, 'STOPPED');
  }
  const move = (to: TaskStatus) => {
    if (after(to, view.lastStatus)) actions.lastStatus = to;
  };

  let stop = view.stop;
  if (view.desiredStatus === 'RUNNING' && !stop) {
    stop = whyStop(view, obs);
    if (stop) actions.stopTask = stop;
  }

  if (view.desiredStatus === 'STOPPED' || stop) {
    if (view.lastStatus === 'STOPPED') return actions;
    const running = stopOrder(view.containers).filter((n) => obs(n).state === 'running');
    if (running.length > 0) {
      actions.stop = running;
      move('STOPPING');
      return actions;
    }
    for (const c of view.containers) setContainer(c.name, 'STOPPED');
    // The apply step releases everything before it records STOPPED.
    actions.destroy = true;
    actions.lastStatus = 'STOPPED';
    return actions;
  }

  // desired RUNNING and no reason to stop.
  if (view.sandbox.state !== 'ready') {
    actions.prepareSandbox = view.sandbox.state === 'absent';
    return actions;
  }
  move('PENDING');
  for (const c of view.containers) {
    if (obs(c.name).state !== 'absent') continue;
    if (c.dependsOn.every((d) => dependencyMet(d.condition, view.observed[d.containerName]) === true)) actions.start.push(c.name);
  }
  const essentialsRunning = view.containers.filter((c) => c.essential).every((c) => obs(c.name).state === 'running');
  if (essentialsRunning) move('RUNNING');
  return actions;
}

/** Reasons of a container that never started (the task then fails with TaskFailedToStart). */
const START_FAILURE = /^(CannotStartContainerError|CannotPullContainerError|ResourceInitializationError)\b/;

/** The reason a task that should run must stop instead, if any. */
function whyStop(view: TaskView, obs: (name: string) => ContainerObservation): TaskView['stop'] {
  if (view.sandbox.state === 'failed') {
    return { code: 'TaskFailedToStart', reason: view.sandbox.reason ?? 'ResourceInitializationError: the task network could not be created' };
  }
  for (const c of view.containers) {
    const o = obs(c.name);
    if (o.state === 'exited' && o.reason && START_FAILURE.test(o.reason)) {
      return { code: 'TaskFailedToStart', reason: o.reason };
    }
  }
  for (const c of view.containers) {
    const o = obs(c.name);
    if (c.essential && o.state === 'exited') {
      return { code: 'EssentialContainerExited', reason: 'Essential container in task exited' };
    }
  }
  for (const c of view.containers) {
    if (obs(c.name).state !== 'absent') continue;
    const dead = c.dependsOn.find((d) => dependencyMet(d.condition, view.observed[d.containerName]) === 'never');
    if (dead) {
      return {
        code: 'TaskFailedToStart',
        reason: `CannotStartContainerError: dependency ${dead.containerName} of container ${c.name} can never meet its ${dead.condition} condition`,
      };
    }
  }
  return undefined;
}
