import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifySigV4, hasSignature, MAX_CLOCK_SKEW_MS } from './sigv4.js';
import { TEST_CREDENTIALS } from '../../test/fixtures/berth.js';
import { buildRequest, presignRequest, signRequest, toSignable, type RawRequest } from '../../test/fixtures/sign.js';

const ENDPOINT = 'http://127.0.0.1:4600';
const NOW = new Date('2024-06-01T12:00:00Z');
const MIN = 60_000;
const lookup = (id: string) => (id === TEST_CREDENTIALS.accessKeyId ? TEST_CREDENTIALS.secretAccessKey : undefined);
const body = JSON.stringify({ clusterName: 'demo' });

async function signed(opts: Parameters<typeof signRequest>[1] = {}, req: RawRequest = buildRequest(ENDPOINT, 'CreateCluster', body)) {
  return signRequest(req, { signingDate: NOW, ...opts });
}

async function refused(req: RawRequest, expected: { name: string; code: string; statusCode: number; message?: RegExp }, now = NOW) {
  await assert.rejects(verifySigV4(toSignable(req), lookup, now), (err: any) => {
    assert.equal(err.name, expected.name);
    assert.equal(err.code, expected.code);
    assert.equal(err.statusCode, expected.statusCode);
    if (expected.message) assert.match(err.message, expected.message);
    return true;
  });
}

const INVALID_SIGNATURE = { name: 'SignatureDoesNotMatchError', code: 'InvalidSignatureException', statusCode: 403 };

describe('verifySigV4, header form', () => {
  it('accepts a request signed as the SDK signs it and reports who signed it, for what scope', async () => {
    const req = await signed();
    assert.ok(hasSignature(toSignable(req)));
    assert.match(req.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIATESTBERTH0000001\/20240601\/us-east-1\/ecs\/aws4_request, SignedHeaders=/);
    const who = await verifySigV4(toSignable(req), lookup, NOW);
    assert.deepEqual(who, { accessKeyId: TEST_CREDENTIALS.accessKeyId, region: 'us-east-1', service: 'ecs' });
  });

  it('accepts a request without x-amz-content-sha256 (the body hash is computed)', async () => {
    const req = await signed({ applyChecksum: false });
    assert.equal(req.headers['x-amz-content-sha256'], undefined);
    assert.ok(await verifySigV4(toSignable(req), lookup, NOW));
  });

  it('a request with no signature is not signed', () => {
    assert.equal(hasSignature(toSignable(buildRequest(ENDPOINT, 'ListClusters'))), false);
  });

  it('refuses a signature made with the wrong secret', async () => {
    const req = await signed({ credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    await refused(req, { ...INVALID_SIGNATURE, message: /^The request signature we calculated does not match the signature you provided/ });
  });

  it('refuses a body changed after signing', async () => {
    const req = await signed();
    await refused({ ...req, body: Buffer.from(JSON.stringify({ clusterName: 'evil' })) }, INVALID_SIGNATURE);
    // also when no payload hash is declared, so the body hash must be recomputed
    const noHash = await signed({ applyChecksum: false });
    await refused({ ...noHash, body: Buffer.from('{"clusterName":"evil"}') }, INVALID_SIGNATURE);
  });

  it('refuses a signed header changed after signing', async () => {
    const req = await signed();
    await refused({ ...req, headers: { ...req.headers, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DeleteCluster' } }, INVALID_SIGNATURE);
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const req = await signed({ credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } });
    await refused(req, {
      name: 'UnrecognizedClientError',
      code: 'UnrecognizedClientException',
      statusCode: 403,
      message: /^The security token included in the request is invalid\.$/,
    });
  });

  it('refuses malformed Authorization headers with IncompleteSignatureException (400)', async () => {
    const req = await signed();
    const auth = req.headers.authorization;
    const incomplete = { name: 'IncompleteSignatureError', code: 'IncompleteSignatureException', statusCode: 400 };
    const variants: [string, RegExp][] = [
      ['AWS4-HMAC-SHA256', /requires 'Credential' parameter/],
      [auth.replace(/Signature=[0-9a-f]+/, ''), /requires 'Signature' parameter/],
      [auth.replace(/, SignedHeaders=[^,]+/, ''), /requires 'SignedHeaders' parameter/],
      [auth.replace('AWS4-HMAC-SHA256', 'AWS3'), /Unsupported authorization algorithm 'AWS3'/],
      ['garbage', /Unsupported authorization algorithm/],
      [auth.replace('/us-east-1/ecs/aws4_request', '/us-east-1/aws4_request'), /Credential should be scoped to a valid region, service and terminated by 'aws4_request'/],
      [auth.replace('/20240601/', '/20240602/'), /Date in Credential scope does not match YYYYMMDD/],
      [auth.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;x-amz-date'), /'Host' or ':authority' must be a 'SignedHeader'/],
      [auth.replace(/SignedHeaders=/, 'SignedHeaders=x-missing;'), /includes header 'x-missing'/],
    ];
    for (const [authorization, message] of variants) {
      await refused({ ...req, headers: { ...req.headers, authorization } }, { ...incomplete, message });
    }
    const noDate = { ...req, headers: { ...req.headers } };
    delete noDate.headers['x-amz-date'];
    await refused(noDate, { ...incomplete, message: /requires existence of either a 'X-Amz-Date' or a 'Date' header/ });
    await refused({ ...req, headers: { ...req.headers, 'x-amz-date': 'yesterday' } }, { ...incomplete, message: /X-Amz-Date must be in the ISO8601 Long Format/ });
  });

  it('refuses a signing time more than 15 minutes in the past: Signature expired', async () => {
    const old = await signed({ signingDate: new Date(NOW.getTime() - MAX_CLOCK_SKEW_MS - MIN) });
    await refused(old, {
      name: 'SignatureExpiredError',
      code: 'InvalidSignatureException',
      statusCode: 403,
      message: /^Signature expired: 20240601T114400Z is now earlier than 20240601T114500Z \(20240601T120000Z - 15 min\.\)$/,
    });
    const withinSkew = await signed({ signingDate: new Date(NOW.getTime() - MAX_CLOCK_SKEW_MS + MIN) });
    assert.ok(await verifySigV4(toSignable(withinSkew), lookup, NOW));
  });

  it('refuses a signing time more than 15 minutes in the future: Signature not yet current', async () => {
    const future = await signed({ signingDate: new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS + MIN) });
    await refused(future, {
      name: 'SignatureExpiredError',
      code: 'InvalidSignatureException',
      statusCode: 403,
      message: /^Signature not yet current: 20240601T121600Z is still later than 20240601T121500Z \(20240601T120000Z \+ 15 min\.\)$/,
    });
    const withinSkew = await signed({ signingDate: new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS - MIN) });
    assert.ok(await verifySigV4(toSignable(withinSkew), lookup, NOW));
  });

  it('reports the scope it was signed for, so a wrong region or service can be refused by the endpoint', async () => {
    const other = await signed({ region: 'eu-west-1', service: 'sqs' });
    assert.deepEqual(await verifySigV4(toSignable(other), lookup, NOW), { accessKeyId: TEST_CREDENTIALS.accessKeyId, region: 'eu-west-1', service: 'sqs' });
  });
});

describe('verifySigV4, presigned-query form', () => {
  it('accepts a presigned POST within its lifetime', async () => {
    const req = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 300, { signingDate: NOW });
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.query['X-Amz-Expires'], '300');
    assert.ok(hasSignature(toSignable(req)));
    const who = await verifySigV4(toSignable(req), lookup, new Date(NOW.getTime() + 299_000));
    assert.equal(who.accessKeyId, TEST_CREDENTIALS.accessKeyId);
  });

  it('refuses a presigned request after it expires', async () => {
    const req = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 60, { signingDate: NOW });
    await refused(
      req,
      { name: 'SignatureExpiredError', code: 'InvalidSignatureException', statusCode: 403, message: /^Signature expired: 20240601T120100Z is now earlier than 20240601T120200Z \(20240601T120000Z \+ 60 sec\.\)$/ },
      new Date(NOW.getTime() + 2 * MIN),
    );
  });

  it('refuses a presigned request dated more than 15 minutes ahead', async () => {
    const req = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 60, { signingDate: new Date(NOW.getTime() + 20 * MIN) });
    await refused(req, { name: 'SignatureExpiredError', code: 'InvalidSignatureException', statusCode: 403, message: /^Signature not yet current/ });
  });

  it('refuses a presigned request whose signature, body or secret is wrong', async () => {
    const req = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 300, { signingDate: NOW });
    await refused({ ...req, query: { ...req.query, 'X-Amz-Signature': '0'.repeat(64) } }, INVALID_SIGNATURE);
    await refused({ ...req, body: Buffer.from('{"maxResults":1}') }, INVALID_SIGNATURE);
    await refused({ ...req, query: { ...req.query, 'X-Amz-Expires': '3000' } }, INVALID_SIGNATURE);
    const wrong = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 300, {
      signingDate: NOW,
      credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'nope' },
    });
    await refused(wrong, INVALID_SIGNATURE);
  });

  it('refuses incomplete or malformed presigned parameters with IncompleteSignatureException', async () => {
    const req = await presignRequest(buildRequest(ENDPOINT, 'ListClusters', '{}'), 300, { signingDate: NOW });
    const incomplete = { name: 'IncompleteSignatureError', code: 'IncompleteSignatureException', statusCode: 400 };
    const without = { ...req, query: { ...req.query } };
    delete without.query['X-Amz-Credential'];
    await refused(without, { ...incomplete, message: /'X-Amz-Credential'/ });
    await refused({ ...req, query: { ...req.query, 'X-Amz-Expires': '604801' } }, { ...incomplete, message: /X-Amz-Expires must be/ });
    await refused({ ...req, query: { ...req.query, 'X-Amz-Algorithm': 'AWS4-HMAC-SHA1' } }, { ...incomplete, message: /X-Amz-Algorithm only supports/ });
  });
});
