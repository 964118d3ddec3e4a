/** Invoke runs the function for real: payloads, errors, timeouts, memory, context and environment, logs. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { harness, TEST_SCOPE, type Harness } from './test-support.js';

const opened: Harness[] = [];
const open = (o = {}) => {
  const h = harness(o);
  opened.push(h);
  return h;
};
after(() => opened.forEach((h) => h.close()));

/** Polls `check` until it returns true (or fails after a generous bound). */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Invoke (Node.js)', () => {
  it('returns the value of an async CommonJS handler, with a log tail of START/END/REPORT', async () => {
    const h = open();
    await h.create('echo', { 'index.js': 'exports.handler = async (event) => { console.log("got", event.n); return { doubled: event.n * 2 }; };\n' });
    const out = await h.invoke('echo', { n: 21 }, { LogType: 'Tail' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.deepEqual(JSON.parse(out.Payload), { doubled: 42 });
    const tail = Buffer.from(out.LogResult, 'base64').toString('utf8');
    assert.match(tail, /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST\n/);
    const id = /RequestId: ([0-9a-f-]{36})/.exec(tail)![1];
    assert.match(tail, new RegExp(`\\n\\S+Z\\t${id}\\tINFO\\tgot 21\\n`));
    assert.match(tail, new RegExp(`\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: [1-9]\\d* MB`));
    const logs = h.logMessages('echo');
    assert.equal(logs[0], `START RequestId: ${id} Version: $LATEST`);
    assert.ok(logs.some((l) => l.endsWith('\tINFO\tgot 21')));
    assert.match(logs.at(-1)!, /^REPORT RequestId: /);
  });

  it('runs ESM handlers, callback-style handlers, and handlers in folders', async () => {
    const h = open();
    await h.create('esm', { 'app.mjs': 'export const handler = async (e) => `esm:${e.x}`;\n' }, { Handler: 'app.handler' });
    assert.equal((await h.invoke('esm', { x: 1 })).Payload, '"esm:1"');
    await h.create('cb', { 'index.js': 'exports.handler = (e, ctx, cb) => setTimeout(() => cb(null, { late: e.x }), 20);\n' });
    assert.equal((await h.invoke('cb', { x: 2 })).Payload, '{"late":2}');
    await h.create('cberr', { 'index.js': 'exports.handler = (e, ctx, cb) => cb(new TypeError("bad input"));\n' });
    const err = await h.invoke('cberr');
    assert.equal(err.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(err.Payload).errorType, 'TypeError');
    await h.create('nested', { 'src/handlers/hook.js': 'exports.main = async () => null;\n' }, { Handler: 'src/handlers/hook.main' });
    assert.equal((await h.invoke('nested')).Payload, 'null');
  });

  it('a thrown error is FunctionError Unhandled with the runtime error JSON', async () => {
    const h = open();
    await h.create('boom', { 'index.js': 'class HookFailed extends Error { constructor(m) { super(m); this.name = "HookFailed"; } }\nexports.handler = async () => { throw new HookFailed("validation failed"); };\n' });
    const out = await h.invoke('boom', {}, { LogType: 'Tail' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = JSON.parse(out.Payload);
    assert.equal(body.errorType, 'HookFailed');
    assert.equal(body.errorMessage, 'validation failed');
    assert.ok(Array.isArray(body.trace) && body.trace[0].startsWith('HookFailed: validation failed'));
    assert.match(Buffer.from(out.LogResult, 'base64').toString(), /\tERROR\tInvoke Error \t\{"errorType":"HookFailed"/);
  });

  it('a missing module or export is Runtime.ImportModuleError / Runtime.HandlerNotFound', async () => {
    const h = open();
    await h.create('nomod', { 'other.js': '' });
    assert.equal(JSON.parse((await h.invoke('nomod')).Payload).errorType, 'Runtime.ImportModuleError');
    await h.create('noexp', { 'index.js': 'exports.other = () => 1;\n' });
    const out = await h.invoke('noexp');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(out.Payload).errorMessage, 'index.handler is undefined or not exported');
  });

  it('a function that outruns its Timeout is killed: Task timed out after N.NN seconds', async () => {
    const h = open();
    await h.create('slow', { 'index.js': 'exports.handler = () => new Promise(() => setInterval(() => {}, 1000));\n' }, { Timeout: 1 });
    const out = await h.invoke('slow');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.match(JSON.parse(out.Payload).errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/);
    assert.ok(h.logMessages('slow').some((l) => / Task timed out after 1\.00 seconds$/.test(l)));
  });

  it('a function that uses more memory than MemorySize is stopped with Runtime.OutOfMemory', async () => {
    // It grows slowly (4 MB every 10 ms, off the V8 heap), so the resident-memory watch stops it not far past 128 MB.
    const h = open();
    await h.create('hog', { 'index.js': 'exports.handler = async () => { const keep = []; for (;;) { keep.push(Buffer.alloc(4 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 10)); } };\n' }, { Timeout: 60 });
    const out = await h.invoke('hog');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(out.Payload).errorType, 'Runtime.OutOfMemory');
  });

  it('gives the handler Lambda context and environment, its own variables and Berth credentials and endpoint', async () => {
    const h = open({ endpoint: () => 'http://127.0.0.1:4599', credentials: { accessKeyId: 'AKIAFORFUNCTIONS0001', secretAccessKey: 'secret' } });
    await h.create(
      'ctx',
      {
        'index.js': `exports.handler = async (e, context) => ({
          ctx: { fn: context.functionName, ver: context.functionVersion, arn: context.invokedFunctionArn, mem: context.memoryLimitInMB, id: context.awsRequestId,
                 group: context.logGroupName, stream: context.logStreamName, remaining: context.getRemainingTimeInMillis() },
          env: Object.fromEntries(['AWS_LAMBDA_FUNCTION_NAME','AWS_REGION','AWS_DEFAULT_REGION','AWS_LAMBDA_FUNCTION_MEMORY_SIZE','AWS_LAMBDA_LOG_GROUP_NAME','LAMBDA_TASK_ROOT','_HANDLER','AWS_ACCESS_KEY_ID','AWS_SECRET_ACCESS_KEY','AWS_ENDPOINT_URL','STAGE','AWS_EXECUTION_ENV'].map((k) => [k, process.env[k]])),
          cwd: process.cwd(),
        });\n`,
      },
      { MemorySize: 256, Timeout: 10, Environment: { Variables: { STAGE: 'green' } } },
    );
    const { ctx, env, cwd } = JSON.parse((await h.invoke('ctx')).Payload);
    const arn = `arn:aws:lambda:us-east-1:${TEST_SCOPE.accountId}:function:ctx`;
    assert.equal(ctx.fn, 'ctx');
    assert.equal(ctx.ver, '$LATEST');
    assert.equal(ctx.arn, arn);
    assert.equal(ctx.mem, '256');
    assert.match(ctx.id, /^[0-9a-f-]{36}$/);
    assert.equal(ctx.group, '/aws/lambda/ctx');
    assert.match(ctx.stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(ctx.remaining > 0 && ctx.remaining <= 10_000, String(ctx.remaining));
    assert.deepEqual(env, {
      AWS_LAMBDA_FUNCTION_NAME: 'ctx', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/ctx',
      LAMBDA_TASK_ROOT: cwd, _HANDLER: 'index.handler', AWS_ACCESS_KEY_ID: 'AKIAFORFUNCTIONS0001', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: 'http://127.0.0.1:4599', STAGE: 'green',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    });
  });

  it('Event invocations answer 202 and run in the background; DryRun answers 204 and runs nothing', async () => {
    const h = open();
    await h.create('bg', { 'index.js': 'exports.handler = async (e) => { console.log("event", e.tag); return 1; };\n' });
    const dry = await h.call('Invoke', { FunctionName: 'bg', InvocationType: 'DryRun', Payload: Buffer.from('{"tag":"dry"}') });
    assert.equal(dry.StatusCode, 204);
    const ev = await h.call('Invoke', { FunctionName: 'bg', InvocationType: 'Event', Payload: Buffer.from('{"tag":"async"}') });
    assert.equal(ev.StatusCode, 202);
    assert.equal(ev.Payload, undefined);
    await until(() => h.logMessages('bg').some((l) => /^REPORT /.test(l)), 'the event invocation to finish');
    const logs = h.logMessages('bg');
    assert.ok(logs.some((l) => l.endsWith('\tINFO\tevent async')));
    assert.ok(!logs.some((l) => l.includes('dry')));
  });

  it('refuses bad Invoke input with Lambda errors', async () => {
    const h = open({ maxConcurrency: 1 });
    await h.create('ok', { 'index.js': 'exports.handler = async () => new Promise((r) => setTimeout(() => r(1), 500));\n' });
    await h.fails('Invoke', { FunctionName: 'missing' }, 'ResourceNotFoundException', /Function not found/);
    await h.fails('Invoke', { FunctionName: 'ok', Payload: Buffer.from('{not json') }, 'InvalidRequestContentException', /Could not parse request body into json/);
    await h.fails('Invoke', { FunctionName: 'ok', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ s: 'x'.repeat(300_000) })) }, 'RequestTooLargeException', /262144 bytes/);
    await h.fails('Invoke', { FunctionName: 'ok', Payload: Buffer.from(JSON.stringify({ s: 'x'.repeat(6_300_000) })) }, 'RequestTooLargeException', /6291456 bytes/);
    await h.fails('Invoke', { FunctionName: 'ok', InvocationType: 'Sometimes' }, 'ValidationException');
    await h.fails('Invoke', { FunctionName: 'ok', Qualifier: '3' }, 'ResourceNotFoundException', /function:ok:3/);
    const first = h.invoke('ok');
    // The first call has started its process before h.invoke returns its promise.
    await h.fails('Invoke', { FunctionName: 'ok' }, 'TooManyRequestsException', /Rate Exceeded/);
    assert.equal((await first).Payload, '1');
    assert.equal((await h.invoke('ok')).Payload, '1');
  });

  it('a function whose code folder is gone answers Runtime.ExitError instead of hanging', async () => {
    const h = open();
    await h.create('lost', { 'index.js': 'exports.handler = async () => 1;\n' });
    rmSync(path.join(h.dataDir, 'lambda', 'functions', 'lost'), { recursive: true, force: true });
    const out = await h.invoke('lost');
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(out.Payload).errorType, 'Runtime.ExitError');
  });

  it('other services invoke functions through Lambda.invoke, with Lambda errors', async () => {
    const h = open();
    await h.create('hook', { 'index.js': 'exports.handler = async (e) => { if (e.fail) throw new Error("no"); return { status: "Succeeded", id: e.LifecycleEventHookExecutionId }; };\n' });
    const ok = await h.lambda.invoke('hook', { LifecycleEventHookExecutionId: 'abc' });
    assert.deepEqual({ ...ok, payload: JSON.parse(ok.payload!) }, { statusCode: 200, payload: { status: 'Succeeded', id: 'abc' }, functionError: undefined });
    const bad = await h.lambda.invoke(`arn:aws:lambda:us-east-1:${TEST_SCOPE.accountId}:function:hook`, { fail: true });
    assert.equal(bad.functionError, 'Unhandled');
    assert.equal((await h.lambda.invoke('hook', {}, 'Event')).statusCode, 202);
    await assert.rejects(h.lambda.invoke('missing', {}), (e: any) => e.code === 'ResourceNotFoundException');
    await until(() => h.logMessages('hook').filter((l) => l.startsWith('REPORT ')).length === 3, 'the Event invocation to finish');
  });

  it('stopping Berth ends running invocations (their process group is killed)', async () => {
    const h = open();
    await h.create('long', { 'index.js': 'exports.handler = () => new Promise(() => setInterval(() => {}, 1000));\n' }, { Timeout: 600 });
    const ac = new AbortController();
    const running = h.lambda.runnable.start(ac.signal);
    const pending = h.invoke('long');
    ac.abort();
    await running;
    const out = await pending;
    assert.equal(out.FunctionError, 'Unhandled');
    assert.match(JSON.parse(out.Payload).errorMessage, /Runtime exited with error: signal: killed/);
  });

  it('an empty payload is the event {}', async () => {
    const h = open();
    await h.create('empty', { 'index.js': 'exports.handler = async (e) => e;\n' });
    const out = await h.call('Invoke', { FunctionName: 'empty' });
    assert.equal(Buffer.from(out.Payload, 'base64').toString(), '{}');
  });
});

describe('Invoke (Python)', () => {
  it('runs a python3.11 handler with the event and context; a raised error has Python runtime error JSON', async (t) => {
    const h = open();
    try {
      await h.create('py', { 'app.py': 'import os\ndef handler(event, context):\n    print("hello from python")\n    return {"sum": event["a"] + event["b"], "fn": context.function_name, "region": os.environ["AWS_REGION"], "left": context.get_remaining_time_in_millis() > 0}\n\ndef fail(event, context):\n    raise ValueError("no good")\n' }, { Runtime: 'python3.11', Handler: 'app.handler' });
    } catch (err) {
      if ((err as { code?: string }).code === 'InvalidParameterValueException' && /no python3.11 interpreter/.test((err as Error).message)) return t.skip('python3.11 is not installed on this machine');
      throw err;
    }
    const out = await h.invoke('py', { a: 2, b: 3 }, { LogType: 'Tail' });
    assert.equal(out.FunctionError, undefined, out.Payload);
    assert.deepEqual(JSON.parse(out.Payload), { sum: 5, fn: 'py', region: 'us-east-1', left: true });
    assert.match(Buffer.from(out.LogResult, 'base64').toString(), /\nhello from python\n/);
    await h.call('UpdateFunctionConfiguration', { FunctionName: 'py', Handler: 'app.fail' });
    const err = await h.invoke('py');
    assert.equal(err.FunctionError, 'Unhandled');
    const body = JSON.parse(err.Payload);
    assert.equal(body.errorType, 'ValueError');
    assert.equal(body.errorMessage, 'no good');
    assert.ok(Array.isArray(body.stackTrace) && body.stackTrace.length > 0);
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
  });
});
