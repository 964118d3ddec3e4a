/**
 * Durability: kill -9 in the middle of a burst of RegisterTaskDefinition calls loses no
 * acknowledged write and leaves nothing half-made; a restart serves the same state.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStoredCredentials } from '../../src/identity/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { callEcs, type SignOptions } from '../fixtures/sign.js';

const FAMILIES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const WORKERS_PER_FAMILY = 4;
/** Kill once this many registrations have been acknowledged. */
const KILL_AFTER_ACKS = 90;

/** The body of registration `seq` by `worker` of `family`: each is recognisable afterwards. */
function registration(family: string, worker: number, seq: number) {
  const token = `${family}-${worker}-${seq}`;
  return {
    family,
    containerDefinitions: [
      { name: 'app', image: `registry.example/${family}:${seq}`, memory: 128, essential: true, environment: [{ name: 'TOKEN', value: token }] },
      { name: 'sidecar', image: 'busybox', memory: 64, essential: false, command: ['sleep', '3600'] },
    ],
    tags: [{ key: 'token', value: token }],
  };
}

function tokenOf(td: any): string | undefined {
  return td?.containerDefinitions?.find((c: any) => c.name === 'app')?.environment?.find((e: any) => e.name === 'TOKEN')?.value;
}

async function ok(endpoint: string, op: string, body: object, opts?: SignOptions): Promise<any> {
  const res = await callEcs(endpoint, op, body, opts);
  assert.equal(res.status, 200, `${op}: ${res.body}`);
  return res.json();
}

async function listAll(endpoint: string, op: string, body: object, key: string): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ok(endpoint, op, { ...body, nextToken, maxResults: 100 });
    out.push(...page[key]);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

describe('durability across kill -9 and restart', () => {
  const dirs: string[] = [];
  const running: TestBerth[] = [];
  const newDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'berth-durable-'));
    dirs.push(d);
    return d;
  };
  const start = async (opts: Parameters<typeof startBerthProcess>[0]) => {
    const b = await startBerthProcess(opts);
    running.push(b);
    return b;
  };
  after(async () => {
    for (const b of running) await b.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged RegisterTaskDefinition, with contiguous revisions and nothing half-made', async () => {
    const dataDir = newDir();
    const first = await start({ dataDir });
    const cluster = (await ok(first.endpoint, 'CreateCluster', { clusterName: 'keep' })).cluster;

    const acked = new Map<string, any>(); // arn -> taskDefinition as acknowledged
    const sent = new Set<string>(); // every token sent, acknowledged or not
    let killing: Promise<void> | undefined;
    const worker = async (family: string, w: number) => {
      for (let seq = 0; ; seq++) {
        const body = registration(family, w, seq);
        sent.add(tokenOf(body)!);
        let res;
        try {
          res = await callEcs(first.endpoint, 'RegisterTaskDefinition', body);
        } catch {
          return; // the connection died with Berth: this call was never acknowledged
        }
        assert.equal(res.status, 200, res.body);
        const td = res.json().taskDefinition;
        assert.equal(tokenOf(td), tokenOf(body));
        acked.set(td.taskDefinitionArn, td);
        if (acked.size >= KILL_AFTER_ACKS && !killing) killing = first.kill9();
      }
    };
    await Promise.all(FAMILIES.flatMap((f) => Array.from({ length: WORKERS_PER_FAMILY }, (_, w) => worker(f, w))));
    await killing;
    assert.ok(acked.size >= KILL_AFTER_ACKS);
    assert.equal(first.process.signalCode, 'SIGKILL');

    const second = await start({ dataDir });
    for (const [arn, td] of acked) {
      const described = await ok(second.endpoint, 'DescribeTaskDefinition', { taskDefinition: arn, include: ['TAGS'] });
      assert.deepEqual(described.taskDefinition, td, `${arn} is there, unchanged`);
      assert.deepEqual(described.tags, [{ key: 'token', value: tokenOf(td) }]);
    }

    const families = await listAll(second.endpoint, 'ListTaskDefinitionFamilies', {}, 'families');
    assert.deepEqual(families.sort(), [...FAMILIES].sort());
    let total = 0;
    for (const family of FAMILIES) {
      const arns = await listAll(second.endpoint, 'ListTaskDefinitions', { familyPrefix: family }, 'taskDefinitionArns');
      const revisions = arns.map((a) => Number(a.split(':').pop())).sort((a, b) => a - b);
      assert.deepEqual(revisions, revisions.map((_, i) => i + 1), `${family}: revisions contiguous from 1`);
      const ackedHere = [...acked.values()].filter((td) => td.family === family).length;
      assert.ok(revisions.length >= ackedHere, `${family}: ${revisions.length} stored >= ${ackedHere} acknowledged`);
      total += revisions.length;
      for (const arn of arns) {
        // whatever committed (acknowledged or caught in flight) is whole: its containers, tags and token
        const d = await ok(second.endpoint, 'DescribeTaskDefinition', { taskDefinition: arn, include: ['TAGS'] });
        assert.equal(d.taskDefinition.status, 'ACTIVE');
        assert.deepEqual(d.taskDefinition.containerDefinitions.map((c: any) => c.name), ['app', 'sidecar']);
        const token = tokenOf(d.taskDefinition)!;
        assert.ok(sent.has(token), `${arn} holds a registration that was sent`);
        assert.ok(token.startsWith(`${family}-`));
        assert.deepEqual(d.tags, [{ key: 'token', value: token }]);
      }
    }
    const everything = await listAll(second.endpoint, 'ListTaskDefinitions', {}, 'taskDefinitionArns');
    assert.equal(everything.length, total, 'no task definition outside the families');
    assert.ok(total <= sent.size);

    // the restarted Berth serves the same cluster, in the same account, and keeps registering
    const clusters = await ok(second.endpoint, 'DescribeClusters', { clusters: ['keep'] });
    assert.equal(clusters.clusters[0].clusterArn, cluster.clusterArn);
    assert.equal(clusters.clusters[0].status, 'ACTIVE');
    const next = await ok(second.endpoint, 'RegisterTaskDefinition', registration('alpha', 99, 0));
    const alphaCount = (await listAll(second.endpoint, 'ListTaskDefinitions', { familyPrefix: 'alpha' }, 'taskDefinitionArns')).length;
    assert.equal(next.taskDefinition.revision, alphaCount, 'the next revision follows the last stored one');
  });

  it('a restart serves the same clusters, account id and stored credentials', async () => {
    const dataDir = newDir();
    const first = await start({ dataDir, fixedCredentials: false });
    const stored = readStoredCredentials(dataDir);
    assert.ok(stored, 'credentials.json was written at first start');
    const creds = { credentials: stored };
    const created = await ok(first.endpoint, 'CreateCluster', { clusterName: 'survivor', tags: [{ key: 'k', value: 'v' }] }, creds);
    await ok(first.endpoint, 'UpdateClusterSettings', { cluster: 'survivor', settings: [{ name: 'containerInsights', value: 'enabled' }] }, creds);
    await ok(first.endpoint, 'CreateCluster', { clusterName: 'doomed' }, creds);
    await ok(first.endpoint, 'DeleteCluster', { cluster: 'doomed' }, creds);
    const account = created.cluster.clusterArn.split(':')[4];
    assert.match(account, /^\d{12}$/);
    await first.kill9();

    const second = await start({ dataDir, fixedCredentials: false });
    assert.deepEqual(readStoredCredentials(dataDir), stored, 'the key pair is not replaced');
    const described = await ok(second.endpoint, 'DescribeClusters', { clusters: ['survivor', 'doomed'], include: ['TAGS', 'SETTINGS'] }, creds);
    const survivor = described.clusters.find((c: any) => c.clusterName === 'survivor');
    assert.equal(survivor.clusterArn, created.cluster.clusterArn, 'same ARN, so same account id');
    assert.deepEqual(survivor.tags, [{ key: 'k', value: 'v' }]);
    assert.deepEqual(survivor.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    assert.equal(described.clusters.find((c: any) => c.clusterName === 'doomed')?.status ?? 'INACTIVE', 'INACTIVE');
    const list = await ok(second.endpoint, 'ListClusters', {}, creds);
    assert.deepEqual(list.clusterArns, [created.cluster.clusterArn]);
    const made = await ok(second.endpoint, 'CreateCluster', { clusterName: 'after' }, creds);
    assert.equal(made.cluster.clusterArn.split(':')[4], account);

    // a graceful stop keeps it all too
    assert.equal(await second.stop(), 0);
    const third = await start({ dataDir, fixedCredentials: false });
    const again = await ok(third.endpoint, 'ListClusters', {}, creds);
    assert.deepEqual(again.clusterArns.sort(), [created.cluster.clusterArn, made.cluster.clusterArn].sort());
    // the test key pair is not accepted by a Berth that has its own
    const refused = await callEcs(third.endpoint, 'ListClusters', {});
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-amzn-errortype'], 'UnrecognizedClientException');
  });
});
