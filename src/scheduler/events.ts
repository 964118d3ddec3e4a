/**
 * ECS's service event wording, in one place: the decision emits these strings and the apply step
 * records them (with an id and a timestamp) in the service's `events[]`.
 */

/** The last segment of a task ARN, as ECS prints tasks in service events. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

const taskList = (taskIds: readonly string[]) => taskIds.map((id) => `(task ${id})`).join(' ');

/**
 * `(service NAME) has started N tasks: (task ...) (task ...).` — emitted by the apply step, which
 * knows the new ids; with `replacedUnhealthy` ECS adds "Amazon ECS replaced N tasks due to an
 * unhealthy status."
 */
export function startedTasksEvent(service: string, taskIds: readonly string[], replacedUnhealthy = 0): string {
  const replaced = replacedUnhealthy > 0 ? ` Amazon ECS replaced ${replacedUnhealthy} tasks due to an unhealthy status.` : '';
  return `(service ${service}) has started ${taskIds.length} tasks: ${taskList(taskIds)}.${replaced}`;
}

/** `(service NAME) has stopped N running tasks: (task ...).` */
export function stoppedTasksEvent(service: string, taskArns: readonly string[]): string {
  return `(service ${service}) has stopped ${taskArns.length} running tasks: ${taskList(taskArns.map(taskIdOf))}.`;
}

/** `(service NAME) (task ID) failed container health checks.` — before the task is stopped for it. */
export function failedHealthChecksEvent(service: string, taskArn: string): string {
  return `(service ${service}) (task ${taskIdOf(taskArn)}) failed container health checks.`;
}

/** `(service NAME) has reached a steady state.` */
export function steadyStateEvent(service: string): string {
  return `(service ${service}) has reached a steady state.`;
}

/** `(service NAME) (deployment ID) deployment completed.` */
export function deploymentCompletedEvent(service: string, deploymentId: string): string {
  return `(service ${service}) (deployment ${deploymentId}) deployment completed.`;
}

/** `(service NAME) (deployment ID) deployment failed: tasks failed to start.` */
export function deploymentFailedEvent(service: string, deploymentId: string, why = 'tasks failed to start'): string {
  return `(service ${service}) (deployment ${deploymentId}) deployment failed: ${why}.`;
}

/** `(service NAME) rolling back to deployment ID.` */
export function rollingBackEvent(service: string, deploymentId: string): string {
  return `(service ${service}) rolling back to deployment ${deploymentId}.`;
}

/** The stall: the deployment configuration allows neither a start nor a stop. */
export function deploymentConfigurationStallEvent(service: string): string {
  return (
    `(service ${service}) was unable to stop or start tasks during a deployment because of the service deployment configuration. ` +
    'Update the minimumHealthyPercent or maximumPercent value and try again.'
  );
}

/**
 * No room left on the available capacity for another task. With `closest` (the container instance
 * that came nearest and the constraint it failed) ECS adds which instance and why:
 * `The closest matching container-instance ID encountered error "REASON".`
 */
export function noCapacityEvent(service: string, closest?: { containerInstanceId: string; error: string }): string {
  const base = `(service ${service}) was unable to place a task because no container instance met all of its requirements.`;
  return closest ? `${base} The closest matching container-instance ${closest.containerInstanceId} encountered error "${closest.error}".` : base;
}

/** The start throttle engaged: tasks keep failing to start. */
export function throttledEvent(service: string): string {
  return `(service ${service}) is unable to consistently start tasks successfully.`;
}

/** rolloutStateReason of a deployment in progress. */
export function inProgressReason(deploymentId: string): string {
  return `ECS deployment ${deploymentId} in progress.`;
}

/** rolloutStateReason of a completed deployment. */
export function completedReason(deploymentId: string): string {
  return `ECS deployment ${deploymentId} completed.`;
}

/**
 * rolloutStateReason the circuit breaker gives: the FAILED deployment's (no argument), and the
 * rollback deployment's, naming the deployment it restores.
 */
/**
 * A rollout failed by deployment alarms (and its rollback). ECS does not publish this text: Berth's
 * wording, in the circuit breaker's pattern.
 */
export function alarmsReason(alarms: readonly string[], rollbackTo?: string): string {
  const base = `ECS deployment alarm(s) in ALARM: ${alarms.join(', ')}.`;
  return rollbackTo === undefined ? base : `${base} Rolling back to deploymentId ${rollbackTo}.`;
}

export function circuitBreakerReason(rollbackTo: string | undefined): string {
  return rollbackTo === undefined
    ? 'ECS deployment circuit breaker: tasks failed to start.'
    : `ECS deployment circuit breaker: rolling back to deploymentId ${rollbackTo}.`;
}

/** The stoppedReason the apply step records on a task the scheduler stops (`primaryId`: the deployment that initiated it). */
export function stoppedReason(reason: 'scale-in' | 'deployment' | 'unhealthy' | 'replace', primaryId: string): string {
  return reason === 'unhealthy' || reason === 'replace' ? 'Task failed container health checks' : `Scaling activity initiated by (deployment ${primaryId})`;
}
