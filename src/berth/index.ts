/**
 * Assembles a running Berth: state store, identity, services, the API endpoint, and the
 * manager that owns them. Used by `berth up` and by the end-to-end tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDriverSet, MetadataServer, metadataPort, StatsSampler, TaskAgent } from '../agent/index.js';
import { ApiServer } from '../api/index.js';
import { compileBerthOptions, type BerthOptions, type ResolvedBerthOptions } from '../config/index.js';
import { ensureAccountId, ensureRootCredentials, type Credentials } from '../identity/index.js';
import { codeDeployTaskSets, createEcsService, StoppedTaskSweeper } from '../services/ecs/index.js';
import { createElbv2, elbv2Snapshot } from '../services/elbv2/index.js';
import { createCodeDeployService } from '../services/codedeploy/index.js';
import { AlarmStore, createAlarmEngine, createCloudWatchService, createMetricStore, createMetricSweeper } from '../services/cloudwatch/index.js';
import { cloudWatchAlarmsDoor, createApplicationAutoScaling } from '../services/application-autoscaling/index.js';
import { MetricProducers } from '../services/cloudwatch/producers.js';
import { DeploymentEngine } from '../services/codedeploy/engine.js';
import { TagStore } from '../tagging/index.js';
import { createLambda } from '../services/lambda/index.js';
import { createLoadBalancerEngine } from '../lb/index.js';
import { createLogsService, createLogWriter, createRetentionSweeper } from '../services/logs/index.js';
import { createSecretResolver, createSecretsManagerService } from '../services/secretsmanager/index.js';
import { createParameterResolver, createSsmService } from '../services/ssm/index.js';
import { LoadBalancerTargets, ServiceScheduler, deploymentAlarmBakeMs } from '../scheduler/index.js';
import { lockDataDir, Store } from '../state/index.js';
import { Manager } from './manager.js';

export { Manager, type Runnable } from './manager.js';

/** A Berth that is up and serving. */
export interface RunningBerth {
  /** `http://HOST:PORT` of the API endpoint. */
  endpoint: string;
  region: string;
  accountId: string;
  /** The root key pair that signs requests. */
  credentials: Credentials;
  /** True when this start made the stored key pair. */
  createdCredentials: boolean;
  options: ResolvedBerthOptions;
  /** Stops serving (in-flight calls finish) and closes the store. */
  stop(): Promise<void>;
  /** Settles when Berth has stopped (by {@link stop} or a failure). */
  done: Promise<void>;
}

/** The task metadata endpoint's token key, made once and kept in the store's meta table. */
function metadataKey(store: Store): Buffer {
  let hex = store.getMeta('agent.metadataTokenKey');
  if (!hex) {
    hex = randomBytes(32).toString('hex');
    store.setMeta('agent.metadataTokenKey', hex);
  }
  return Buffer.from(hex, 'hex');
}

/** Starts Berth and resolves once the endpoint answers. */
export async function startBerth(options: BerthOptions = {}, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<RunningBerth> {
  const opts = compileBerthOptions(options);
  // One Berth per data dir: a second one would run every task twice.
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(opts.dataDir);
  let store: Store;
  try {
    store = Store.open(opts.dataDir, { synchronous: opts.synchronous });
  } catch (err) {
    await lock.release();
    throw err;
  }
  try {
    const accountId = ensureAccountId(store);
    const stored = opts.rootCredentials ? { credentials: opts.rootCredentials, created: false } : ensureRootCredentials(opts.dataDir);
    const { credentials } = stored;
    const scope = { accountId, region: opts.region };
    // BERTH_AGENT=off serves the control plane only: tasks stay PROVISIONING until stopped.
    const agentOn = process.env.BERTH_AGENT !== 'off';
    const secretOpts = { store, scope, dataDir: opts.dataDir };
    const logWriter = createLogWriter(store);
    // CloudWatch metrics: one store for the API, Berth's own producers and the roll-up/retention sweeper.
    const metrics = createMetricStore(store);
    let metadata: MetadataServer | undefined;
    const drivers = agentOn ? await createDriverSet({ dataDir: opts.dataDir }) : undefined;
    // The Application Load Balancer: ELBv2 programs the data plane (lb/); BERTH_ELB_HOSTS_FILE names a hosts file to keep DNSNames in.
    const lbEngine = createLoadBalancerEngine({ workers: opts.lbWorkers });
    const elbv2 = createElbv2({ store, scope, engine: lbEngine, hostsFile: process.env.BERTH_ELB_HOSTS_FILE || undefined, log });
    // Lambda functions run as child processes; they reach Berth at its endpoint, known once the API listens.
    let apiEndpoint: string | undefined;
    // AWS/ECS and AWS/ApplicationELB metrics Berth publishes itself, also served at GET /metrics.
    // At --time-scale N a metric minute is 60 / N real seconds (config/time-scale.ts), as are alarm periods and scaling cooldowns.
    const producers = new MetricProducers({ store, metrics, engine: lbEngine, loadBalancers: () => elbv2Snapshot(store), timeScale: opts.timeScale, log });
    const lambda = createLambda({ store, scope, dataDir: opts.dataDir, logWriter, credentials, endpoint: () => apiEndpoint, log });
    // Services' tasks as targets of their target groups: registration, drain before stop, target health (scheduler/load-balancers.ts).
    const lbTargets = agentOn ? new LoadBalancerTargets({ store, registry: elbv2.ecsTargets, log }) : undefined;
    const agent = drivers
      ? new TaskAgent({
          store,
          scope,
          drivers,
          secrets: { secrets: createSecretResolver(secretOpts), parameters: createParameterResolver(secretOpts) },
          logWriter,
          metadata: { containerUri: (t, c) => metadata!.containerUri(t, c), forgetTask: (t) => metadata!.forgetTask(t), ready: () => metadata!.ready() },
          log,
          onTaskStatusChange: (t) => {
            scheduler?.wake(t);
            lbTargets?.wake();
            deployments.wake();
          },
          drained: lbTargets && ((t) => lbTargets.drained(t)),
        })
      : undefined;
    // CloudWatch alarms as deployments (CodeDeploy's and ECS's rolling ones) watch them, from CloudWatch's table.
    const alarmStates = (names: string[]) => {
      const alarms = new AlarmStore(store);
      return Object.fromEntries(
        names.map((n) => {
          const a = alarms.get(n);
          return [n, a ? { state: a.state, transitionedAt: a.stateTransitioned, bakeMs: deploymentAlarmBakeMs(a.config, opts.timeScale ?? 1) } : null];
        }),
      );
    };
    // The service scheduler places and stops services' tasks; with the agent off nothing would run them.
    const scheduler = agent ? new ServiceScheduler({ store, scope, onTaskChange: () => agent.wake(), log, loadBalancers: lbTargets, alarmStates }) : undefined;
    // CodeDeploy blue/green deployments: the engine drives ECS task sets, listener weights and Lambda hooks.
    const onServiceChange = (s: { clusterArn: string; serviceName: string }) => scheduler?.wake(s);
    const ecsTaskSets = codeDeployTaskSets({ store, tags: new TagStore(store), scope, now: () => new Date(), onTaskChange: () => agent?.wake(), onServiceChange, targetGroups: (arn) => elbv2.ecsTargets.targetGroup(arn) });
    // Hook functions reach Berth at its endpoint: the engine starts once it is known.
    let endpointKnown: () => void = () => {};
    const ready = new Promise<void>((resolve) => (endpointKnown = resolve));
    const deployments = new DeploymentEngine({
      store,
      ready,
      timeScale: opts.timeScale,
      log,
      doors: {
        taskSets: ecsTaskSets,
        stoppedTasks: (clusterArn, serviceName, taskSetId) => ecsTaskSets.stoppedTasks(clusterArn, serviceName, taskSetId),
        setForwardWeights: (listenerArn, weights) => elbv2.listenerWeights.setForwardWeights(listenerArn, weights),
        invoke: (functionName, event, type) => lambda.invoke(functionName, event, type),
        // A deployment group's alarms, read from CloudWatch's table (migrated by the time a pass runs).
        alarmStates,
      },
    });
    // Application Auto Scaling: scaling policies run when their CloudWatch alarms fire (the hook) and change services' desiredCount.
    const autoScaling = createApplicationAutoScaling({ store, scope, onServiceChange, metrics, timeScale: opts.timeScale, log });
    const cloudwatch = createCloudWatchService({ store, metrics, onAlarmAction: autoScaling.onAlarmAction });
    autoScaling.bindAlarms(cloudWatchAlarmsDoor(cloudwatch, scope));
    // The task metadata endpoint v4; its token key and port are kept in the store so URLs survive a restart.
    if (agent) metadata = new MetadataServer({ source: agent, tokenKey: metadataKey(store), port: await metadataPort(store, '127.0.0.1', log) });
    const api = new ApiServer({
      host: opts.host,
      port: opts.port,
      region: opts.region,
      accountId,
      store,
      services: [createEcsService({ store, scope, onTaskChange: () => { agent?.wake(); scheduler?.wake(); }, onServiceChange, targetGroups: (arn) => elbv2.ecsTargets.targetGroup(arn) }), createLogsService({ store, scope }), createSecretsManagerService({ store, scope, dataDir: opts.dataDir }), createSsmService({ store, scope, dataDir: opts.dataDir }), elbv2.service, createCodeDeployService({ store, scope, onDeploymentChange: () => deployments.wake() }), lambda.service, cloudwatch, autoScaling.service],
      secrets: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined),
      log,
      metricsText: () => producers.prometheus(),
    });
    const manager = new Manager();
    manager.add('api', api);
    manager.add('elbv2', elbv2.runnable);
    manager.add('lambda', lambda.runnable);
    manager.add('logs-retention', createRetentionSweeper(store));
    manager.add('cloudwatch-metrics', createMetricSweeper(metrics));
    // Alarms are evaluated once a minute (10 s for 10/30 s periods), scaled by --time-scale; BERTH_ALARM_EVALUATION_SECONDS overrides.
    manager.add('cloudwatch-alarms', createAlarmEngine(store, metrics, { log, timeScale: opts.timeScale, onAlarmAction: autoScaling.onAlarmAction }));
    manager.add('cloudwatch-producers', producers);
    manager.add('application-autoscaling-schedules', autoScaling.schedules);
    manager.add('application-autoscaling-alarms', autoScaling.repeater);
    // STOPPED tasks leave after an hour (BERTH_STOPPED_TASK_RETENTION_SECONDS), at most 100 per service.
    manager.add('stopped-task-retention', new StoppedTaskSweeper(store, { log }));
    manager.add('task-log-writer', logWriter);
    if (metadata) manager.add('task-metadata', metadata);
    if (agent) manager.add('task-agent', agent);
    if (scheduler) manager.add('service-scheduler', scheduler);
    if (lbTargets) manager.add('lb-targets', lbTargets);
    manager.add('codedeploy-deployments', deployments);
    if (drivers) manager.add('task-stats', new StatsSampler({ store, drivers, log }, { metricsIntervalSeconds: producers.intervalSeconds }));
    const abort = new AbortController();
    const done = manager.start(abort.signal).finally(async () => {
      store.close();
      await lock.release();
    });
    await Promise.race([api.listening(), done]);
    const { port } = api.address();
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
    const endpoint = `http://${host}:${port}`;
    apiEndpoint = endpoint;
    endpointKnown();
    writeFileSync(path.join(opts.dataDir, 'endpoint.json'), JSON.stringify({ endpoint, region: opts.region, pid: process.pid }) + '\n', { mode: 0o600 });
    return {
      endpoint,
      region: opts.region,
      accountId,
      credentials,
      createdCredentials: stored.created,
      options: opts,
      done,
      async stop() {
        abort.abort();
        await done;
      },
    };
  } catch (err) {
    store.close();
    await lock.release();
    throw err;
  }
}
