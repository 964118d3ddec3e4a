/**
 * The ECS task metadata endpoint, version 4, for the containers Berth runs: one small HTTP
 * server per Berth, on 127.0.0.1, answering
 *
 * - `GET /v4/<token>`            the container's metadata,
 * - `GET /v4/<token>/task`       the task's metadata with every container,
 * - `GET /v4/<token>/stats`      the container's resource use, Docker-stats-shaped,
 * - `GET /v4/<token>/task/stats` the same for every container, keyed by `DockerId`,
 *
 * with AWS's field names. `<token>` is an unguessable id of one (task ARN, container name), an
 * HMAC under a key, so a key kept across restarts gives the same URLs again; with a fixed port
 * as well, containers that outlive a Berth restart keep a working `ECS_CONTAINER_METADATA_URI_V4`.
 * The data comes from a {@link MetadataSource} the agent provides; this module holds no state of
 * its own beyond the token table and the CPU counters that make stats cumulative.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NetworkBinding, ResourceUsage } from '../runtime/index.js';
import type { HealthCheckResult } from './health.js';

/** One container as the metadata endpoint shows it (Berth's names; the wire names are AWS's). */
export interface MetadataContainer {
  name: string;
  /** The container's id (`containerRuntimeId`), shown as `DockerId`. */
  runtimeId: string;
  containerArn: string;
  image: string;
  /** The image's digest, when known (`ImageID`). */
  imageId?: string;
  desiredStatus: string;
  knownStatus: string;
  /** Container `cpu` units and `memory` MiB from its definition. */
  cpuUnits: number;
  memoryMiB?: number;
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  logDriver?: string;
  logOptions?: Record<string, string>;
  /** Host port bindings (bridge/host mode: `Ports`). */
  networkBindings?: NetworkBinding[];
  /** The latest health check result, when the container has a health check. */
  health?: HealthCheckResult;
}

/** One task as the metadata endpoint shows it. */
export interface MetadataTask {
  clusterArn: string;
  taskArn: string;
  family: string;
  revision: number;
  serviceName?: string;
  desiredStatus: string;
  knownStatus: string;
  /** Task-level `cpu` units and `memory` MiB, if the definition sets them. */
  cpuUnits?: number;
  memoryMiB?: number;
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  executionStoppedAt?: Date;
  availabilityZone: string;
  launchType: string;
  networkMode: string;
  /** The task's address (awsvpc: its own IP; otherwise the host's). */
  ipv4Address?: string;
  macAddress?: string;
  /** The awsvpc subnet, e.g. `10.213.0.0/24`, and its gateway, when known. */
  subnetCidr?: string;
  gatewayIpv4Address?: string;
  containers: MetadataContainer[];
}

/** Where the endpoint reads from; the agent implements it over its own state. */
export interface MetadataSource {
  /** The task now, or undefined when it is unknown (answers 404). */
  task(taskArn: string): MetadataTask | undefined | Promise<MetadataTask | undefined>;
  /** A fresh resource sample of a running container, or undefined (stopped, unknown). */
  stats(taskArn: string, containerName: string): Promise<ResourceUsage | undefined>;
}

/** Options of {@link MetadataServer}. */
export interface MetadataServerOptions {
  source: MetadataSource;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. Give a fixed one so URLs survive a Berth restart. */
  port?: number;
  /** HMAC key of the tokens (at least 16 bytes). Default: random per server. */
  tokenKey?: Buffer;
}

interface Registered {
  taskArn: string;
  containerName: string;
}

/** Cumulative CPU counters, so clients can compute a rate from two samples as with Docker. */
interface CpuCounters {
  totalNs: number;
  systemNs: number;
  at: number;
  memoryMaxBytes: number;
}

const ONLINE_CPUS = 1;

/** The task metadata endpoint v4 server; a Runnable. */
export class MetadataServer {
  private readonly tokens = new Map<string, Registered>();
  private readonly counters = new Map<string, CpuCounters>();
  private readonly key: Buffer;
  private readonly server: http.Server;
  private base: string | undefined;
  private readonly listening: Promise<void>;
  private markListening!: () => void;

  constructor(private readonly options: MetadataServerOptions) {
    if (options.tokenKey && options.tokenKey.length < 16) throw new RangeError('tokenKey must be at least 16 bytes.');
    this.key = options.tokenKey ?? randomBytes(32);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.listening = new Promise((resolve) => (this.markListening = resolve));
  }

  /** The token of a container (the same for the same key, task and container). */
  tokenFor(taskArn: string, containerName: string): string {
    return createHmac('sha256', this.key).update(`${taskArn}\0${containerName}`).digest('base64url').slice(0, 32);
  }

  /**
   * Registers a container and returns its `ECS_CONTAINER_METADATA_URI_V4`
   * (`http://127.0.0.1:PORT/v4/TOKEN`). Throws until the server listens (await {@link ready}).
   */
  containerUri(taskArn: string, containerName: string): string {
    if (!this.base) throw new Error('The task metadata server is not listening yet; await ready() first.');
    const token = this.tokenFor(taskArn, containerName);
    this.tokens.set(token, { taskArn, containerName });
    return `${this.base}/v4/${token}`;
  }

  /** Forgets every container of a task (its URLs answer 404 from now on). */
  forgetTask(taskArn: string): void {
    for (const [token, r] of this.tokens) {
      if (r.taskArn !== taskArn) continue;
      this.tokens.delete(token);
      this.counters.delete(token);
    }
  }

  /** Resolves once the server listens. */
  ready(): Promise<void> {
    return this.listening;
  }

  /** `http://host:port`, once listening. */
  get url(): string | undefined {
    return this.base;
  }

  /** Listens until `signal` aborts, then closes every connection. */
  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://${host}:${port}`;
    this.markListening();
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const m = /^\/v4\/([A-Za-z0-9_-]+)(\/task)?(\/stats)?\/?$/.exec((req.url ?? '').split('?')[0]);
      if (req.method !== 'GET') return send(405, { message: 'Only GET is supported.' });
      const reg = m ? this.tokens.get(m[1]) : undefined;
      if (!m || !reg) return send(404, { message: 'No such container metadata endpoint.' });
      const task = await this.options.source.task(reg.taskArn);
      const container = task?.containers.find((c) => c.name === reg.containerName);
      if (!task || !container) return send(404, { message: 'The task or container is no longer known.' });
      const [, , wholeTask, stats] = m;
      if (wholeTask && stats) {
        const out: Record<string, unknown> = {};
        for (const c of task.containers) out[c.runtimeId] = await this.stats(task, c);
        return send(200, out);
      }
      if (stats) return send(200, await this.stats(task, container));
      if (wholeTask) return send(200, taskMetadata(task));
      return send(200, containerMetadata(task, container));
    } catch (err) {
      send(500, { message: `Task metadata unavailable: ${(err as Error).message}` });
    }
  }

  /** A Docker-stats-shaped sample; CPU counters accumulate from the driver's per-interval percentages. */
  private async stats(task: MetadataTask, c: MetadataContainer): Promise<DockerStats | null> {
    const usage = await this.options.source.stats(task.taskArn, c.name).catch(() => undefined);
    if (!usage) return null;
    const key = this.tokenFor(task.taskArn, c.name);
    const prev = this.counters.get(key);
    const at = usage.at.getTime();
    const elapsedNs = prev ? Math.max(0, at - prev.at) * 1e6 : 0;
    const next: CpuCounters = {
      totalNs: (prev?.totalNs ?? 0) + Math.round((usage.cpuPercent / 100) * elapsedNs),
      systemNs: (prev?.systemNs ?? 0) + elapsedNs * ONLINE_CPUS,
      at,
      memoryMaxBytes: Math.max(prev?.memoryMaxBytes ?? 0, usage.memoryBytes),
    };
    this.counters.set(key, next);
    return dockerStats(c, usage, next, prev);
  }
}

/** Docker's stats JSON, as far as Berth can fill it. */
export interface DockerStats {
  read: string;
  preread: string;
  name: string;
  id: string;
  num_procs: number;
  pids_stats: Record<string, number>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage: number; max_usage: number; limit: number; stats: Record<string, number> };
  blkio_stats: Record<string, unknown[]>;
  storage_stats: Record<string, number>;
}

interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(c: CpuCounters | undefined): CpuStats {
  return {
    cpu_usage: { total_usage: c?.totalNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: c?.totalNs ?? 0 },
    system_cpu_usage: c?.systemNs ?? 0,
    online_cpus: ONLINE_CPUS,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function dockerStats(c: MetadataContainer, usage: ResourceUsage, now: CpuCounters, prev: CpuCounters | undefined): DockerStats {
  return {
    read: usage.at.toISOString(),
    preread: prev ? new Date(prev.at).toISOString() : ZERO_TIME,
    name: c.name,
    id: c.runtimeId,
    num_procs: 0,
    pids_stats: {},
    cpu_stats: cpuStats(now),
    precpu_stats: cpuStats(prev),
    memory_stats: { usage: usage.memoryBytes, max_usage: now.memoryMaxBytes, limit: usage.memoryLimitBytes ?? 0, stats: {} },
    blkio_stats: { io_service_bytes_recursive: [], io_serviced_recursive: [] },
    storage_stats: {},
  };
}

const iso = (d: Date | undefined) => d?.toISOString();

/** Adds `key: value` only when value is defined (AWS omits absent fields). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}

/** The container metadata response (`${ECS_CONTAINER_METADATA_URI_V4}`), AWS's field names. */
export function containerMetadata(task: MetadataTask, c: MetadataContainer): Record<string, unknown> {
  const out: Record<string, unknown> = {
    DockerId: c.runtimeId,
    Name: c.name,
    DockerName: `ecs-${task.family}-${task.revision}-${c.name}`,
    Image: c.image,
    ImageID: c.imageId ?? '',
    Labels: {
      'com.amazonaws.ecs.cluster': task.clusterArn,
      'com.amazonaws.ecs.container-name': c.name,
      'com.amazonaws.ecs.task-arn': task.taskArn,
      'com.amazonaws.ecs.task-definition-family': task.family,
      'com.amazonaws.ecs.task-definition-version': String(task.revision),
    },
    DesiredStatus: c.desiredStatus,
    KnownStatus: c.knownStatus,
    Limits: { CPU: c.cpuUnits, ...(c.memoryMiB !== undefined ? { Memory: c.memoryMiB } : {}) },
  };
  put(out, 'ExitCode', c.exitCode);
  put(out, 'CreatedAt', iso(c.createdAt));
  put(out, 'StartedAt', iso(c.startedAt));
  put(out, 'FinishedAt', iso(c.finishedAt));
  out.Type = 'NORMAL';
  put(out, 'LogDriver', c.logDriver);
  put(out, 'LogOptions', c.logOptions);
  out.ContainerARN = c.containerArn;
  if (c.health) {
    const h: Record<string, unknown> = { status: c.health.status, statusSince: new Date(c.health.statusSince).toISOString() };
    put(h, 'exitCode', c.health.exitCode);
    if (c.health.output) h.output = c.health.output;
    out.Health = h;
  }
  if (c.networkBindings?.length) {
    out.Ports = c.networkBindings.map((b) => ({ ContainerPort: b.containerPort, Protocol: b.protocol, HostPort: b.hostPort, HostIp: b.bindIP }));
  }
  out.Networks = [networkOf(task)];
  return out;
}

function networkOf(task: MetadataTask): Record<string, unknown> {
  const n: Record<string, unknown> = { NetworkMode: task.networkMode, IPv4Addresses: task.ipv4Address ? [task.ipv4Address] : [] };
  if (task.networkMode === 'awsvpc') {
    n.AttachmentIndex = 0;
    put(n, 'MACAddress', task.macAddress);
    put(n, 'IPv4SubnetCIDRBlock', task.subnetCidr);
    put(n, 'SubnetGatewayIpv4Address', task.gatewayIpv4Address);
  }
  return n;
}

/** The task metadata response (`${ECS_CONTAINER_METADATA_URI_V4}/task`), AWS's field names. */
export function taskMetadata(task: MetadataTask): Record<string, unknown> {
  const out: Record<string, unknown> = { Cluster: task.clusterArn };
  put(out, 'ServiceName', task.serviceName);
  Object.assign(out, {
    TaskARN: task.taskArn,
    Family: task.family,
    Revision: String(task.revision),
    DesiredStatus: task.desiredStatus,
    KnownStatus: task.knownStatus,
  });
  if (task.cpuUnits !== undefined || task.memoryMiB !== undefined) {
    out.Limits = { ...(task.cpuUnits !== undefined ? { CPU: task.cpuUnits / 1024 } : {}), ...(task.memoryMiB !== undefined ? { Memory: task.memoryMiB } : {}) };
  }
  put(out, 'PullStartedAt', iso(task.pullStartedAt));
  put(out, 'PullStoppedAt', iso(task.pullStoppedAt));
  put(out, 'ExecutionStoppedAt', iso(task.executionStoppedAt));
  out.AvailabilityZone = task.availabilityZone;
  out.LaunchType = task.launchType;
  out.Containers = task.containers.map((c) => containerMetadata(task, c));
  return out;
}
