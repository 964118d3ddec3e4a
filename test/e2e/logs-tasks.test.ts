/**
 * `berth logs <cluster> <task|service>`: a real task's awslogs containers, found through
 * DescribeTasks and DescribeTaskDefinition, printed with their container names, and followed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { BERTH_BIN, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const run = promisify(execFile);
/** Prints `NAME first`, then `NAME after` once the file $GO exists, then idles. */
const PRINTER = `const fs = require('fs'); console.log(process.env.NAME + ' first'); const t = setInterval(() => { if (fs.existsSync(process.env.GO)) { console.log(process.env.NAME + ' after'); clearInterval(t); setInterval(() => {}, 1000); } }, 50);`;

describe('berth logs <cluster> <task|service>', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let shared: string;
  let env: NodeJS.ProcessEnv;
  const cluster = 'logs-cli';
  const cli = (...args: string[]) => [BERTH_BIN, 'logs', ...args, '--data-dir', berth.dataDir];

  before(async () => {
    shared = mkdtempSync(path.join(os.tmpdir(), 'berth-logs-cli-'));
    berth = await startBerthProcess();
    ecs = berth.ecs();
    env = { ...process.env, BERTH_ACCESS_KEY_ID: berth.credentials.accessKeyId, BERTH_SECRET_ACCESS_KEY: berth.credentials.secretAccessKey };
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    await stopEveryTask(ecs, cluster);
    await berth.cleanup();
    rmSync(shared, { recursive: true, force: true });
  });

  it("prints a task's containers by name, interleaved by time, and follows a line printed later", async () => {
    const go = path.join(shared, 'go');
    const logging = (prefix: string) => ({ logDriver: 'awslogs' as const, options: { 'awslogs-group': '/berth/cli', 'awslogs-region': berth.region, 'awslogs-stream-prefix': prefix, 'awslogs-create-group': 'true' } });
    const printer = (name: string, prefix: string) => ({
      name,
      image: 'host',
      memory: 128,
      command: [process.execPath, '-e', PRINTER],
      environment: [{ name: 'NAME', value: name }, { name: 'GO', value: go }],
      logConfiguration: logging(prefix),
      stopTimeout: 2,
    });
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'printer', containerDefinitions: [printer('alpha', 'p'), printer('beta', 'q'), { name: 'quiet', image: 'host', memory: 64, command: ['sleep', '600'], essential: false }] }));
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'printer' }))).tasks![0].taskArn!;
    const taskId = arn.split('/').pop()!;
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'RUNNING');

    let printed = '';
    let stderr = '';
    for (let i = 0; i < 100 && !(printed.includes('alpha first') && printed.includes('beta first')); i++) {
      ({ stdout: printed, stderr } = await run(process.execPath, cli(cluster, taskId), { env }));
      if (!(printed.includes('alpha first') && printed.includes('beta first'))) await sleep(100);
    }
    const lines = printed.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ').slice(1).join(' ')).sort(), ['alpha alpha first', 'beta beta first']);
    const times = lines.map((l) => Date.parse(l.split(' ')[0]));
    assert.deepEqual([...times].sort((a, b) => a - b), times, 'interleaved oldest first');
    assert.match(stderr, /container quiet of task .* does not use the awslogs log driver/);
    // The task's ARN names it as well as its id.
    assert.equal((await run(process.execPath, cli(cluster, arn), { env })).stdout.trim().split('\n').length, 2);

    const child = spawn(process.execPath, cli(cluster, taskId, '--follow'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const waitFor = async (text: string) => {
        for (let i = 0; i < 600 && !out.includes(text); i++) await sleep(50);
        assert.ok(out.includes(text), `berth logs --follow printed '${text}':\n${out}`);
      };
      await waitFor('beta first');
      await waitFor('alpha first');
      writeFileSync(go, '');
      await waitFor('alpha after');
      await waitFor('beta after');
      assert.equal(out.split('alpha first').length, 2, 'no line is printed twice');
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });

  it('answers a task that is not in the cluster, and an unknown service, with exit 1', async () => {
    const fail = (args: string[]) => run(process.execPath, cli(...args), { env }).then(
      () => assert.fail('berth logs should have failed'),
      (e) => e as { code: number; stderr: string },
    );
    const missing = await fail([cluster, '0123456789abcdef0123456789abcdef']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /task 0123456789abcdef0123456789abcdef is not in cluster logs-cli/);
    const service = await fail([cluster, 'no-such-service']);
    assert.equal(service.code, 1, service.stderr);
    assert.match(service.stderr, /no-such-service|not found/i);
  });
});
