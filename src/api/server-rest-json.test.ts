/**
 * The restJson1 protocol end to end through a real ApiServer on an ephemeral port: a test-only
 * service over the real Lambda model (handlers that store and echo their input) driven by the AWS
 * SDK v3 Lambda client, the AWS CLI v2 (when installed) and raw signed requests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListDurableExecutionsByFunctionCommand,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { ServiceError } from '../errors/index.js';
import { loadServiceModel } from '../model/index.js';
import type { Store } from '../state/index.js';
import { AWS_CLI_V2, TEST_CREDENTIALS, cliEnvironment } from '../../test/fixtures/berth.js';
import { send, signRequest, type RawRequest } from '../../test/fixtures/sign.js';
import { serveForTest, type TestApiServer } from './test-support.js';
import type { CallContext, ServiceDefinition } from './service.js';

const run = promisify(execFile);
const REGION = 'us-east-1';

/** A test-only Lambda: functions kept in memory, Invoke echoes its payload. */
function testLambda(): ServiceDefinition & { seen: Record<string, any> } {
  const functions = new Map<string, Record<string, unknown>>();
  const seen: Record<string, any> = {};
  const arn = (ctx: CallContext, name: string) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
  const find = (ctx: CallContext, nameOrArn: string) => {
    const name = nameOrArn.split(':function:').pop()!.split(':')[0];
    const fn = functions.get(name);
    if (!fn) throw new ServiceError('ResourceNotFoundException', `Function not found: ${arn(ctx, name)}`);
    return fn;
  };
  return {
    model: loadServiceModel('lambda'),
    validationError: (message) => new ServiceError('InvalidParameterValueException', message),
    isReadOnly: (op) => op.startsWith('Get') || op.startsWith('List'),
    seen,
    operations: {
      CreateFunction(input, ctx) {
        seen.CreateFunction = input;
        const fn = {
          FunctionName: input.FunctionName,
          FunctionArn: arn(ctx, input.FunctionName),
          Runtime: input.Runtime,
          Role: input.Role,
          Handler: input.Handler,
          CodeSize: input.Code.ZipFile?.length ?? 0,
          Timeout: input.Timeout ?? 3,
          MemorySize: input.MemorySize ?? 128,
          Environment: input.Environment ? { Variables: input.Environment.Variables } : undefined,
          LastModified: '2024-05-01T12:34:56.789+0000',
          Version: '$LATEST',
          State: 'Active',
          internalPath: '/var/lib/berth/secret', // not in the model: must never reach the client
        };
        functions.set(input.FunctionName, fn);
        return fn;
      },
      GetFunction(input, ctx) {
        seen.GetFunction = input;
        const fn = find(ctx, input.FunctionName);
        return { Configuration: { ...fn, Version: input.Qualifier ?? '$LATEST' }, Code: { RepositoryType: 'S3', Location: 'http://127.0.0.1/code.zip' }, Tags: { team: 'web' } };
      },
      ListFunctions(input) {
        seen.ListFunctions = input;
        const all = [...functions.values()].sort((a, b) => String(a.FunctionName).localeCompare(String(b.FunctionName)));
        const start = input.Marker ? Number(input.Marker) : 0;
        const max = input.MaxItems ?? 50;
        const page = all.slice(start, start + max);
        return { Functions: page, NextMarker: start + max < all.length ? String(start + max) : undefined };
      },
      Invoke(input, ctx) {
        seen.Invoke = input;
        find(ctx, input.FunctionName);
        if (input.InvocationType === 'Event') return { StatusCode: 202 };
        const event = input.Payload ? JSON.parse(input.Payload.toString('utf8')) : null;
        if (event?.fail) {
          return {
            StatusCode: 200,
            FunctionError: 'Unhandled',
            ExecutedVersion: '$LATEST',
            LogResult: Buffer.from('START\nboom\nEND\n').toString('base64'),
            Payload: Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: 'boom' })),
          };
        }
        return { StatusCode: 200, ExecutedVersion: input.Qualifier ?? '$LATEST', Payload: Buffer.from(JSON.stringify({ echo: event, bytes: input.Payload?.length ?? 0 })) };
      },
      DeleteFunction(input, ctx) {
        find(ctx, input.FunctionName);
        functions.delete(input.FunctionName);
        return { StatusCode: 204 };
      },
      ListDurableExecutionsByFunction(input) {
        seen.ListDurableExecutionsByFunction = input;
        return { DurableExecutions: [] };
      },
      UntagResource(input) {
        seen.UntagResource = input;
        return {};
      },
      PutFunctionConcurrency() {
        throw new ServiceError('TooManyRequestsException', 'Rate exceeded', { members: { Reason: 'CallerRateLimitExceeded', retryAfterSeconds: '7' } });
      },
    },
  };
}

describe('restJson1 through a real ApiServer', () => {
  let api: TestApiServer;
  let store: Store;
  let endpoint: string;
  let client: LambdaClient;
  const lambda = testLambda();

  before(async () => {
    api = await serveForTest([lambda], TEST_CREDENTIALS);
    ({ endpoint, store } = api);
    client = new LambdaClient({ endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });

  after(async () => {
    client.destroy();
    await api.close();
  });

  const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x10, 0x80]);

  it('SDK: CreateFunction sends nested structures, the Environment map and a base64 ZipFile; the answer is status 201 and modelled members only', async () => {
    const out = await client.send(
      new CreateFunctionCommand({
        FunctionName: 'hook',
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::123456789012:role/hook',
        Handler: 'index.handler',
        Code: { ZipFile: zip },
        Environment: { Variables: { STAGE: 'blue', DB_URL: 'a "quoted" value\n' } },
        Timeout: 30,
        MemorySize: 256,
      }),
    );
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:hook');
    assert.deepEqual(out.Environment, { Variables: { STAGE: 'blue', DB_URL: 'a "quoted" value\n' } });
    assert.equal(out.CodeSize, zip.length);
    assert.equal(out.Timeout, 30);
    assert.ok(!('internalPath' in out), 'unmodelled members never leave Berth');
    const seen = lambda.seen.CreateFunction;
    assert.ok(Buffer.isBuffer(seen.Code.ZipFile), 'the handler gets the ZipFile as bytes');
    assert.deepEqual(seen.Code.ZipFile, zip);
    assert.equal(seen.MemorySize, 256);
  });

  it('SDK: GetFunction by ARN (URI label decoded) with a Qualifier query parameter', async () => {
    const out = await client.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:hook', Qualifier: '$LATEST' }));
    assert.equal(lambda.seen.GetFunction.FunctionName, 'arn:aws:lambda:us-east-1:123456789012:function:hook');
    assert.equal(lambda.seen.GetFunction.Qualifier, '$LATEST');
    assert.equal(out.Configuration?.FunctionName, 'hook');
    assert.equal(out.Configuration?.Handler, 'index.handler');
    assert.deepEqual(out.Tags, { team: 'web' });
    assert.equal(out.Code?.RepositoryType, 'S3');
  });

  it('SDK: a modelled error arrives as its exception class with the model status (404), code and message', async () => {
    await assert.rejects(client.send(new GetFunctionCommand({ FunctionName: 'nope' })), (err: any) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(err.$fault, 'client');
      assert.equal(err.message, 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope');
      assert.equal(err.Type, 'User');
      return true;
    });
  });

  it("SDK: an error's modelled members travel too: TooManyRequestsException's Reason in the body and retryAfterSeconds as Retry-After", async () => {
    await assert.rejects(client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'hook', ReservedConcurrentExecutions: 1 })), (err: any) => {
      assert.ok(err instanceof TooManyRequestsException);
      assert.equal(err.$metadata.httpStatusCode, 429);
      assert.equal(err.message, 'Rate exceeded');
      assert.equal(err.Reason, 'CallerRateLimitExceeded');
      assert.equal(err.retryAfterSeconds, '7');
      return true;
    });
  });

  it('SDK: ListFunctions pages with Marker and MaxItems in the query string', async () => {
    for (const name of ['a-fn', 'b-fn']) {
      await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/r', Handler: 'index.handler', Code: { ZipFile: zip } }));
    }
    const first = await client.send(new ListFunctionsCommand({ MaxItems: 2 }));
    assert.equal(lambda.seen.ListFunctions.MaxItems, 2);
    assert.deepEqual(first.Functions?.map((f) => f.FunctionName), ['a-fn', 'b-fn']);
    assert.equal(first.NextMarker, '2');
    const second = await client.send(new ListFunctionsCommand({ MaxItems: 2, Marker: first.NextMarker }));
    assert.equal(lambda.seen.ListFunctions.Marker, '2');
    assert.deepEqual(second.Functions?.map((f) => f.FunctionName), ['hook']);
    assert.equal(second.NextMarker, undefined);
  });

  it('SDK: query lists as repeated keys, query timestamps and booleans are typed for the handler', async () => {
    const after = new Date('2024-05-01T00:00:00Z');
    await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'hook', Statuses: ['RUNNING', 'SUCCEEDED'], StartedAfter: after, ReverseOrder: true }));
    const seen = lambda.seen.ListDurableExecutionsByFunction;
    assert.deepEqual(seen.Statuses, ['RUNNING', 'SUCCEEDED']);
    assert.ok(seen.StartedAfter instanceof Date);
    assert.equal(seen.StartedAfter.toISOString(), after.toISOString());
    assert.equal(seen.ReverseOrder, true);
    await client.send(new UntagResourceCommand({ Resource: 'arn:aws:lambda:us-east-1:123456789012:function:hook', TagKeys: ['team'] }));
    assert.deepEqual(lambda.seen.UntagResource, { Resource: 'arn:aws:lambda:us-east-1:123456789012:function:hook', TagKeys: ['team'] });
  });

  it('SDK: Invoke sends the payload as the raw body and gets the raw result, FunctionError and LogResult headers', async () => {
    const sent = Buffer.from(JSON.stringify({ hello: 'wörld' }));
    const ok = await client.send(new InvokeCommand({ FunctionName: 'hook', Payload: sent }));
    assert.equal(ok.StatusCode, 200);
    assert.equal(ok.FunctionError, undefined);
    assert.equal(ok.ExecutedVersion, '$LATEST');
    assert.deepEqual(JSON.parse(Buffer.from(ok.Payload!).toString('utf8')), { echo: { hello: 'wörld' }, bytes: sent.length });

    const failed = await client.send(new InvokeCommand({ FunctionName: 'hook', Payload: Buffer.from('{"fail":true}'), LogType: 'Tail' }));
    assert.equal(lambda.seen.Invoke.LogType, 'Tail');
    assert.equal(failed.StatusCode, 200);
    assert.equal(failed.FunctionError, 'Unhandled');
    assert.equal(Buffer.from(failed.LogResult!, 'base64').toString('utf8'), 'START\nboom\nEND\n');
    assert.deepEqual(JSON.parse(Buffer.from(failed.Payload!).toString('utf8')), { errorType: 'Error', errorMessage: 'boom' });

    const event = await client.send(new InvokeCommand({ FunctionName: 'hook', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    assert.equal(event.StatusCode, 202);
    assert.equal(event.$metadata.httpStatusCode, 202);
  });

  it('SDK: Invoke carries a 5 MB binary payload intact', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 'x');
    const payload = Buffer.concat([Buffer.from('{"blob":"'), big, Buffer.from('"}')]);
    const out = await client.send(new InvokeCommand({ FunctionName: 'hook', Payload: payload }));
    assert.equal(JSON.parse(Buffer.from(out.Payload!).toString('utf8')).bytes, payload.length);
    assert.ok(Buffer.isBuffer(lambda.seen.Invoke.Payload) && lambda.seen.Invoke.Payload.equals(payload));
  });

  it('SDK: DeleteFunction answers 204 with no body', async () => {
    await client.send(new CreateFunctionCommand({ FunctionName: 'gone', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/r', Handler: 'index.handler', Code: { ZipFile: zip } }));
    const out = await client.send(new DeleteFunctionCommand({ FunctionName: 'gone' }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    await assert.rejects(client.send(new GetFunctionCommand({ FunctionName: 'gone' })), ResourceNotFoundException);
  });

  /** A signed raw request to the Lambda endpoint. */
  async function raw(method: string, pathAndQuery: string, body = '', opts: { secret?: string; headers?: Record<string, string> } = {}) {
    const url = new URL(pathAndQuery, endpoint);
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const req: RawRequest = { method, host: url.host, path: url.pathname, query, headers: { host: url.host, 'content-type': 'application/json', ...opts.headers }, body: Buffer.from(body) };
    const credentials = opts.secret ? { ...TEST_CREDENTIALS, secretAccessKey: opts.secret } : TEST_CREDENTIALS;
    return send(endpoint, await signRequest(req, { service: 'lambda', region: REGION, credentials }));
  }

  it('raw: a path no operation has is a 404 UnknownOperationException in x-amzn-ErrorType and a JSON message', async () => {
    const r = await raw('GET', '/2015-03-31/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-amzn-errortype'], 'UnknownOperationException');
    assert.match(r.json().message, /Lambda has no operation at GET \/2015-03-31\/nothing-here/);
    const wrongMethod = await raw('PATCH', '/2015-03-31/functions/hook');
    assert.equal(wrongMethod.status, 404);
    assert.equal(wrongMethod.headers['x-amzn-errortype'], 'UnknownOperationException');
  });

  it('raw: a query parameter that is not of its type is a SerializationException naming it', async () => {
    const r = await raw('GET', '/2015-03-31/functions/?MaxItems=ten');
    assert.equal(r.status, 400);
    assert.equal(r.headers['x-amzn-errortype'], 'SerializationException');
    assert.equal(r.json().message, "Value 'ten' for query parameter MaxItems is not an integer.");
    const ts = await raw('GET', '/2025-12-01/functions/hook/durable-executions?StartedAfter=yesterday');
    assert.equal(ts.headers['x-amzn-errortype'], 'SerializationException');
    assert.match(ts.json().message, /query parameter StartedAfter is not a timestamp/);
  });

  it("raw: a constraint violation is the service's validation error with AWS's message", async () => {
    const r = await raw('GET', '/2015-03-31/functions/?MaxItems=0');
    assert.equal(r.status, 400);
    assert.equal(r.headers['x-amzn-errortype'], 'InvalidParameterValueException');
    assert.match(r.json().message, /^1 validation error detected: Value '0' at 'MaxItems' failed to satisfy constraint/);
    assert.equal(r.json().Type, 'User');
  });

  it('raw: a body that is not JSON is a SerializationException', async () => {
    const r = await raw('POST', '/2015-03-31/functions', '{"FunctionName":');
    assert.equal(r.status, 400);
    assert.equal(r.headers['x-amzn-errortype'], 'SerializationException');
  });

  it('raw: a bad signature on a restJson service is a 403 InvalidSignatureException in the restJson format', async () => {
    const r = await raw('GET', '/2015-03-31/functions/', '', { secret: 'wrong-secret' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-amzn-errortype'], 'InvalidSignatureException');
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.match(r.json().message, /signature we calculated does not match/);
  });

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await run(AWS_CLI_V2, [...args, '--endpoint-url', endpoint, '--output', 'json'], { env: cliEnvironment(REGION), timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err: any) {
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
    }
  }

  const v2Skip = existsSync(AWS_CLI_V2) ? false : `the AWS CLI v2 is not installed at ${AWS_CLI_V2}`;

  it('AWS CLI v2: lambda list-functions and get-function', { skip: v2Skip }, async () => {
    const list = await cli(['lambda', 'list-functions']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).Functions.some((f: any) => f.FunctionName === 'hook'));
    const missing = await cli(['lambda', 'get-function', '--function-name', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException.*Function not found/);
  });

  it('AWS CLI v2: lambda invoke with --cli-binary-format raw-in-base64-out writes the raw result and reports FunctionError', { skip: v2Skip }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-rest-json-'));
    try {
      const outFile = path.join(dir, 'out.json');
      const ok = await cli(['lambda', 'invoke', '--function-name', 'hook', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"from":"cli"}', outFile]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout), { StatusCode: 200, ExecutedVersion: '$LATEST' });
      assert.deepEqual(JSON.parse(readFileSync(outFile, 'utf8')), { echo: { from: 'cli' }, bytes: Buffer.byteLength('{"from":"cli"}') });

      const failed = await cli(['lambda', 'invoke', '--function-name', 'hook', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"fail":true}', outFile]);
      assert.equal(failed.code, 0, failed.stderr);
      assert.equal(JSON.parse(failed.stdout).FunctionError, 'Unhandled');
      assert.deepEqual(JSON.parse(readFileSync(outFile, 'utf8')), { errorType: 'Error', errorMessage: 'boom' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
