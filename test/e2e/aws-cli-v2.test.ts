import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { tutorialTaskDefinition } from '../fixtures/task-definitions.js';

const run = promisify(execFile);
const skip = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;

/** The task definition from the ECS tutorial the issue names (placeholders filled). */
const TUTORIAL_TASK_DEFINITION = tutorialTaskDefinition('api');

/** Asserts every member of `expected` is in `actual` with the same value (objects may carry more members). */
function assertIncludes(actual: unknown, expected: unknown, at = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${at} is a list`);
    assert.equal(actual.length, expected.length, `${at} has ${expected.length} items`);
    expected.forEach((e, i) => assertIncludes(actual[i], e, `${at}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${at} is an object`);
    for (const [k, v] of Object.entries(expected)) assertIncludes((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
  } else {
    assert.equal(actual, expected, at);
  }
}

describe('the AWS CLI v2 against Berth', () => {
  let berth: TestBerth;
  let dir: string;
  before(async () => {
    berth = await startBerthProcess();
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
  });
  after(async () => {
    await berth.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `aws ecs ...` against Berth and parses its JSON output. */
  async function aws(...args: string[]): Promise<any> {
    const { stdout } = await run(AWS_CLI_V2, ['ecs', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], {
      env: berth.awsEnv(),
      timeout: 60_000,
    });
    return JSON.parse(stdout);
  }

  it('creates a cluster, registers the tutorial task definition and reads it back identically', { skip }, async () => {
    const cluster = await aws('create-cluster', '--cluster-name', 'demo');
    assert.equal(cluster.cluster.clusterName, 'demo');
    assert.equal(cluster.cluster.status, 'ACTIVE');

    const file = path.join(dir, 'taskdefinition.json');
    writeFileSync(file, JSON.stringify(TUTORIAL_TASK_DEFINITION));
    const registered = await aws('register-task-definition', '--cli-input-json', `file://${file}`);
    assert.equal(registered.taskDefinition.revision, 1);

    const described = await aws('describe-task-definition', '--task-definition', 'api');
    const td = described.taskDefinition;
    assertIncludes(td, TUTORIAL_TASK_DEFINITION);
    assert.deepEqual(td, registered.taskDefinition, 'describe returns what register returned');
    assert.match(td.taskDefinitionArn, new RegExp(`^arn:aws:ecs:${berth.region}:\\d{12}:task-definition/api:1$`));
    assert.equal(td.status, 'ACTIVE');
    assert.deepEqual(td.compatibilities, ['EC2', 'FARGATE']);
    assert.equal(td.containerDefinitions[0].cpu, 0);
    assert.deepEqual(td.volumes, []);
    assert.deepEqual(td.placementConstraints, []);
    const attributes = td.requiresAttributes.map((a: { name: string }) => a.name);
    for (const a of ['com.amazonaws.ecs.capability.logging-driver.awslogs', 'ecs.capability.execution-role-awslogs', 'ecs.capability.secrets.asm.environment-variables', 'ecs.capability.task-eni']) {
      assert.ok(attributes.includes(a), `requiresAttributes has ${a}`);
    }
    assert.ok(!Number.isNaN(Date.parse(td.registeredAt)), `registeredAt ${td.registeredAt} is a time`);

    const listed = await aws('list-task-definitions', '--family-prefix', 'api');
    assert.deepEqual(listed.taskDefinitionArns, [td.taskDefinitionArn]);
  });

  it('reports a refused registration with the AWS error code and a non-zero exit', { skip }, async () => {
    const file = path.join(dir, 'too-small.json');
    writeFileSync(file, JSON.stringify({ ...TUTORIAL_TASK_DEFINITION, family: 'small', memory: '512' }));
    await assert.rejects(aws('register-task-definition', '--cli-input-json', `file://${file}`), (e: any) => {
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, /ClientException/);
      assert.match(e.stderr, /No Fargate configuration exists for given values: 512 CPU, 512 memory/);
      return true;
    });
  });
});
