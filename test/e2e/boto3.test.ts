/**
 * Clients other than the JS SDK: boto3, and the AWS CLI (v1 on PATH, v2 at /usr/bin/aws)
 * configured only by the exports `berth env` prints.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AWS_CLI_V2, BERTH_BIN, startBerthProcess, type TestBerth } from '../fixtures/berth.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string) {
  return spawnSync(cmd, args, { env, input, encoding: 'utf8', timeout: 120_000 });
}

const hasBoto3 = run('python3', ['-c', 'import boto3'], process.env).status === 0;

const BOTO3_SCRIPT = String.raw`
import json, os, sys
import boto3
ecs = boto3.client('ecs', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
out = {}
out['create'] = ecs.create_cluster(clusterName='boto', tags=[{'key': 'via', 'value': 'boto3'}])['cluster']
out['list'] = ecs.list_clusters()['clusterArns']
out['describe'] = ecs.describe_clusters(clusters=['boto', 'nope'], include=['TAGS'])
out['describe'].pop('ResponseMetadata')
try:
    ecs.delete_cluster(cluster='nope')
    out['error'] = None
except ecs.exceptions.ClusterNotFoundException as e:
    out['error'] = e.response['Error']
reg = ecs.register_task_definition(family='boto-web', containerDefinitions=[{'name': 'web', 'image': 'nginx:1.27', 'memory': 256, 'portMappings': [{'containerPort': 80}]}])
out['registered'] = reg['taskDefinition']
out['taskDefinitions'] = ecs.list_task_definitions(familyPrefix='boto-web')['taskDefinitionArns']
# ListTaskDefinitions' familyPrefix is the full family name, as in AWS; ListTaskDefinitionFamilies' is a prefix
out['byPrefix'] = ecs.list_task_definitions(familyPrefix='boto')['taskDefinitionArns']
out['families'] = ecs.list_task_definition_families(familyPrefix='boto')['families']
print(json.dumps(out, default=str))
`;

describe('boto3 against Berth', { skip: hasBoto3 ? false : 'python3 with boto3 is not installed (pip install boto3)' }, () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => berth.cleanup());

  it('creates, lists and describes clusters, registers and lists task definitions', () => {
    const r = run('python3', ['-c', BOTO3_SCRIPT], { ...berth.awsEnv(), PYTHONWARNINGS: 'ignore' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.create.clusterName, 'boto');
    assert.match(out.create.clusterArn, /^arn:aws:ecs:us-east-1:\d{12}:cluster\/boto$/);
    assert.deepEqual(out.list, [out.create.clusterArn]);
    assert.equal(out.describe.clusters.length, 1);
    assert.deepEqual(out.describe.clusters[0].tags, [{ key: 'via', value: 'boto3' }]);
    assert.deepEqual(out.describe.failures, [{ arn: out.create.clusterArn.replace('/boto', '/nope'), reason: 'MISSING' }]);
    assert.equal(out.error.Code, 'ClusterNotFoundException');
    assert.equal(out.registered.family, 'boto-web');
    assert.equal(out.registered.revision, 1);
    assert.equal(out.registered.containerDefinitions[0].image, 'nginx:1.27');
    assert.deepEqual(out.taskDefinitions, [out.registered.taskDefinitionArn]);
    assert.deepEqual(out.byPrefix, []);
    assert.deepEqual(out.families, ['boto-web']);
  });
});

/** An environment with nothing AWS-related in it but a pager switched off and no config files. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('BERTH_')) env[k] = v;
  return { ...env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
}

function cliVersion(cmd: string): string | undefined {
  const r = run(cmd, ['--version'], cleanEnv());
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
}

describe('berth env', () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess({ fixedCredentials: false });
  });
  after(async () => berth.cleanup());

  const env = () => run(process.execPath, [BERTH_BIN, 'env', '--data-dir', berth.dataDir], cleanEnv());

  it('prints shell exports of the endpoint, the stored key pair and the region', () => {
    const r = env();
    assert.equal(r.status, 0, r.stderr);
    const vars = Object.fromEntries([...r.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
    assert.equal(vars.AWS_ENDPOINT_URL, berth.endpoint);
    assert.match(vars.AWS_ACCESS_KEY_ID, /^AKIA[A-Z0-9]{16}$/);
    assert.ok(vars.AWS_SECRET_ACCESS_KEY.length >= 40);
    assert.equal(vars.AWS_REGION, 'us-east-1');
    assert.equal(vars.AWS_DEFAULT_REGION, 'us-east-1');
  });

  const v1 = cliVersion('aws');
  const isV1 = v1?.startsWith('aws-cli/1.');
  it('exports that the AWS CLI v1 on PATH uses to reach Berth', { skip: isV1 ? false : `no AWS CLI v1 on PATH (found: ${v1 ?? 'none'})` }, () => {
    const script = `eval "$("${process.execPath}" "${BERTH_BIN}" env --data-dir "${berth.dataDir}")" && aws ecs create-cluster --cluster-name from-cli-v1 --output json && aws ecs list-clusters --endpoint-url "$AWS_ENDPOINT_URL" --output json`;
    const r = run('bash', ['-c', script], cleanEnv());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"clusterName": "from-cli-v1"/);
    assert.match(r.stdout, /cluster\/from-cli-v1"/);
  });

  const v2 = existsSync(AWS_CLI_V2) ? cliVersion(AWS_CLI_V2) : undefined;
  it('exports that the AWS CLI v2 uses to reach Berth', { skip: v2?.startsWith('aws-cli/2.') ? false : `the AWS CLI v2 is not installed at ${AWS_CLI_V2} (apt-get install awscli)` }, () => {
    // AWS CLI v2 before 2.13 ignores AWS_ENDPOINT_URL, so pass it as --endpoint-url, as the README does.
    const script = `eval "$("${process.execPath}" "${BERTH_BIN}" env --data-dir "${berth.dataDir}")" && ${AWS_CLI_V2} ecs create-cluster --cluster-name from-cli-v2 --endpoint-url "$AWS_ENDPOINT_URL" --output json && ${AWS_CLI_V2} ecs describe-clusters --clusters from-cli-v2 --endpoint-url "$AWS_ENDPOINT_URL" --output json`;
    const r = run('bash', ['-c', script], cleanEnv());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"clusterName": "from-cli-v2"/);
    assert.match(r.stdout, /"status": "ACTIVE"/);
  });

  it('the CLI with a secret other than the exported one is refused', { skip: isV1 ? false : 'no AWS CLI v1 on PATH' }, () => {
    const script = `eval "$("${process.execPath}" "${BERTH_BIN}" env --data-dir "${berth.dataDir}")" && AWS_SECRET_ACCESS_KEY=wrong aws ecs list-clusters --endpoint-url "$AWS_ENDPOINT_URL"`;
    const r = run('bash', ['-c', script], { ...cleanEnv(), AWS_MAX_ATTEMPTS: '1' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /InvalidSignatureException/);
  });
});
