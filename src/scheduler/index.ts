/** The service scheduler: the pure decision for one service, its limits, ECS's event wording, and the loop that applies it. */
export {
  decideService,
  rollbackTarget,
  targetCount,
  isHealthy,
  NO_THROTTLE,
  type ServiceInput,
  type ServiceActions,
  type ServiceDesired,
  type DeploymentView,
  type TaskObservation,
  type ThrottleState,
  type StopAction,
  type StopReason,
  type ReplaceAction,
  type DeploymentUpdate,
  type RollbackAction,
  type DeploymentStatus,
  type RolloutState,
} from './decide.js';
export { maxTasks, minHealthyTasks, circuitBreakerThreshold, backoffMs, compileBackoffOptions, deploymentAlarmBakeMs, type BackoffOptions, type ResolvedBackoff, type BakedAlarm } from './limits.js';
export * as serviceEvents from './events.js';
export { LoadBalancerTargets, taskTargets, targetEvents, lbTargetMigrations, type LoadBalancerTargetsOptions, type TargetHealthView, type TaskTarget } from './load-balancers.js';
export { ServiceScheduler, serviceInput, MAX_SERVICE_EVENTS, type ServiceSchedulerOptions } from './service-scheduler.js';
export {
  checkPlacementRules,
  evaluate,
  hostAttributes,
  hostRoom,
  parseExpression,
  staticHost,
  PlacementError,
  MAX_PLACEMENT_CONSTRAINTS,
  MAX_PLACEMENT_STRATEGIES,
  type Expression,
  type HostRoom,
  type HostView,
  type Unsatisfied,
} from './placement.js';
