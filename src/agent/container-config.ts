/**
 * From a task definition and a task's overrides to what the runtime driver starts: one
 * {@link ContainerPlan} per container definition, with the overrides applied, the `secrets`
 * resolved from Secrets Manager or Parameter Store, the variables ECS sets for every container,
 * and the facts the decision (`decide.ts`), the health checker and the log shipper need.
 *
 * Pure apart from the resolver calls: no state access, no I/O of its own.
 */
import type { ContainerConfig, EnvironmentFile, PortMapping } from '../runtime/index.js';
import { SecretResolutionError } from '../secret-values/index.js';
import { isSecretsManagerArn, type SecretResolver } from '../services/secretsmanager/index.js';
// ECS's own parser of task memory (`2048`, `2 GB`); services/ecs/index.ts does not export it yet.
import { parseTaskMemory, type TaskOverride } from '../services/ecs/index.js';
import type { ParameterResolver } from '../services/ssm/index.js';
import type { ContainerSpec, DependencyCondition } from './decide.js';
import { compileHealthCheck, type HealthCheckDefinition, type HealthCheckSettings } from './health.js';

/** The part of a stored task definition (ECS's TaskDefinition shape) read here. */
export interface TaskDefinitionInput {
  containerDefinitions: Record<string, any>[];
  /** Task CPU units as ECS stores them (`"1024"`; `"1 vCPU"` is read too). */
  cpu?: string;
  /** Task memory in MiB as ECS stores it (`"2048"`; `"2 GB"` is read too). */
  memory?: string;
}

/** The part of a task's overrides (ECS's TaskOverride shape) read here. */
export type TaskOverrideInput = Pick<TaskOverride, 'containerOverrides' | 'cpu' | 'memory'>;

/** Where `valueFrom` references are read: Berth's Secrets Manager and Parameter Store. */
export interface SecretSources {
  secrets: SecretResolver;
  parameters: ParameterResolver;
}

/** Options of {@link containerConfigs}. */
export interface ContainerConfigOptions {
  /** Berth's region: `AWS_REGION` and `AWS_DEFAULT_REGION`, as Fargate sets them. */
  region?: string;
  /** `AWS_EXECUTION_ENV`: `AWS_ECS_FARGATE` for FARGATE tasks, `AWS_ECS_EC2` otherwise. Default FARGATE. */
  launchType?: string;
  /**
   * The container's task metadata endpoint (see metadata.ts's `MetadataServer.containerUri`):
   * set as `ECS_CONTAINER_METADATA_URI_V4` and `ECS_CONTAINER_METADATA_URI`.
   */
  metadataUri?: (containerName: string) => string;
}

/** An `awslogs` (or other) `logConfiguration`, as ECS stores it. */
export interface LogConfiguration {
  logDriver: string;
  options?: Record<string, string>;
  secretOptions?: { name: string; valueFrom: string }[];
}

/** Everything the agent needs to run one container of a task. */
export interface ContainerPlan {
  /** What to give `driver.startTask` (secrets resolved: never log or persist it). */
  config: ContainerConfig;
  /** What the decision needs: essential, dependsOn, whether it has a health check. */
  spec: ContainerSpec;
  /** How long `stopTask` waits after SIGTERM before SIGKILL: `stopTimeout` seconds, default 30. */
  stopTimeoutMs: number;
  /** The compiled health check, when the container has one. */
  healthCheck?: HealthCheckSettings;
  /** The container's `logConfiguration`, for the log shipper. */
  logConfiguration?: LogConfiguration;
  /** The container's port mappings, for the task's sandbox (`TaskSpec.containers`). */
  portMappings: PortMapping[];
}

/** ECS's default `stopTimeout` in seconds. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
const MIB = 1024 * 1024;

/**
 * Reads a `valueFrom`: a Secrets Manager ARN from Secrets Manager, anything else (a parameter
 * name or ARN) from Parameter Store, as ECS does. Throws {@link SecretResolutionError}.
 */
export function resolveValueFrom(sources: SecretSources, valueFrom: string): string {
  return isSecretsManagerArn(valueFrom) ? sources.secrets.resolve(valueFrom) : sources.parameters.resolve(valueFrom);
}

/**
 * Builds the plan of every container of a task, in task definition order. Throws
 * {@link SecretResolutionError} (its message is the task's `stoppedReason`, in ECS's words,
 * naming the reference and never a value) when a `secrets` entry or `repositoryCredentials`
 * cannot be read.
 *
 * `repositoryCredentials.credentialsParameter` is read like ECS reads it (a Secrets Manager
 * secret holding `{"username": ..., "password": ...}`) so a missing or malformed one fails the
 * task as on AWS; Berth's drivers pull nothing from registries, so the credentials are then dropped.
 *
 * Environment, later wins: `AWS_REGION`/`AWS_DEFAULT_REGION`/`AWS_EXECUTION_ENV`, the definition's
 * `environment`, the override's `environment`, the resolved `secrets`, then
 * `ECS_CONTAINER_METADATA_URI_V4`/`ECS_CONTAINER_METADATA_URI`. `environmentFiles` are the
 * definition's then the override's (the driver reads them; `environment` wins over them).
 */
export function containerConfigs(taskDefinition: TaskDefinitionInput, overrides: TaskOverrideInput | undefined, sources: SecretSources, options: ContainerConfigOptions = {}): ContainerPlan[] {
  const taskMemory = overrides?.memory ?? taskDefinition.memory;
  const taskMemoryMiB = taskMemory === undefined ? undefined : parseTaskMemory(taskMemory);
  return taskDefinition.containerDefinitions.map((def) => {
    const name = def.name as string;
    const o = overrides?.containerOverrides?.find((c) => c.name === name) ?? {};

    const environment: Record<string, string> = {};
    if (options.region) {
      environment.AWS_REGION = options.region;
      environment.AWS_DEFAULT_REGION = options.region;
    }
    environment.AWS_EXECUTION_ENV = (options.launchType ?? 'FARGATE') === 'FARGATE' ? 'AWS_ECS_FARGATE' : 'AWS_ECS_EC2';
    for (const list of [def.environment as { name?: string; value?: string }[] | undefined, o.environment]) {
      for (const e of list ?? []) if (e.name) environment[e.name] = e.value ?? '';
    }
    for (const s of (def.secrets ?? []) as { name: string; valueFrom: string }[]) environment[s.name] = resolveValueFrom(sources, s.valueFrom);
    if (def.repositoryCredentials?.credentialsParameter) checkRegistryCredentials(sources, name, def.repositoryCredentials.credentialsParameter);
    if (options.metadataUri) {
      const uri = options.metadataUri(name);
      environment.ECS_CONTAINER_METADATA_URI_V4 = uri;
      environment.ECS_CONTAINER_METADATA_URI = uri;
    }

    const environmentFiles: EnvironmentFile[] = [...((def.environmentFiles ?? []) as EnvironmentFile[]), ...(o.environmentFiles ?? [])];
    const memory = (o.memory ?? def.memory) as number | undefined;
    const reservation = (o.memoryReservation ?? def.memoryReservation) as number | undefined;
    const cpu = (o.cpu ?? def.cpu) as number | undefined;
    const config: ContainerConfig = {
      name,
      image: def.image as string,
      ...(def.entryPoint?.length ? { entryPoint: [...def.entryPoint] } : {}),
      ...((o.command ?? def.command)?.length ? { command: [...(o.command ?? def.command)] } : {}),
      environment,
      ...(environmentFiles.length ? { environmentFiles } : {}),
      ...(def.workingDirectory ? { workingDirectory: def.workingDirectory as string } : {}),
      ...(def.user ? { user: def.user as string } : {}),
      ...(memory ? { memoryLimitBytes: memory * MIB } : taskMemoryMiB ? { memoryLimitBytes: taskMemoryMiB * MIB } : {}),
      ...(reservation ? { memoryReservationBytes: reservation * MIB } : {}),
      ...(cpu ? { cpuUnits: cpu } : {}),
    };
    const spec: ContainerSpec = {
      name,
      essential: def.essential !== false,
      dependsOn: ((def.dependsOn ?? []) as { containerName: string; condition: DependencyCondition }[]).map((d) => ({ containerName: d.containerName, condition: d.condition })),
      hasHealthCheck: Boolean(def.healthCheck),
    };
    return {
      config,
      spec,
      stopTimeoutMs: ((def.stopTimeout as number | undefined) ?? DEFAULT_STOP_TIMEOUT_SECONDS) * 1000,
      ...(def.healthCheck ? { healthCheck: compileHealthCheck(def.healthCheck as HealthCheckDefinition) } : {}),
      ...(def.logConfiguration ? { logConfiguration: def.logConfiguration as LogConfiguration } : {}),
      portMappings: ((def.portMappings ?? []) as PortMapping[]).map((p) => ({ containerPort: p.containerPort, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}), protocol: p.protocol ?? 'tcp' })),
    };
  });
}

/** Reads a `repositoryCredentials` secret and checks its form; the value itself is not kept. */
function checkRegistryCredentials(sources: SecretSources, container: string, credentialsParameter: string): void {
  const text = sources.secrets.resolve(credentialsParameter);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const ok = parsed !== null && typeof parsed === 'object' && typeof (parsed as Record<string, unknown>).username === 'string' && typeof (parsed as Record<string, unknown>).password === 'string';
  if (!ok) {
    throw new SecretResolutionError(
      credentialsParameter,
      `unable to retrieve secret from asm: the repositoryCredentials secret ${credentialsParameter} of container ${container} is not a JSON object with string keys username and password`,
    );
  }
}

/**
 * A container's id in Berth, where ECS shows a Docker id (task metadata `DockerId`, and the
 * awslogs stream name when there is no `awslogs-stream-prefix`): `<task-id>-<container-name>`.
 */
export function containerRuntimeId(taskId: string, containerName: string): string {
  return `${taskId}-${containerName}`;
}
