/**
 * RegisterTaskDefinition's rules, as ECS applies them after the model's own checks: names,
 * containers, port mappings per network mode, task size (the Fargate cpu/memory pairs), memory
 * limits, secrets, log configuration, health checks, dependencies. {@link compileTaskDefinition}
 * reports every problem at once and returns the definition with the members ECS fills in.
 */
import { ecsError } from './errors.js';

/** A container definition as it arrives on the wire (the model has already checked its types). */
export type WireContainer = Record<string, any>;

/** The members of RegisterTaskDefinition that shape the stored definition (tags excluded). */
export interface RegisterInput {
  family: string;
  containerDefinitions: WireContainer[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode?: 'bridge' | 'host' | 'awsvpc' | 'none';
  volumes?: Record<string, any>[];
  placementConstraints?: { type?: string; expression?: string }[];
  requiresCompatibilities?: string[];
  cpu?: string;
  memory?: string;
  pidMode?: string;
  ipcMode?: string;
  proxyConfiguration?: { type?: string; containerName: string; properties?: { name?: string; value?: string }[] };
  inferenceAccelerators?: { deviceName: string; deviceType: string }[];
  ephemeralStorage?: { sizeInGiB: number };
  runtimePlatform?: { cpuArchitecture?: string; operatingSystemFamily?: string };
  enableFaultInjection?: boolean;
}

/** The definition ECS stores for a valid registration, without identity, status and times. */
export type CompiledTaskDefinition = Record<string, unknown> & {
  family: string;
  containerDefinitions: WireContainer[];
  compatibilities: string[];
  requiresAttributes: { name: string }[];
};

/** Most containers one task definition may hold. */
export const MAX_CONTAINERS = 10;
/** Least memory (MiB) Docker 20.10 lets a container have. */
export const MIN_CONTAINER_MEMORY = 6;

/** Valid task memory values (MiB) for each Fargate task cpu value (units). */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Whether Fargate offers a task of `cpu` units and `memory` MiB. */
export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_SIZES.get(cpu)?.includes(memory) ?? false;
}

/** Task cpu as ECS stores it: units, from `1024`, `1 vCPU` or `0.5 vcpu`; undefined when not a valid form. */
export function parseTaskCpu(s: string): number | undefined {
  const units = /^\s*(\d+)\s*$/.exec(s);
  if (units) return Number(units[1]);
  const vcpu = /^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$/i.exec(s);
  if (!vcpu) return undefined;
  const n = Number(vcpu[1]) * 1024;
  return Number.isInteger(n) ? n : undefined;
}

/** Task memory as ECS stores it: MiB, from `2048`, `2 GB` or `2GB`; undefined when not a valid form. */
export function parseTaskMemory(s: string): number | undefined {
  const mib = /^\s*(\d+)\s*$/.exec(s);
  if (mib) return Number(mib[1]);
  const gb = /^\s*(\d+(?:\.\d+)?)\s*gb\s*$/i.exec(s);
  if (!gb) return undefined;
  const n = Number(gb[1]) * 1024;
  return Number.isInteger(n) ? n : undefined;
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const PORT_NAME = /^[a-z0-9_][a-z0-9_-]{0,63}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:.+|parameter\/.+)$/;
const PARAMETER_NAME = /^\/?[a-zA-Z0-9_.\-/]{1,2048}$/;
const ECR_IMAGE = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;
const FARGATE_LOG_DRIVERS = ['awslogs', 'splunk', 'awsfirelens'];
const HEALTH_BOUNDS = {
  interval: { min: 5, max: 300, default: 30 },
  timeout: { min: 2, max: 60, default: 5 },
  retries: { min: 1, max: 10, default: 3 },
  startPeriod: { min: 0, max: 300, default: undefined },
} as const;

/** Problems found so far, each with the code ECS answers it with. */
class Problems {
  readonly list: { code: string; message: string }[] = [];
  client(message: string): void {
    this.list.push({ code: 'ClientException', message });
  }
  invalid(message: string): void {
    this.list.push({ code: 'InvalidParameterException', message });
  }
  /** Throws the first problem's code with every message, so one call reports everything. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    throw ecsError(this.list[0].code, this.list.map((p) => p.message).join(' '));
  }
}

/**
 * Applies ECS's registration rules to `input`. Returns the definition with ECS's defaults filled
 * in (protocol, host ports, health check timings, `cpu: 0`, empty lists), normalised task
 * cpu/memory, the computed `compatibilities` and `requiresAttributes`; throws ClientException
 * or InvalidParameterException naming every problem otherwise.
 */
export function compileTaskDefinition(input: RegisterInput): CompiledTaskDefinition {
  const p = new Problems();
  if (!NAME.test(input.family)) {
    p.client(`Invalid family '${input.family}': up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens are allowed.`);
  }
  const mode = input.networkMode ?? 'bridge';
  const requires = input.requiresCompatibilities ?? [];
  const fargate = requires.includes('FARGATE');

  const cpu = input.cpu === undefined ? undefined : parseTaskCpu(input.cpu);
  const memory = input.memory === undefined ? undefined : parseTaskMemory(input.memory);
  if (input.cpu !== undefined && (cpu === undefined || cpu < 128 || cpu > 196608)) {
    p.invalid(`Invalid 'cpu' setting for task: '${input.cpu}'. Give CPU units between 128 and 196608 (for example 1024) or vCPUs (for example 1 vCPU).`);
  }
  if (input.memory !== undefined && (memory === undefined || memory < MIN_CONTAINER_MEMORY)) {
    p.invalid(`Invalid 'memory' setting for task: '${input.memory}'. Give MiB (for example 2048) or GB (for example 2 GB).`);
  }

  const containers = input.containerDefinitions;
  if (containers.length === 0) p.client('Task definition must have at least one container definition.');
  if (containers.length > MAX_CONTAINERS) p.client(`Too many containers: a task definition can have at most ${MAX_CONTAINERS} container definitions; got ${containers.length}.`);

  const names = new Set<string>();
  for (const c of containers) {
    if (c.name === undefined || c.name === '') p.client('Container.name should not be null or empty.');
    else if (!NAME.test(c.name)) p.client(`Invalid container name '${c.name}': up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens are allowed.`);
    else if (names.has(c.name)) p.client(`Duplicate container name '${c.name}': container names must be unique within a task definition.`);
    else names.add(c.name);
  }
  if (containers.length > 0 && !containers.some((c) => c.essential !== false)) {
    p.client('A task definition must have at least one essential container.');
  }

  const volumeNames = checkVolumes(input.volumes ?? [], fargate, p);
  const compiledContainers = containers.map((c) => compileContainer(c, { mode, fargate, taskMemory: memory, names, volumeNames, containers, hasExecutionRole: !!input.executionRoleArn }, p));
  checkTaskPorts(compiledContainers, p);
  checkTaskSums(containers, cpu, memory, p);

  if ((input.placementConstraints ?? []).length > 10) p.client('A task definition can have at most 10 placement constraints.');
  if (input.proxyConfiguration && !names.has(input.proxyConfiguration.containerName)) {
    p.client(`Invalid proxyConfiguration: container '${input.proxyConfiguration.containerName}' is not defined in the task definition.`);
  }
  const eph = input.ephemeralStorage?.sizeInGiB;
  if (eph !== undefined && (eph < 21 || eph > 200)) p.client(`Invalid ephemeralStorage: sizeInGiB must be between 21 and 200; got ${eph}.`);

  const fargateProblems = fargateIncompatibilities(input, mode, cpu, memory);
  if (fargate) for (const m of fargateProblems) p.client(m);
  if (requires.includes('EXTERNAL') && mode === 'awsvpc') p.client("The EXTERNAL launch type does not support network mode 'awsvpc'.");
  p.throwIfAny();

  const out: CompiledTaskDefinition = {
    family: input.family,
    containerDefinitions: compiledContainers,
    volumes: input.volumes ?? [],
    placementConstraints: input.placementConstraints ?? [],
    compatibilities: compatibilities(mode, fargateProblems.length === 0, requires),
    requiresAttributes: requiredAttributes(input, mode),
  };
  for (const k of ['taskRoleArn', 'executionRoleArn', 'networkMode', 'requiresCompatibilities', 'pidMode', 'ipcMode', 'proxyConfiguration', 'inferenceAccelerators', 'ephemeralStorage', 'runtimePlatform', 'enableFaultInjection'] as const) {
    if (input[k] !== undefined) out[k] = input[k];
  }
  if (cpu !== undefined) out.cpu = String(cpu);
  if (memory !== undefined) out.memory = String(memory);
  return out;
}

interface ContainerContext {
  mode: string;
  fargate: boolean;
  taskMemory: number | undefined;
  names: Set<string>;
  volumeNames: Set<string>;
  containers: WireContainer[];
  hasExecutionRole: boolean;
}

function compileContainer(c: WireContainer, ctx: ContainerContext, p: Problems): WireContainer {
  const who = `container '${c.name ?? ''}'`;
  if (c.image === undefined || c.image === '') p.client('Container.image should not be null or empty.');
  else if (c.image.split('@')[0].length > 255) p.client(`Invalid 'image' setting for ${who}: the repository and tag may be at most 255 characters.`);

  checkMemory(c, who, ctx.taskMemory, p);
  if (c.cpu !== undefined && c.cpu < 0) p.client(`Invalid 'cpu' setting for ${who}: it must not be negative.`);
  const portMappings = (c.portMappings ?? []).map((m: Record<string, any>) => compilePortMapping(m, who, ctx.mode, p));
  checkContainerPorts(portMappings, who, p);

  if ((c.links ?? []).length > 0) {
    if (ctx.mode !== 'bridge') p.client(`Links are not supported when networkMode=${ctx.mode}.`);
    for (const link of c.links) {
      const target = String(link).split(':')[0];
      if (!ctx.names.has(target) || target === c.name) p.client(`Invalid 'links' setting for ${who}: '${link}' does not name another container in the task definition.`);
    }
  }
  for (const d of c.dependsOn ?? []) checkDependency(d, c, who, ctx, p);
  for (const v of c.volumesFrom ?? []) {
    if (!v.sourceContainer || !ctx.names.has(v.sourceContainer) || v.sourceContainer === c.name) {
      p.client(`Invalid 'volumesFrom' setting for ${who}: '${v.sourceContainer ?? ''}' does not name another container in the task definition.`);
    }
  }
  for (const m of c.mountPoints ?? []) {
    if (!m.sourceVolume || !ctx.volumeNames.has(m.sourceVolume)) p.client(`Invalid 'mountPoints' setting for ${who}: volume '${m.sourceVolume ?? ''}' is not defined in the task definition's volumes.`);
    if (!m.containerPath) p.client(`Invalid 'mountPoints' setting for ${who}: containerPath is required.`);
  }
  for (const e of c.environment ?? []) {
    if (e.name === undefined || e.name === '') p.client(`Invalid 'environment' setting for ${who}: every environment variable needs a non-empty name.`);
  }
  for (const f of c.environmentFiles ?? []) {
    if (!/^arn:aws[a-z-]*:s3:::.+\.env$/.test(f.value)) p.client(`Invalid 'environmentFiles' setting for ${who}: '${f.value}' is not the ARN of an S3 object with a .env extension.`);
  }
  checkSecrets(c.secrets ?? [], `'secrets' setting for ${who}`, p);
  if ((c.secrets ?? []).length > 0 && !ctx.hasExecutionRole) {
    p.client(`When you are specifying container secrets, you must also specify a value for 'executionRoleArn' (${who}).`);
  }
  if (c.logConfiguration) checkLogConfiguration(c.logConfiguration, who, ctx, p);
  for (const u of c.ulimits ?? []) {
    if (u.softLimit > u.hardLimit) p.client(`Invalid 'ulimits' setting for ${who}: the soft limit of '${u.name}' exceeds its hard limit.`);
  }
  for (const k of ['startTimeout', 'stopTimeout'] as const) {
    if (c[k] !== undefined && (c[k] < 0 || (ctx.fargate && (c[k] < 2 || c[k] > 120)))) {
      p.client(`Invalid '${k}' setting for ${who}: ${ctx.fargate ? 'on Fargate it must be between 2 and 120 seconds' : 'it must not be negative'}.`);
    }
  }

  const out: WireContainer = {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings,
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  };
  if (c.healthCheck) out.healthCheck = compileHealthCheck(c.healthCheck, who, p);
  return out;
}

function checkMemory(c: WireContainer, who: string, taskMemory: number | undefined, p: Problems): void {
  for (const k of ['memory', 'memoryReservation'] as const) {
    if (c[k] !== undefined && c[k] < MIN_CONTAINER_MEMORY) p.client(`Invalid '${k}' setting for ${who}: it must be at least ${MIN_CONTAINER_MEMORY} MiB; got ${c[k]}.`);
  }
  if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
    p.client(`Invalid 'memoryReservation' setting for ${who}: the soft limit (${c.memoryReservation} MiB) must not exceed the hard limit 'memory' (${c.memory} MiB).`);
  }
  if (c.memory === undefined && c.memoryReservation === undefined && taskMemory === undefined) {
    p.client(`Invalid setting for ${who}. At least one of 'memory' or 'memoryReservation' must be specified.`);
  }
}

function compilePortMapping(m: Record<string, any>, who: string, mode: string, p: Problems): Record<string, any> {
  const out: Record<string, any> = { ...m, protocol: m.protocol ?? 'tcp' };
  if (mode === 'none') {
    p.client(`Invalid 'portMappings' setting for ${who}: port mappings are not supported when networkMode=none.`);
    return out;
  }
  if (m.containerPortRange !== undefined) {
    const r = /^(\d{1,5})-(\d{1,5})$/.exec(m.containerPortRange);
    if (m.containerPort !== undefined || m.hostPort !== undefined) p.client(`Invalid 'portMappings' setting for ${who}: give either containerPort or containerPortRange, and no hostPort with a containerPortRange.`);
    if (mode !== 'bridge' && mode !== 'awsvpc') p.client(`Invalid 'containerPortRange' setting for ${who}: port ranges need networkMode bridge or awsvpc.`);
    if (!r || Number(r[1]) < 1 || Number(r[2]) > 65535 || Number(r[1]) >= Number(r[2])) {
      p.client(`Invalid 'containerPortRange' setting for ${who}: '${m.containerPortRange}' must be FIRST-LAST with 1 <= FIRST < LAST <= 65535.`);
    }
    return out;
  }
  if (m.containerPort === undefined || m.containerPort < 1 || m.containerPort > 65535) {
    p.client(`Invalid 'containerPort' setting for ${who}.`);
    return out;
  }
  if (m.hostPort !== undefined && (m.hostPort < 0 || m.hostPort > 65535)) p.client(`Invalid 'hostPort' setting for ${who}.`);
  if (mode === 'awsvpc' || mode === 'host') {
    if (m.hostPort !== undefined && m.hostPort !== m.containerPort) p.client(`When networkMode=${mode}, the host ports and container ports in port mappings must match.`);
    out.hostPort = m.containerPort;
  } else {
    out.hostPort = m.hostPort ?? 0;
  }
  if (m.name !== undefined && !PORT_NAME.test(m.name)) {
    p.client(`Invalid port mapping name '${m.name}' for ${who}: up to 64 lowercase letters, numbers, underscores and hyphens, not starting with a hyphen.`);
  }
  return out;
}

/** One container may map a port (or a port in a range) once per protocol, and ranges may not overlap. */
function checkContainerPorts(mappings: Record<string, any>[], who: string, p: Problems): void {
  const spans = mappings
    .map((m) => {
      const r = /^(\d+)-(\d+)$/.exec(m.containerPortRange ?? '');
      return r ? { from: Number(r[1]), to: Number(r[2]), protocol: m.protocol } : m.containerPort !== undefined ? { from: m.containerPort, to: m.containerPort, protocol: m.protocol } : undefined;
    })
    .filter((s): s is { from: number; to: number; protocol: string } => s !== undefined);
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i];
      const b = spans[j];
      if (a.protocol === b.protocol && a.from <= b.to && b.from <= a.to) {
        p.client(`Invalid 'portMappings' setting for ${who}: container port ${Math.max(a.from, b.from)}/${a.protocol} is mapped more than once.`);
      }
    }
  }
}

/** Static host ports and port mapping names must be unique across the task. */
function checkTaskPorts(containers: WireContainer[], p: Problems): void {
  const hostPorts = new Map<string, string>();
  const portNames = new Set<string>();
  for (const c of containers) {
    for (const m of c.portMappings as Record<string, any>[]) {
      if (m.hostPort) {
        const key = `${m.hostPort}/${m.protocol}`;
        const owner = hostPorts.get(key);
        if (owner !== undefined && owner !== c.name) p.client(`Host port ${key} is used by both container '${owner}' and container '${c.name}'.`);
        hostPorts.set(key, c.name);
      }
      if (m.name !== undefined) {
        if (portNames.has(m.name)) p.client(`Port mapping name '${m.name}' is used more than once; port mapping names must be unique within a task definition.`);
        portNames.add(m.name);
      }
    }
  }
}

function checkTaskSums(containers: WireContainer[], cpu: number | undefined, memory: number | undefined, p: Problems): void {
  if (memory !== undefined) {
    const reserved = containers.reduce((n, c) => n + (c.memoryReservation ?? c.memory ?? 0), 0);
    if (reserved > memory) p.client(`The containers reserve ${reserved} MiB of memory in total, more than the task memory of ${memory} MiB.`);
    for (const c of containers) {
      if (c.memory !== undefined && c.memory > memory) p.client(`Invalid 'memory' setting for container '${c.name}': ${c.memory} MiB exceeds the task memory of ${memory} MiB.`);
    }
  }
  if (cpu !== undefined) {
    const total = containers.reduce((n, c) => n + (c.cpu ?? 0), 0);
    if (total > cpu) p.client(`The containers reserve ${total} CPU units in total, more than the task cpu of ${cpu} units.`);
  }
}

function checkDependency(d: { containerName: string; condition: string }, c: WireContainer, who: string, ctx: ContainerContext, p: Problems): void {
  const target = ctx.containers.find((x) => x.name === d.containerName);
  if (!target || d.containerName === c.name) {
    p.client(`Invalid 'dependsOn' setting for ${who}: '${d.containerName}' does not name another container in the task definition.`);
    return;
  }
  if (d.condition === 'HEALTHY' && !target.healthCheck) {
    p.client(`Invalid 'dependsOn' setting for ${who}: the HEALTHY condition needs a healthCheck on container '${d.containerName}'.`);
  }
  if ((d.condition === 'COMPLETE' || d.condition === 'SUCCESS') && target.essential !== false) {
    p.client(`Invalid 'dependsOn' setting for ${who}: the ${d.condition} condition can't be set on essential container '${d.containerName}'.`);
  }
}

function checkSecrets(secrets: { name: string; valueFrom: string }[], what: string, p: Problems): void {
  const seen = new Set<string>();
  for (const s of secrets) {
    if (s.name === '') p.client(`Invalid ${what}: every secret needs a non-empty name.`);
    if (seen.has(s.name)) p.client(`Invalid ${what}: secret '${s.name}' is given more than once.`);
    seen.add(s.name);
    if (!SECRET_ARN.test(s.valueFrom) && (s.valueFrom.startsWith('arn:') || !PARAMETER_NAME.test(s.valueFrom))) {
      p.client(`Invalid ${what}: valueFrom of secret '${s.name}' must be the ARN of a Secrets Manager secret or an SSM parameter, or the name of an SSM parameter.`);
    }
  }
}

function checkLogConfiguration(l: { logDriver: string; options?: Record<string, string>; secretOptions?: { name: string; valueFrom: string }[] }, who: string, ctx: ContainerContext, p: Problems): void {
  const options = l.options ?? {};
  if (l.logDriver === 'awslogs') {
    const required = ['awslogs-group', 'awslogs-region', ...(ctx.fargate ? ['awslogs-stream-prefix'] : [])];
    const missing = required.filter((o) => !options[o]);
    if (missing.length > 0) p.client(`Invalid 'logConfiguration' setting for ${who}: log driver awslogs requires the option${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
  }
  if (ctx.fargate && !FARGATE_LOG_DRIVERS.includes(l.logDriver)) {
    p.client(`Invalid 'logConfiguration' setting for ${who}: Fargate supports the log drivers ${FARGATE_LOG_DRIVERS.join(', ')}; got ${l.logDriver}.`);
  }
  if (ctx.fargate && l.logDriver === 'awslogs' && !ctx.hasExecutionRole) {
    p.client('Fargate requires task definition to have execution role ARN to support log driver awslogs.');
  }
  checkSecrets(l.secretOptions ?? [], `'logConfiguration.secretOptions' setting for ${who}`, p);
}

function compileHealthCheck(h: Record<string, any>, who: string, p: Problems): Record<string, any> {
  const cmd: string[] = h.command ?? [];
  if (cmd.length === 0 || !['CMD', 'CMD-SHELL', 'NONE'].includes(cmd[0]) || (cmd[0] !== 'NONE' && cmd.length < 2)) {
    p.client(`Invalid 'healthCheck' setting for ${who}: command must start with CMD or CMD-SHELL followed by the command to run.`);
  }
  const out: Record<string, any> = { ...h };
  for (const [k, b] of Object.entries(HEALTH_BOUNDS)) {
    const v = h[k];
    if (v !== undefined && (v < b.min || v > b.max)) p.client(`Invalid 'healthCheck' setting for ${who}: ${k} must be between ${b.min} and ${b.max}; got ${v}.`);
    if (v === undefined && b.default !== undefined) out[k] = b.default;
  }
  return out;
}

function checkVolumes(volumes: Record<string, any>[], fargate: boolean, p: Problems): Set<string> {
  const names = new Set<string>();
  for (const v of volumes) {
    if (v.name === undefined) {
      if (v.efsVolumeConfiguration || v.configuredAtLaunch) p.client('Invalid volume: a name is required for EFS volumes and volumes configured at launch.');
      continue;
    }
    if (!NAME.test(v.name)) p.client(`Invalid volume name '${v.name}': up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens are allowed.`);
    if (names.has(v.name)) p.client(`Duplicate volume name '${v.name}': volume names must be unique within a task definition.`);
    names.add(v.name);
    if (fargate && v.host?.sourcePath) p.client(`Invalid volume '${v.name}': Fargate does not support host volumes with a sourcePath.`);
    if (fargate && v.dockerVolumeConfiguration) p.client(`Invalid volume '${v.name}': Fargate does not support dockerVolumeConfiguration.`);
  }
  return names;
}

/** Why the definition cannot run on Fargate (empty when it can). */
function fargateIncompatibilities(input: RegisterInput, mode: string, cpu: number | undefined, memory: number | undefined): string[] {
  const out: string[] = [];
  if (mode !== 'awsvpc') out.push("Fargate only supports network mode 'awsvpc'.");
  if (input.cpu === undefined) out.push("Fargate requires that 'cpu' be defined at the task level.");
  if (input.memory === undefined) out.push("Fargate requires that 'memory' be defined at the task level.");
  if (cpu !== undefined && memory !== undefined && !isFargateSize(cpu, memory)) {
    out.push(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`);
  }
  if (input.pidMode === 'host') out.push("Fargate only supports pidMode 'task'.");
  if (input.ipcMode !== undefined) out.push('Fargate does not support ipcMode.');
  if ((input.placementConstraints ?? []).length > 0) out.push('Fargate does not support task placement constraints.');
  for (const c of input.containerDefinitions) {
    if (c.privileged) out.push(`Fargate does not support privileged containers ('${c.name}').`);
  }
  return out;
}

function compatibilities(mode: string, fargateOk: boolean, requires: string[]): string[] {
  const out: string[] = [];
  if (mode !== 'awsvpc') out.push('EXTERNAL');
  out.push('EC2');
  if (fargateOk) out.push('FARGATE');
  if (requires.includes('MANAGED_INSTANCES')) out.push('MANAGED_INSTANCES');
  return out;
}

/** The container instance attributes ECS derives from what the definition uses. */
function requiredAttributes(input: RegisterInput, mode: string): { name: string }[] {
  const names = new Set<string>();
  const docker = (v: string) => names.add(`com.amazonaws.ecs.capability.docker-remote-api.${v}`);
  if (mode === 'awsvpc') {
    docker('1.18');
    names.add('ecs.capability.task-eni');
  }
  if (input.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role');
  for (const c of input.containerDefinitions) {
    const driver = c.logConfiguration?.logDriver;
    if (driver) {
      docker(driver === 'awslogs' ? '1.19' : '1.18');
      names.add(driver === 'awsfirelens' ? 'ecs.capability.firelens.fluentbit' : `com.amazonaws.ecs.capability.logging-driver.${driver}`);
      if (driver === 'awslogs' && input.executionRoleArn) names.add('ecs.capability.execution-role-awslogs');
    }
    if (c.firelensConfiguration) names.add(`ecs.capability.firelens.${c.firelensConfiguration.type}`);
    if (typeof c.image === 'string' && ECR_IMAGE.test(c.image)) {
      names.add('com.amazonaws.ecs.capability.ecr-auth');
      if (input.executionRoleArn) names.add('ecs.capability.execution-role-ecr-pull');
    }
    for (const s of [...(c.secrets ?? []), ...(c.logConfiguration?.secretOptions ?? [])]) {
      const kind = /^arn:aws[a-z-]*:secretsmanager:/.test(s.valueFrom) ? 'asm' : 'ssm';
      names.add(c.secrets?.includes(s) ? `ecs.capability.secrets.${kind}.environment-variables` : `ecs.capability.secrets.${kind}.bootstrap.log-driver`);
    }
    if (c.memoryReservation !== undefined) docker('1.21');
    if (c.dockerLabels || c.ulimits) docker('1.18');
    if (c.healthCheck) {
      docker('1.24');
      names.add('ecs.capability.container-health-check');
    }
    if (c.dependsOn?.length) names.add('ecs.capability.container-ordering');
    if (c.privileged) names.add('com.amazonaws.ecs.capability.privileged-container');
    if (c.repositoryCredentials) names.add('com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager');
    if (c.environmentFiles?.length) names.add('ecs.capability.env-files.s3');
    if (c.systemControls?.length) docker('1.25');
  }
  for (const v of input.volumes ?? []) {
    if (v.efsVolumeConfiguration) names.add('ecs.capability.efsAuth');
    if (v.dockerVolumeConfiguration) names.add('ecs.capability.docker-plugin.local');
  }
  if (input.pidMode || input.ipcMode) docker('1.25');
  return [...names].sort().map((name) => ({ name }));
}
