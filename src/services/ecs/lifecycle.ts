/**
 * The ordered lifecycles of ECS tasks, containers and services. A status only moves forward
 * (as the ECS agent moves it); a backward move is a bug in Berth and throws.
 */

/** Thrown when code tries to move a status backwards: a bug, never a client error. */
export class IllegalTransitionError extends Error {
  constructor(kind: string, from: string, to: string) {
    super(`Illegal ${kind} status transition ${from} -> ${to}: statuses only move forward.`);
    this.name = 'IllegalTransitionError';
  }
}

/** An ordered status enum: its values, their order, and the forward-only move. */
export interface Lifecycle<S extends string> {
  /** The statuses, earliest first. */
  readonly values: readonly S[];
  /** Position of `s` in the order. */
  rank(s: S): number;
  /** Whether moving from `from` to `to` is a forward move (staying put is not a move). */
  canMove(from: S, to: S): boolean;
  /** Returns `to` when it is later than `from`; throws {@link IllegalTransitionError} otherwise. */
  move(from: S, to: S): S;
}

function lifecycle<const S extends string>(kind: string, values: readonly S[]): Lifecycle<S> {
  const rank = (s: S) => {
    const i = values.indexOf(s);
    if (i < 0) throw new Error(`Unknown ${kind} status '${s}'.`);
    return i;
  };
  return {
    values,
    rank,
    canMove: (from, to) => rank(to) > rank(from),
    move(from, to) {
      if (rank(to) <= rank(from)) throw new IllegalTransitionError(kind, from, to);
      return to;
    },
  };
}

/** A task's last-known status, in the order Fargate moves a task through it. */
export const TaskStatus = lifecycle('task', [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const);
/** A task's last-known status. */
export type TaskStatus = (typeof TaskStatus.values)[number];

/** The statuses ListTasks' `desiredStatus` filter and a task's `desiredStatus` take (PENDING is never set). */
export const TaskDesiredStatus = lifecycle('task desired', ['PENDING', 'RUNNING', 'STOPPED'] as const);
/** A task's desired status. */
export type TaskDesiredStatus = (typeof TaskDesiredStatus.values)[number];

/** A container's last-known status. */
export const ContainerStatus = lifecycle('container', ['PENDING', 'RUNNING', 'STOPPED'] as const);
/** A container's last-known status. */
export type ContainerStatus = (typeof ContainerStatus.values)[number];

/** A service's status: ACTIVE, then DRAINING once deleted, then INACTIVE once its tasks are gone. */
export const ServiceStatus = lifecycle('service', ['ACTIVE', 'DRAINING', 'INACTIVE'] as const);
/** A service's status. */
export type ServiceStatus = (typeof ServiceStatus.values)[number];

/** Task statuses counted as pending by ECS (a service's and a cluster's pendingCount). */
export const PENDING_TASK_STATUSES: readonly TaskStatus[] = ['PROVISIONING', 'PENDING', 'ACTIVATING'];
