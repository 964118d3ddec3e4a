/** CreateFunction .. ListFunctions through the model, with AWS's errors for bad input. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { harness, TEST_ROLE, TEST_SCOPE, zipOf, type Harness } from './test-support.js';

const HANDLER = { 'index.js': 'exports.handler = async () => "ok";\n' };
const opened: Harness[] = [];
const open = (o = {}) => {
  const h = harness(o);
  opened.push(h);
  return h;
};
after(() => opened.forEach((h) => h.close()));

describe('CreateFunction', () => {
  it('stores the function with Lambda defaults, CodeSha256 and CodeSize of the zip, and unpacks the code', async () => {
    const h = open();
    const zip = zipOf(HANDLER);
    const fn = await h.call('CreateFunction', { FunctionName: 'hook', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zip }, Environment: { Variables: { STAGE: 'blue' } }, Description: 'a hook', Tags: { team: 'ops' } });
    assert.equal(fn.FunctionName, 'hook');
    assert.equal(fn.FunctionArn, `arn:aws:lambda:us-east-1:${TEST_SCOPE.accountId}:function:hook`);
    assert.equal(fn.Timeout, 3);
    assert.equal(fn.MemorySize, 128);
    assert.equal(fn.State, 'Active');
    assert.equal(fn.LastUpdateStatus, 'Successful');
    assert.equal(fn.Version, '$LATEST');
    assert.equal(fn.PackageType, 'Zip');
    assert.equal(fn.CodeSize, zip.length);
    assert.equal(fn.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.deepEqual(fn.Environment, { Variables: { STAGE: 'blue' } });
    assert.match(fn.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.match(fn.RevisionId, /^[0-9a-f-]{36}$/);
    const dirs = readdirSync(path.join(h.dataDir, 'lambda', 'functions', 'hook'));
    assert.equal(dirs.length, 1);
    assert.equal(readFileSync(path.join(h.dataDir, 'lambda', 'functions', 'hook', dirs[0], 'index.js'), 'utf8'), HANDLER['index.js']);
    const got = await h.call('GetFunction', { FunctionName: fn.FunctionArn });
    assert.deepEqual(got.Configuration, fn);
    assert.deepEqual(got.Tags, { team: 'ops' });
    assert.equal(got.Code.RepositoryType, 'S3');
  });

  it('refuses a second function of the same name with ResourceConflictException and keeps the first', async () => {
    const h = open();
    const first = await h.create('dup', HANDLER);
    await h.fails('CreateFunction', { FunctionName: 'dup', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zipOf({ 'x.js': '' }) } }, 'ResourceConflictException', /Function already exist: dup/);
    assert.equal((await h.call('GetFunctionConfiguration', { FunctionName: 'dup' })).CodeSha256, first.CodeSha256);
    assert.equal(readdirSync(path.join(h.dataDir, 'lambda', 'functions', 'dup')).length, 1);
  });

  it('answers bad input with Lambda error codes and leaves nothing behind', async () => {
    const h = open();
    const base = { FunctionName: 'bad', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zipOf(HANDLER) } };
    await h.fails('CreateFunction', { ...base, Role: 'not-a-role' }, 'ValidationException', /'not-a-role' at 'Role' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    await h.fails('CreateFunction', { ...base, Timeout: 901 }, 'ValidationException', /less than or equal to 900/);
    await h.fails('CreateFunction', { ...base, Timeout: 0 }, 'ValidationException');
    await h.fails('CreateFunction', { ...base, MemorySize: 10241 }, 'ValidationException', /less than or equal to 10240/);
    await h.fails('CreateFunction', { ...base, MemorySize: 64 }, 'ValidationException');
    await h.fails('CreateFunction', { ...base, Runtime: 'nodejs12.x' }, 'InvalidParameterValueException', /nodejs12.x is no longer supported/);
    await h.fails('CreateFunction', { ...base, Runtime: 'java21' }, 'InvalidParameterValueException', /java21 is not supported by Berth/);
    await h.fails('CreateFunction', { ...base, Runtime: 'python3.9' }, 'InvalidParameterValueException', /python3.9/);
    await h.fails('CreateFunction', { ...base, Runtime: 'nodejs99.x' }, 'ValidationException');
    await h.fails('CreateFunction', { ...base, Handler: undefined }, 'InvalidParameterValueException', /Handler is required/);
    await h.fails('CreateFunction', { ...base, Environment: { Variables: { AWS_REGION: 'x' } } }, 'InvalidParameterValueException', /reserved keys.*AWS_REGION/);
    await h.fails('CreateFunction', { ...base, Environment: { Variables: { BIG: 'x'.repeat(5000) } } }, 'InvalidParameterValueException', /exceeded the 4KB limit/);
    await h.fails('CreateFunction', { ...base, Code: { ZipFile: Buffer.from('not a zip at all') } }, 'InvalidParameterValueException', /Could not unzip uploaded file/);
    await h.fails('CreateFunction', { ...base, Code: { S3Bucket: 'bucket', S3Key: 'key.zip' } }, 'InvalidParameterValueException', /ZipFile only/);
    await h.fails('CreateFunction', { ...base, Code: {} }, 'InvalidParameterValueException', /source for function code/);
    await h.fails('CreateFunction', { ...base, Publish: true }, 'InvalidParameterValueException', /does not publish function versions/);
    await h.fails('CreateFunction', { ...base, Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:deps:1'] }, 'InvalidParameterValueException', /does not support Layers/);
    await h.fails('CreateFunction', { ...base, DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' }, VpcConfig: { SubnetIds: ['subnet-1'] } }, 'InvalidParameterValueException', /does not support DeadLetterConfig, VpcConfig/);
    await h.fails('CreateFunction', { ...base, FunctionName: 'has space' }, 'ValidationException');
    await h.fails('CreateFunction', { ...base, FunctionName: 'x'.repeat(65) }, 'InvalidParameterValueException', /longer than 64/);
    assert.deepEqual((await h.call('ListFunctions', {})).Functions, []);
    assert.equal(existsSync(path.join(h.dataDir, 'lambda', 'functions', 'bad')), false);
  });

  it('refuses code beyond the storage limit with CodeStorageExceededException', async () => {
    const h = open({ codeStorageLimit: 400 });
    await h.create('small', HANDLER);
    await h.fails('CreateFunction', { FunctionName: 'big', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zipOf({ 'index.js': randomBytes(600).toString('hex') }) } }, 'CodeStorageExceededException', /Code storage limit exceeded/);
  });
});

describe('Get, Update, Delete', () => {
  it('finds functions by name, ARN and partial ARN; anything else is ResourceNotFoundException', async () => {
    const h = open();
    await h.create('f1', HANDLER);
    for (const name of ['f1', `arn:aws:lambda:us-east-1:${TEST_SCOPE.accountId}:function:f1`, `${TEST_SCOPE.accountId}:function:f1`, 'f1:$LATEST']) {
      assert.equal((await h.call('GetFunctionConfiguration', { FunctionName: name })).FunctionName, 'f1');
    }
    await h.fails('GetFunction', { FunctionName: 'nope' }, 'ResourceNotFoundException', /Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope$/);
    await h.fails('GetFunction', { FunctionName: 'f1', Qualifier: '1' }, 'ResourceNotFoundException', /function:f1:1$/);
    await h.fails('GetFunction', { FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:f1' }, 'InvalidParameterValueException', /not in account/);
  });

  it('UpdateFunctionConfiguration changes settings and RevisionId; a stale RevisionId is PreconditionFailedException', async () => {
    const h = open();
    const fn = await h.create('cfg', HANDLER);
    const up = await h.call('UpdateFunctionConfiguration', { FunctionName: 'cfg', Timeout: 30, MemorySize: 256, Environment: { Variables: { AB: '1' } }, Description: 'new', RevisionId: fn.RevisionId });
    assert.equal(up.Timeout, 30);
    assert.equal(up.MemorySize, 256);
    assert.equal(up.Description, 'new');
    assert.deepEqual(up.Environment.Variables, { AB: '1' });
    assert.notEqual(up.RevisionId, fn.RevisionId);
    assert.equal(up.CodeSha256, fn.CodeSha256);
    await h.fails('UpdateFunctionConfiguration', { FunctionName: 'cfg', Timeout: 5, RevisionId: fn.RevisionId }, 'PreconditionFailedException');
    await h.fails('UpdateFunctionConfiguration', { FunctionName: 'cfg', Timeout: 1000 }, 'ValidationException');
    await h.fails('UpdateFunctionConfiguration', { FunctionName: 'missing', Timeout: 5 }, 'ResourceNotFoundException');
    assert.equal((await h.call('GetFunctionConfiguration', { FunctionName: 'cfg' })).Timeout, 30);
  });

  it('UpdateFunctionCode replaces the code, its hash and folder', async () => {
    const h = open();
    const fn = await h.create('code', HANDLER);
    const zip = zipOf({ 'index.js': 'exports.handler = async () => "v2";\n' });
    const up = await h.call('UpdateFunctionCode', { FunctionName: 'code', ZipFile: zip });
    assert.equal(up.CodeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.notEqual(up.CodeSha256, fn.CodeSha256);
    assert.equal((await h.invoke('code')).Payload, '"v2"');
    assert.equal(readdirSync(path.join(h.dataDir, 'lambda', 'functions', 'code')).length, 1);
    await h.fails('UpdateFunctionCode', { FunctionName: 'code', ZipFile: Buffer.from('junk') }, 'InvalidParameterValueException', /Could not unzip/);
    assert.equal((await h.invoke('code')).Payload, '"v2"');
  });

  it('DeleteFunction removes the function and its code; a second delete is ResourceNotFoundException', async () => {
    const h = open();
    await h.create('gone', HANDLER);
    await h.call('DeleteFunction', { FunctionName: 'gone' });
    await h.fails('GetFunction', { FunctionName: 'gone' }, 'ResourceNotFoundException');
    await h.fails('DeleteFunction', { FunctionName: 'gone' }, 'ResourceNotFoundException');
    assert.equal(existsSync(path.join(h.dataDir, 'lambda', 'functions', 'gone')), false);
  });
});

describe('ListFunctions', () => {
  it('pages with Marker and MaxItems, in name order, at most 50 a page', async () => {
    const h = open();
    const names = Array.from({ length: 53 }, (_, i) => `fn-${String(i).padStart(2, '0')}`);
    for (const n of names) await h.create(n, HANDLER);
    const first = await h.call('ListFunctions', {});
    assert.equal(first.Functions.length, 50);
    const rest = await h.call('ListFunctions', { Marker: first.NextMarker });
    assert.equal(rest.NextMarker, undefined);
    assert.deepEqual([...first.Functions, ...rest.Functions].map((f: any) => f.FunctionName), names);
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await h.call('ListFunctions', { MaxItems: 7, Marker: marker });
      assert.ok(page.Functions.length <= 7);
      seen.push(...page.Functions.map((f: any) => f.FunctionName));
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(seen, names);
    await h.fails('ListFunctions', { Marker: 'garbage' }, 'InvalidParameterValueException', /marker/);
    await h.fails('ListFunctions', { MaxItems: 0 }, 'ValidationException');
  });
});

describe('restart', () => {
  it('functions and their code survive a new service over the same store file and data dir', async () => {
    const first = harness();
    const file = path.join(first.dataDir, 'state.db');
    first.store.close();
    const h1 = harness({ dataDir: first.dataDir, storeFile: file });
    await h1.create('keep', { 'index.js': 'exports.handler = async (e) => ({ echo: e.v });\n' });
    h1.store.close();
    const h2 = harness({ dataDir: first.dataDir, storeFile: file });
    opened.push(h2);
    assert.equal((await h2.call('GetFunctionConfiguration', { FunctionName: 'keep' })).FunctionName, 'keep');
    assert.equal((await h2.invoke('keep', { v: 7 })).Payload, '{"echo":7}');
  });
});
