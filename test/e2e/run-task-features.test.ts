/**
 * Tasks that really run, on the process driver: `awslogs` output read back with GetLogEvents,
 * container `secrets` injected (and never shown), a missing secret, and container health checks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateClusterCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const SECRET = 'never-shown-4f1c9a';

describe('tasks that really run: logs, secrets, health (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;
  let sm: SecretsManagerClient;
  const cluster = 'features';

  const register = async (family: string, containerDefinitions: any[]) =>
    (await ecs.send(new RegisterTaskDefinitionCommand({ family, networkMode: 'bridge', executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole', containerDefinitions: containerDefinitions.map((c) => ({ memory: 128, image: 'host', ...c })) }))).taskDefinition!
      .taskDefinitionArn!;
  const runTask = async (taskDefinition: string) => (await ecs.send(new RunTaskCommand({ cluster, taskDefinition }))).tasks![0].taskArn!;

  before(async () => {
    berth = await startBerthProcess();
    ecs = berth.ecs();
    const client = { endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 };
    logs = new CloudWatchLogsClient(client);
    sm = new SecretsManagerClient(client);
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    if (berth.process.exitCode === null) await stopEveryTask(ecs, cluster);
    logs.destroy();
    sm.destroy();
    await berth.cleanup();
  });

  it('injects a secret, ships output to CloudWatch Logs, and never shows the value', async () => {
    const secretArn = (await sm.send(new CreateSecretCommand({ Name: 'db-password', SecretString: SECRET }))).ARN!;
    await register('logged', [
      {
        name: 'main',
        command: ['sh', '-c', `echo hello logs; [ "$DB_PASSWORD" = '${SECRET}' ] && echo secret-ok; exec sleep 600`],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: secretArn }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/berth/features', 'awslogs-region': berth.region, 'awslogs-stream-prefix': 'app', 'awslogs-create-group': 'true' } },
        stopTimeout: 2,
      },
    ]);
    const arn = await runTask('logged');
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'RUNNING');
    const stream = `app/main/${arn.split('/').pop()}`;
    let messages: string[] = [];
    for (let i = 0; i < 100 && !messages.includes('secret-ok'); i++) {
      messages = ((await logs.send(new GetLogEventsCommand({ logGroupName: '/berth/features', logStreamName: stream, startFromHead: true })).catch(() => ({ events: [] }))).events ?? []).map(
        (e) => e.message!,
      );
      if (!messages.includes('secret-ok')) await sleep(100);
    }
    assert.deepEqual(messages, ['hello logs', 'secret-ok']);
    const described = JSON.stringify(await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] })));
    assert.ok(!described.includes(SECRET), 'DescribeTasks never shows a secret value');
    await ecs.send(new StopTaskCommand({ cluster, task: arn }));
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'STOPPED');
    assert.ok(!berth.output().includes(SECRET), "Berth's own output never shows a secret value");
  });

  it('gives containers the task metadata endpoint v4', async () => {
    const script = `fetch(process.env.ECS_CONTAINER_METADATA_URI_V4 + '/task').then((r) => r.json()).then((j) => { console.log('task ' + j.TaskARN + ' ' + j.Containers.map((c) => c.Name).join(',')); setInterval(() => {}, 1000); })`;
    await register('meta', [
      {
        name: 'main',
        command: [process.execPath, '-e', script],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/berth/features', 'awslogs-region': berth.region, 'awslogs-stream-prefix': 'meta', 'awslogs-create-group': 'true' } },
        stopTimeout: 2,
      },
    ]);
    const arn = await runTask('meta');
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'RUNNING');
    let messages: string[] = [];
    for (let i = 0; i < 100 && messages.length === 0; i++) {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: '/berth/features', logStreamName: `meta/main/${arn.split('/').pop()}`, startFromHead: true })).catch(() => ({ events: [] }));
      messages = (out.events ?? []).map((e) => e.message!);
      if (messages.length === 0) await sleep(100);
    }
    assert.deepEqual(messages, [`task ${arn} main`]);
  });

  it('fails a task whose secret does not exist with ResourceInitializationError', async () => {
    const accountId = (await sm.send(new CreateSecretCommand({ Name: 'probe', SecretString: 'x' }))).ARN!.split(':')[4];
    await register('nosecret', [{ name: 'main', command: ['sleep', '600'], secrets: [{ name: 'X', valueFrom: `arn:aws:secretsmanager:${berth.region}:${accountId}:secret:absent-AbCdEf` }] }]);
    const t = await waitForTask(ecs, cluster, await runTask('nosecret'), (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.match(t.stoppedReason!, /^ResourceInitializationError: /);
    assert.match(t.stoppedReason!, /absent/);
  });

  it('reports container and task health from health checks', async () => {
    const hc = (cmd: string) => ({ command: ['CMD-SHELL', cmd], interval: 5, timeout: 2, retries: 1 });
    await register('healthy', [{ name: 'main', command: ['sleep', '600'], healthCheck: hc('exit 0'), stopTimeout: 2 }]);
    await register('sick', [{ name: 'main', command: ['sleep', '600'], healthCheck: hc('exit 1'), stopTimeout: 2 }]);
    const good = await runTask('healthy');
    const bad = await runTask('sick');
    const g = await waitForTask(ecs, cluster, good, (t) => t.healthStatus !== 'UNKNOWN');
    assert.equal(g.healthStatus, 'HEALTHY');
    assert.equal(g.containers![0].healthStatus, 'HEALTHY');
    const b = await waitForTask(ecs, cluster, bad, (t) => t.healthStatus !== 'UNKNOWN');
    assert.equal(b.healthStatus, 'UNHEALTHY');
    assert.equal(b.containers![0].healthStatus, 'UNHEALTHY');
    assert.equal(b.lastStatus, 'RUNNING', 'an unhealthy standalone task keeps running, as on ECS');
  });
});
