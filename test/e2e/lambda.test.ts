/**
 * Lambda end to end: a real `berth up`, driven with @aws-sdk/client-lambda and the AWS CLI v2.
 * Functions really run: one calls Berth back through the AWS SDK v3 with the credentials and
 * AWS_ENDPOINT_URL it is given, as a CodeDeploy hook would; functions survive kill -9.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';
import { zipOf } from '../../src/services/lambda/test-support.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;
const ROLE = 'arn:aws:iam::123456789012:role/hook';
const text = (b?: Uint8Array) => Buffer.from(b ?? []).toString('utf8');

/** A hook that lists ECS clusters through the AWS SDK v3, configured only by its environment. */
const SDK_HOOK = `import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
export const handler = async (event) => {
  const out = await new ECSClient({}).send(new ListClustersCommand({}));
  console.log('clusters', out.clusterArns.length);
  return { clusters: out.clusterArns, deployment: event.DeploymentId };
};
`;

describe('Lambda through @aws-sdk/client-lambda and the AWS CLI v2', () => {
  let berth: TestBerth;
  let lambda: LambdaClient;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-lambda-e2e-'));
  const client = () => new LambdaClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  before(async () => {
    berth = await startBerthProcess({ dataDir, env: { BERTH_AGENT: 'off' } });
    lambda = client();
  });
  after(async () => {
    lambda?.destroy();
    await berth?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a function calls Berth back through the AWS SDK v3 with the endpoint and credentials it is given', async () => {
    const cluster = (await berth.ecs().send(new CreateClusterCommand({ clusterName: 'hooks-test' }))).cluster!.clusterArn!;
    const created = await lambda.send(new CreateFunctionCommand({ FunctionName: 'sdk-hook', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf({ 'index.mjs': SDK_HOOK }) }, Timeout: 30, MemorySize: 256 }));
    assert.equal(created.State, 'Active');
    assert.equal(created.LastUpdateStatus, 'Successful');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hook', Payload: Buffer.from(JSON.stringify({ DeploymentId: 'd-ABC' })), LogType: 'Tail' }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined, text(out.Payload));
    assert.deepEqual(JSON.parse(text(out.Payload)), { clusters: [cluster], deployment: 'd-ABC' });
    assert.equal(out.ExecutedVersion, '$LATEST');
    const tail = Buffer.from(out.LogResult!, 'base64').toString();
    assert.match(tail, /\tINFO\tclusters 1\n/);
    assert.match(tail, /REPORT RequestId: /);
  });

  it('a thrown error is FunctionError Unhandled; Event answers 202; output reaches CloudWatch Logs', async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'thrower', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf({ 'index.js': 'exports.handler = async (e) => { console.log("run", e.n); if (e.fail) throw new Error("hook failed"); return "fine"; };\n' }) } }));
    const bad = await lambda.send(new InvokeCommand({ FunctionName: 'thrower', Payload: Buffer.from('{"fail":true}') }));
    assert.equal(bad.StatusCode, 200);
    assert.equal(bad.FunctionError, 'Unhandled');
    assert.deepEqual([JSON.parse(text(bad.Payload)).errorType, JSON.parse(text(bad.Payload)).errorMessage], ['Error', 'hook failed']);
    const ev = await lambda.send(new InvokeCommand({ FunctionName: 'thrower', InvocationType: 'Event', Payload: Buffer.from('{"n":"async-run"}') }));
    assert.equal(ev.StatusCode, 202);
    const logs = new CloudWatchLogsClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    try {
      const end = Date.now() + 60_000;
      let messages: string[] = [];
      while (!messages.some((m) => m.endsWith('\tINFO\trun async-run'))) {
        assert.ok(Date.now() < end, `the Event invocation's output never reached /aws/lambda/thrower: ${messages.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 200));
        // The group appears with the first flushed output; until then DescribeLogStreams is ResourceNotFoundException.
        const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/thrower' })).catch(() => ({ logStreams: [] }))).logStreams ?? [];
        messages = [];
        for (const s of streams) messages.push(...((await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/thrower', logStreamName: s.logStreamName!, startFromHead: true }))).events ?? []).map((e) => e.message!));
      }
      assert.ok(messages.some((m) => /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/.test(m)));
    } finally {
      logs.destroy();
    }
  });

  it('answers bad input with Lambda errors over the wire', async () => {
    await rejectsWith(() => lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', /Function not found: arn:aws:lambda:us-east-1:\d{12}:function:nope/);
    await rejectsWith(() => lambda.send(new InvokeCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException');
    await rejectsWith(
      () => lambda.send(new CreateFunctionCommand({ FunctionName: 'thrower', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf({ 'index.js': '' }) } })),
      'ResourceConflictException',
      /Function already exist: thrower/,
    );
    await rejectsWith(() => lambda.send(new CreateFunctionCommand({ FunctionName: 'badzip', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: Buffer.from('nope') } })), 'InvalidParameterValueException', /Could not unzip/);
    await rejectsWith(() => lambda.send(new CreateFunctionCommand({ FunctionName: 'badrt', Runtime: 'nodejs12.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf({ 'index.js': '' }) } })), 'InvalidParameterValueException', /no longer supported/);
    await rejectsWith(() => lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'thrower', Timeout: 901 })), 'ValidationException', /900/);
    await rejectsWith(() => lambda.send(new InvokeCommand({ FunctionName: 'thrower', Payload: Buffer.from('{oops') })), 'InvalidRequestContentException');
  });

  it('lists with paging, updates code, deletes', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) {
      await lambda.send(new CreateFunctionCommand({ FunctionName: n, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf({ 'index.js': `exports.handler = async () => "${n}";\n` }) } }));
    }
    const names: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker }));
      assert.ok(page.Functions!.length <= 2);
      names.push(...page.Functions!.map((f) => f.FunctionName!));
      Marker = page.NextMarker;
    } while (Marker);
    assert.deepEqual(names.filter((n) => n.startsWith('page-')), ['page-a', 'page-b', 'page-c']);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'page-a', ZipFile: zipOf({ 'index.js': 'exports.handler = async () => "v2";\n' }) }));
    assert.equal(text((await lambda.send(new InvokeCommand({ FunctionName: 'page-a' }))).Payload), '"v2"');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'page-c' }));
    await rejectsWith(() => lambda.send(new GetFunctionCommand({ FunctionName: 'page-c' })), 'ResourceNotFoundException');
  });

  it('the AWS CLI v2 creates and invokes a function (raw-in-base64-out payload)', { skip: skipCli }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lambda-cli-'));
    try {
      writeFileSync(path.join(dir, 'fn.zip'), zipOf({ 'lambda_function.js': 'exports.handler = async (e) => ({ hello: e.name });\n' }));
      const env = berth.awsEnv();
      // This CLI (2.9) predates AWS_ENDPOINT_URL; the endpoint goes on the command line.
      const cli = (...args: string[]) => run(AWS_CLI_V2, ['--endpoint-url', berth.endpoint, ...args], { env });
      const created = JSON.parse((await cli('lambda', 'create-function', '--function-name', 'cli-fn', '--runtime', 'nodejs20.x', '--handler', 'lambda_function.handler', '--role', ROLE, '--zip-file', `fileb://${path.join(dir, 'fn.zip')}`)).stdout);
      assert.equal(created.FunctionName, 'cli-fn');
      const out = JSON.parse((await cli('lambda', 'invoke', '--function-name', 'cli-fn', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"name":"berth"}', path.join(dir, 'out.json'))).stdout);
      assert.equal(out.StatusCode, 200);
      assert.equal(out.ExecutedVersion, '$LATEST');
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')), { hello: 'berth' });
      const missing = await cli('lambda', 'get-function', '--function-name', 'no-such-fn').then(() => undefined, (e) => e);
      assert.ok(missing, 'get-function of a missing function should fail');
      assert.match(missing.stderr, /ResourceNotFoundException/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('functions and their code survive kill -9 and restart', async () => {
    await berth.kill9();
    lambda.destroy();
    berth = await startBerthProcess({ dataDir, env: { BERTH_AGENT: 'off' } });
    lambda = client();
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-hook' }));
    assert.equal(got.Configuration!.Timeout, 30);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hook', Payload: Buffer.from('{"DeploymentId":"d-2"}') }));
    assert.equal(out.FunctionError, undefined, text(out.Payload));
    assert.equal(JSON.parse(text(out.Payload)).deployment, 'd-2');
    assert.equal(text((await lambda.send(new InvokeCommand({ FunctionName: 'page-a' }))).Payload), '"v2"');
  });
});
