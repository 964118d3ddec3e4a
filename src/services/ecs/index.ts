/** Amazon ECS: the control-plane API (clusters, task definitions, services, tasks, tags). */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';
import { clusterOperations } from './clusters.js';
import type { EcsDeps } from './deps.js';
import { invalidParameter } from './errors.js';
import { ecsMigrations } from './schema.js';
import { serviceOperations } from './services.js';
import { tagOperations } from './tags.js';
import { taskDefinitionOperations } from './task-definitions.js';
import { taskOperations } from './tasks.js';
import { taskSetOperations } from './task-sets.js';

export type { EcsDeps } from './deps.js';
export { ecsMigrations } from './schema.js';
export { replacePrimary, type DeploymentStatus, type RolloutState, type DeploymentRecord } from './deployments.js';
export { deploymentFor, findService, saveService, settleDrainingService, type ServiceRecord, type ServiceSchedulerState } from './services.js';
export { findCluster, DRIVER_TAG, DRIVER_CHOICES, type ClusterRecord, type DriverChoice } from './clusters.js';
export { findTaskDefinition, requireTaskDefinition, type TaskDefinitionRecord } from './task-definition-records.js';
export { parseTaskCpu, parseTaskMemory } from './task-definition-validation.js';
export { checkOverrides, newTask, requestStop, saveTask, type TaskRecord, type ContainerRecord, type TaskOverride } from './tasks.js';
export { TaskStatus, ContainerStatus, TaskDesiredStatus } from './lifecycle.js';
export { serviceRoom, hostContainerInstanceId, type ServiceRoom } from './launch.js';
export { serviceTaskTags, MANAGED_TAG_KEYS } from './tags.js';
export {
  codeDeployTaskSets,
  computedDesiredCount,
  checkScale,
  addTaskSet,
  setTaskSetScale,
  makePrimaryTaskSet,
  removeTaskSet,
  rescaleTaskSets,
  taskSetCounts,
  MAX_TASK_SETS,
  type CodeDeployTaskSetInput,
  type NewTaskSetInput,
} from './task-sets.js';
export { type TaskSetRecord, type LoadBalancer } from './services.js';
export { StoppedTaskSweeper, purgeStoppedTasks, retentionFromEnv, RETENTION_ENV, type StoppedTaskRetention } from './retention.js';

/** Options for {@link createEcsService}. */
export interface EcsServiceOptions {
  store: Store;
  scope: ArnScope;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Called after RunTask or StopTask changed a task (wakes the task agent). */
  onTaskChange?: () => void;
  /** Called after CreateService, UpdateService or DeleteService changed a service, with it (wakes the service scheduler). */
  onServiceChange?: (service: { clusterArn: string; serviceName: string }) => void;
  /** ELBv2's target groups, to validate a service's `loadBalancers` against. */
  targetGroups?: EcsDeps['targetGroups'];
}

/** Migrates the ECS tables and builds the ECS service for api/. */
export function createEcsService(opts: EcsServiceOptions): ServiceDefinition {
  opts.store.migrate('ecs', ecsMigrations);
  const deps: EcsDeps = { store: opts.store, tags: new TagStore(opts.store), scope: opts.scope, now: opts.now ?? (() => new Date()), onTaskChange: opts.onTaskChange, onServiceChange: opts.onServiceChange, targetGroups: opts.targetGroups };
  return {
    model: loadServiceModel('ecs'),
    operations: {
      ...clusterOperations(deps),
      ...tagOperations(deps),
      ...taskDefinitionOperations(deps),
      ...serviceOperations(deps),
      ...taskOperations(deps),
      ...taskSetOperations(deps),
    },
    validationError: invalidParameter,
    isReadOnly: (operation) => operation.startsWith('Describe') || operation.startsWith('List'),
    unsupportedCode: 'UnsupportedFeatureException',
  };
}
