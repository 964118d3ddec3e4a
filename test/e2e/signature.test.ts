import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { buildRequest, callEcs, health, presignRequest, send, signRequest, type RawResponse } from '../fixtures/sign.js';

const MIN = 60_000;

/** Asserts an AWS awsJson error: status, x-amzn-ErrorType, a body of exactly __type and message. */
function assertAwsError(res: RawResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, res.body);
  assert.equal(res.headers['x-amzn-errortype'], code);
  assert.match(String(res.headers['content-type']), /^application\/x-amz-json-1\.1/);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['__type', 'message']);
  assert.equal(body.__type, code);
  assert.equal(typeof body.message, 'string');
  if (message) assert.match(body.message, message);
  assertRequestIdAndDate(res);
}

function assertRequestIdAndDate(res: RawResponse): void {
  assert.match(String(res.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(String(res.headers['date']))), 'a Date header');
}

describe('SigV4 on a running Berth', () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => berth.cleanup());

  it('accepts a request signed by @aws-sdk/client-ecs', async () => {
    const out = await berth.ecs().send(new ListClustersCommand({}));
    assert.deepEqual(out.clusterArns, []);
    assert.match(out.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('accepts a correctly signed raw request, with a request id and Date', async () => {
    const res = await callEcs(berth.endpoint, 'ListClusters', {});
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json(), { clusterArns: [] });
    assertRequestIdAndDate(res);
  });

  it('refuses an unsigned request with MissingAuthenticationTokenException (403)', async () => {
    const res = await send(berth.endpoint, buildRequest(berth.endpoint, 'ListClusters', '{}'));
    assertAwsError(res, 403, 'MissingAuthenticationTokenException', /^Missing Authentication Token$/);
  });

  it('refuses a wrong secret with InvalidSignatureException (403)', async () => {
    const res = await callEcs(berth.endpoint, 'ListClusters', {}, { credentials: { accessKeyId: berth.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    assertAwsError(res, 403, 'InvalidSignatureException', /^The request signature we calculated does not match the signature you provided/);
  });

  it('refuses a body tampered with after signing, and does not act on it', async () => {
    const req = await signRequest(buildRequest(berth.endpoint, 'CreateCluster', JSON.stringify({ clusterName: 'honest' })));
    const res = await send(berth.endpoint, { ...req, body: Buffer.from(JSON.stringify({ clusterName: 'forged' })) });
    assertAwsError(res, 403, 'InvalidSignatureException');
    const noHash = await signRequest(buildRequest(berth.endpoint, 'CreateCluster', JSON.stringify({ clusterName: 'honest' })), { applyChecksum: false });
    const res2 = await send(berth.endpoint, { ...noHash, body: Buffer.from(JSON.stringify({ clusterName: 'forged' })) });
    assertAwsError(res2, 403, 'InvalidSignatureException');
    const list = await callEcs(berth.endpoint, 'ListClusters', {});
    assert.ok(!list.body.includes('forged'), 'the forged call made nothing');
  });

  it('refuses an unknown access key with UnrecognizedClientException (403)', async () => {
    const res = await callEcs(berth.endpoint, 'ListClusters', {}, { credentials: { accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' } });
    assertAwsError(res, 403, 'UnrecognizedClientException', /^The security token included in the request is invalid\.$/);
  });

  it('refuses a malformed Authorization header with IncompleteSignatureException (400)', async () => {
    const req = await signRequest(buildRequest(berth.endpoint, 'ListClusters', '{}'));
    for (const authorization of ['AWS4-HMAC-SHA256 Credential=AKIATESTBERTH0000001', 'Bearer abc', req.headers.authorization.replace(/\/ecs\/aws4_request/, '/ecs')]) {
      const res = await send(berth.endpoint, { ...req, headers: { ...req.headers, authorization } });
      assertAwsError(res, 400, 'IncompleteSignatureException');
    }
  });

  it('refuses a signing time more than 15 minutes off, past or future', async () => {
    const past = await callEcs(berth.endpoint, 'ListClusters', {}, { signingDate: new Date(Date.now() - 20 * MIN) });
    assertAwsError(past, 403, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const future = await callEcs(berth.endpoint, 'ListClusters', {}, { signingDate: new Date(Date.now() + 20 * MIN) });
    assertAwsError(future, 403, 'InvalidSignatureException', /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
    const slightlyOff = await callEcs(berth.endpoint, 'ListClusters', {}, { signingDate: new Date(Date.now() - 5 * MIN) });
    assert.equal(slightlyOff.status, 200, 'skew within 15 minutes is accepted');
  });

  it('accepts a valid presigned POST and refuses an expired one', async () => {
    const ok = await presignRequest(buildRequest(berth.endpoint, 'CreateCluster', JSON.stringify({ clusterName: 'presigned' })), 300);
    assert.equal(ok.headers.authorization, undefined);
    const res = await send(berth.endpoint, ok);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json().cluster.clusterName, 'presigned');
    assertRequestIdAndDate(res);

    const expired = await presignRequest(buildRequest(berth.endpoint, 'ListClusters', '{}'), 60, { signingDate: new Date(Date.now() - 5 * MIN) });
    assertAwsError(await send(berth.endpoint, expired), 403, 'InvalidSignatureException', /^Signature expired: .* \+ 60 sec\.\)$/);

    const tampered = await presignRequest(buildRequest(berth.endpoint, 'CreateCluster', JSON.stringify({ clusterName: 'presigned2' })), 300);
    assertAwsError(await send(berth.endpoint, { ...tampered, body: Buffer.from('{"clusterName":"other"}') }), 403, 'InvalidSignatureException');
  });

  it('refuses a credential scoped to another region or another service', async () => {
    const region = await callEcs(berth.endpoint, 'ListClusters', {}, { region: 'eu-west-1' });
    assertAwsError(region, 403, 'InvalidSignatureException', /^Credential should be scoped to a valid region, not 'eu-west-1'\./);
    const service = await callEcs(berth.endpoint, 'ListClusters', {}, { service: 'sqs' });
    assertAwsError(service, 403, 'InvalidSignatureException', /^Credential should be scoped to correct service: 'ecs'\./);
  });

  it('answers an unknown operation with UnknownOperationException, signed', async () => {
    const res = await callEcs(berth.endpoint, 'LaunchRockets', {});
    assertAwsError(res, 400, 'UnknownOperationException', /LaunchRockets/);
  });

  it('puts a request id and Date on the health answer too, and stays up', async () => {
    const res = await health(berth.endpoint);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
    assertRequestIdAndDate(res);
  });
});
