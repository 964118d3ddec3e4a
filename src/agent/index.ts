/** The task agent: runs ECS tasks on this host through the runtime drivers (see README.md). */
export { TaskAgent, EXITED_WHILE_DOWN, type TaskAgentOptions } from './agent.js';
export { createDriverSet, chooseDriver, type DriverSet, type DriverSetOptions } from './drivers.js';
export { decideTask, type TaskView, type TaskActions } from './decide.js';
export { containerConfigs, DEFAULT_STOP_TIMEOUT_SECONDS, type ContainerPlan, type SecretSources } from './container-config.js';
export { MetadataServer, type MetadataSource } from './metadata.js';
export { metadataPort } from './metadata-port.js';
export {
  StatsSampler,
  compileStatsSamplerOptions,
  readTaskStats,
  recordTaskStats,
  taskSample,
  taskServiceName,
  type StatsSamplerOptions,
  type ResolvedStatsSamplerOptions,
  type StatsBounds,
  type TaskStatsQuery,
  type TaskStatsSample,
} from './stats-sampler.js';
