/** ECS clusters: CreateCluster, DescribeClusters, ListClusters, UpdateCluster(Settings), DeleteCluster. */
import { paginate } from '../../pagination/index.js';
import { clusterArn, clusterNameOf } from './arns.js';
import type { EcsDeps } from './deps.js';
import { clientException, clusterNotFound, ecsError, invalidParameter } from './errors.js';
import { checkTags, tagsToWire, type WireTag } from './tags.js';

/** A cluster as Berth keeps it. */
export interface ClusterRecord {
  arn: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  createdAt: string;
  settings: { name: string; value: string }[];
  configuration?: Record<string, unknown>;
  capacityProviders: string[];
  defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[];
  serviceConnectDefaults?: { namespace: string };
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const INSIGHTS_VALUES = ['enabled', 'disabled', 'enhanced'];
/** The capacity providers every cluster may use without creating them. */
export const BUILTIN_CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];

/**
 * The cluster tag that picks the runtime driver of the cluster's tasks (see src/agent/README.md):
 * `auto` (the default when the tag is absent), `process` or `oci`.
 */
export const DRIVER_TAG = 'berth:driver';
/** The values {@link DRIVER_TAG} takes. */
export const DRIVER_CHOICES = ['auto', 'process', 'oci'] as const;
/** A value of {@link DRIVER_TAG}. */
export type DriverChoice = (typeof DRIVER_CHOICES)[number];

/** Rejects a {@link DRIVER_TAG} tag whose value is not one of {@link DRIVER_CHOICES}. */
export function checkDriverTag(tags: readonly { key: string; value: string }[]): void {
  const t = tags.find((x) => x.key === DRIVER_TAG);
  if (t && !(DRIVER_CHOICES as readonly string[]).includes(t.value)) {
    throw invalidParameter(`The tag ${DRIVER_TAG} picks the driver of the cluster's tasks and must be one of ${DRIVER_CHOICES.join(', ')}; got '${t.value}'.`);
  }
}

/** Reads a cluster by name or ARN, ACTIVE or INACTIVE; undefined when Berth never had it. */
export function findCluster(deps: EcsDeps, ref: string | undefined): ClusterRecord | undefined {
  const arn = clusterArn(deps.scope, clusterNameOf(ref));
  const doc = deps.store.prepare('SELECT doc FROM ecs_clusters WHERE arn = ?').pluck().get(arn) as string | undefined;
  return doc === undefined ? undefined : (JSON.parse(doc) as ClusterRecord);
}

/** The ACTIVE cluster a reference names, or ClusterNotFoundException. */
export function requireActiveCluster(deps: EcsDeps, ref: string | undefined): ClusterRecord {
  const c = findCluster(deps, ref);
  if (!c || c.status !== 'ACTIVE') throw clusterNotFound();
  return c;
}

function save(deps: EcsDeps, c: ClusterRecord): void {
  deps.store
    .prepare(
      `INSERT INTO ecs_clusters (arn, name, status, created_at, doc) VALUES (@arn, @name, @status, @createdAt, @doc)
       ON CONFLICT(arn) DO UPDATE SET status = excluded.status, created_at = excluded.created_at, doc = excluded.doc`,
    )
    .run({ arn: c.arn, name: c.name, status: c.status, createdAt: c.createdAt, doc: JSON.stringify(c) });
}

function checkSettings(settings: { name: string; value?: string }[] | undefined): { name: string; value: string }[] | undefined {
  if (!settings) return undefined;
  return settings.map((s) => {
    if (s.value === undefined || !INSIGHTS_VALUES.includes(s.value)) {
      throw invalidParameter(`Invalid value '${s.value ?? ''}' for cluster setting ${s.name}. Valid values: ${INSIGHTS_VALUES.join(', ')}.`);
    }
    return { name: s.name, value: s.value };
  });
}

function mergeSettings(current: ClusterRecord['settings'], update: ClusterRecord['settings']): ClusterRecord['settings'] {
  const out = current.filter((s) => !update.some((u) => u.name === s.name));
  return [...out, ...update];
}

function checkCapacityProviders(providers: string[] | undefined, strategy: ClusterRecord['defaultCapacityProviderStrategy'] | undefined): void {
  for (const p of providers ?? []) {
    if (!BUILTIN_CAPACITY_PROVIDERS.includes(p)) {
      throw invalidParameter(`The specified capacity provider '${p}' does not exist. Berth offers ${BUILTIN_CAPACITY_PROVIDERS.join(' and ')}.`);
    }
  }
  for (const s of strategy ?? []) {
    if (!(providers ?? []).includes(s.capacityProvider)) {
      throw invalidParameter(`The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`);
    }
    if (s.base !== undefined && (s.base < 0 || s.base > 100000)) throw invalidParameter('Capacity provider strategy base must be between 0 and 100000.');
    if (s.weight !== undefined && (s.weight < 0 || s.weight > 1000)) throw invalidParameter('Capacity provider strategy weight must be between 0 and 1000.');
  }
  if ((strategy ?? []).filter((s) => (s.base ?? 0) > 0).length > 1) {
    throw invalidParameter('Only one capacity provider in a capacity provider strategy can have a base defined.');
  }
}

interface Counts {
  running: number;
  pending: number;
  activeServices: number;
  stats: { name: string; value: string }[];
}

function counts(deps: EcsDeps, arn: string): Counts {
  const tasks = deps.store
    .prepare(
      `SELECT CASE WHEN launch_type = 'FARGATE' THEN 'Fargate' ELSE 'EC2' END AS kind,
              SUM(last_status = 'RUNNING') AS running,
              SUM(last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING')) AS pending
         FROM ecs_tasks WHERE cluster_arn = ? AND last_status != 'STOPPED' GROUP BY kind`,
    )
    .all(arn) as { kind: string; running: number; pending: number }[];
  const services = deps.store
    .prepare(
      `SELECT CASE WHEN launch_type = 'FARGATE' THEN 'Fargate' ELSE 'EC2' END AS kind, status, count(*) AS n
         FROM ecs_services WHERE cluster_arn = ? AND status IN ('ACTIVE', 'DRAINING') GROUP BY kind, status`,
    )
    .all(arn) as { kind: string; status: string; n: number }[];
  const t = (kind: string, k: 'running' | 'pending') => tasks.find((r) => r.kind === kind)?.[k] ?? 0;
  const s = (kind: string, status: string) => services.find((r) => r.kind === kind && r.status === status)?.n ?? 0;
  return {
    running: t('EC2', 'running') + t('Fargate', 'running'),
    pending: t('EC2', 'pending') + t('Fargate', 'pending'),
    activeServices: s('EC2', 'ACTIVE') + s('Fargate', 'ACTIVE'),
    stats: [
      { name: 'runningEC2TasksCount', value: String(t('EC2', 'running')) },
      { name: 'runningFargateTasksCount', value: String(t('Fargate', 'running')) },
      { name: 'pendingEC2TasksCount', value: String(t('EC2', 'pending')) },
      { name: 'pendingFargateTasksCount', value: String(t('Fargate', 'pending')) },
      { name: 'activeEC2ServiceCount', value: String(s('EC2', 'ACTIVE')) },
      { name: 'activeFargateServiceCount', value: String(s('Fargate', 'ACTIVE')) },
      { name: 'drainingEC2ServiceCount', value: String(s('EC2', 'DRAINING')) },
      { name: 'drainingFargateServiceCount', value: String(s('Fargate', 'DRAINING')) },
    ],
  };
}

type Include = 'ATTACHMENTS' | 'CONFIGURATIONS' | 'SETTINGS' | 'STATISTICS' | 'TAGS';

/** The cluster in ECS's wire form; `include` adds what DescribeClusters' include asks for. */
function toWire(deps: EcsDeps, c: ClusterRecord, include: readonly Include[] | 'all'): Record<string, unknown> {
  const has = (i: Include) => include === 'all' || include.includes(i);
  const n = counts(deps, c.arn);
  const out: Record<string, unknown> = {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: n.running,
    pendingTasksCount: n.pending,
    activeServicesCount: n.activeServices,
    statistics: has('STATISTICS') ? n.stats : [],
    tags: has('TAGS') ? tagsToWire(deps.tags.list(c.arn)) : [],
    capacityProviders: c.capacityProviders,
    defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy,
  };
  if (has('SETTINGS')) out.settings = c.settings;
  if (has('CONFIGURATIONS') && c.configuration) out.configuration = c.configuration;
  if (has('ATTACHMENTS')) out.attachments = [];
  if (c.serviceConnectDefaults) out.serviceConnectDefaults = c.serviceConnectDefaults;
  return out;
}

/** Builds the cluster operations. */
export function clusterOperations(deps: EcsDeps) {
  return {
    CreateCluster(input: {
      clusterName?: string;
      tags?: WireTag[];
      settings?: { name: string; value?: string }[];
      configuration?: Record<string, unknown>;
      capacityProviders?: string[];
      defaultCapacityProviderStrategy?: ClusterRecord['defaultCapacityProviderStrategy'];
      serviceConnectDefaults?: { namespace: string };
    }) {
      const name = input.clusterName ?? 'default';
      if (!NAME.test(name)) {
        throw invalidParameter('Cluster name can contain only letters (uppercase and lowercase), numbers, underscores (_) and hyphens (-), and must be 1 to 255 characters long.');
      }
      const tags = checkTags(input.tags ?? []);
      checkDriverTag(tags);
      const settings = checkSettings(input.settings) ?? [{ name: 'containerInsights', value: 'disabled' }];
      checkCapacityProviders(input.capacityProviders, input.defaultCapacityProviderStrategy);
      const existing = findCluster(deps, name);
      if (existing?.status === 'ACTIVE') return { cluster: toWire(deps, existing, ['SETTINGS', 'TAGS', 'CONFIGURATIONS']) };
      const c: ClusterRecord = {
        arn: clusterArn(deps.scope, name),
        name,
        status: 'ACTIVE',
        createdAt: deps.now().toISOString(),
        settings,
        configuration: input.configuration,
        capacityProviders: input.capacityProviders ?? [],
        defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
        serviceConnectDefaults: input.serviceConnectDefaults,
      };
      save(deps, c);
      deps.tags.clear(c.arn);
      deps.tags.put(c.arn, tags);
      return { cluster: toWire(deps, c, ['SETTINGS', 'TAGS', 'CONFIGURATIONS']) };
    },

    DescribeClusters(input: { clusters?: string[]; include?: Include[] }) {
      const refs = input.clusters?.length ? input.clusters : ['default'];
      if (refs.length > 100) throw invalidParameter('Clusters cannot have more than 100 elements');
      const clusters: Record<string, unknown>[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of refs) {
        let c: ClusterRecord | undefined;
        try {
          c = findCluster(deps, ref);
        } catch {
          c = undefined;
        }
        if (c) clusters.push(toWire(deps, c, input.include ?? []));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : clusterArn(deps.scope, ref), reason: 'MISSING' });
      }
      return { clusters, failures };
    },

    ListClusters(input: { nextToken?: string; maxResults?: number }) {
      const arns = deps.store.prepare(`SELECT arn FROM ecs_clusters WHERE status = 'ACTIVE' ORDER BY name`).pluck().all() as string[];
      const page = paginate(arns, { ...input, defaultMax: 100, limit: 100, scope: 'ListClusters' }, invalidParameter);
      return { clusterArns: page.items, nextToken: page.nextToken };
    },

    UpdateCluster(input: {
      cluster: string;
      settings?: { name: string; value?: string }[];
      configuration?: Record<string, unknown>;
      serviceConnectDefaults?: { namespace: string };
    }) {
      const c = requireActiveCluster(deps, input.cluster);
      const settings = checkSettings(input.settings);
      if (settings) c.settings = mergeSettings(c.settings, settings);
      if (input.configuration) c.configuration = { ...(c.configuration ?? {}), ...input.configuration };
      if (input.serviceConnectDefaults) c.serviceConnectDefaults = input.serviceConnectDefaults;
      save(deps, c);
      return { cluster: toWire(deps, c, ['SETTINGS', 'CONFIGURATIONS']) };
    },

    UpdateClusterSettings(input: { cluster: string; settings: { name: string; value?: string }[] }) {
      const c = requireActiveCluster(deps, input.cluster);
      c.settings = mergeSettings(c.settings, checkSettings(input.settings)!);
      save(deps, c);
      return { cluster: toWire(deps, c, ['SETTINGS']) };
    },

    DeleteCluster(input: { cluster: string }) {
      const c = findCluster(deps, input.cluster);
      if (!c) throw clusterNotFound();
      if (c.status !== 'ACTIVE') throw clientException('The specified cluster is inactive. Specify an active cluster and try again.');
      const services = deps.store
        .prepare(`SELECT count(*) FROM ecs_services WHERE cluster_arn = ? AND status IN ('ACTIVE', 'DRAINING')`)
        .pluck()
        .get(c.arn) as number;
      if (services > 0) throw ecsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
      const tasks = deps.store
        .prepare(`SELECT count(*) FROM ecs_tasks WHERE cluster_arn = ? AND last_status != 'STOPPED'`)
        .pluck()
        .get(c.arn) as number;
      if (tasks > 0) throw ecsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
      c.status = 'INACTIVE';
      save(deps, c);
      const out = toWire(deps, c, ['SETTINGS', 'CONFIGURATIONS', 'TAGS']);
      deps.tags.clear(c.arn);
      return { cluster: out };
    },
  };
}
