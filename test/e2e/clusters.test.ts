import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ListClustersCommand,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

describe('ECS clusters through @aws-sdk/client-ecs', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  before(async () => {
    berth = await startBerthProcess();
    ecs = berth.ecs();
  });
  after(async () => berth.cleanup());

  it('creates, describes, lists, updates and deletes a cluster', async () => {
    const created = await ecs.send(new CreateClusterCommand({ clusterName: 'demo', tags: [{ key: 'team', value: 'core' }] }));
    assert.equal(created.cluster?.clusterName, 'demo');
    assert.equal(created.cluster?.status, 'ACTIVE');
    assert.match(created.cluster!.clusterArn!, /^arn:aws:ecs:us-east-1:\d{12}:cluster\/demo$/);
    assert.deepEqual(created.cluster?.tags, [{ key: 'team', value: 'core' }]);

    const again = await ecs.send(new CreateClusterCommand({ clusterName: 'demo' }));
    assert.equal(again.cluster?.clusterArn, created.cluster?.clusterArn, 'CreateCluster is idempotent for an ACTIVE name');

    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['demo', 'missing'], include: ['TAGS', 'SETTINGS', 'STATISTICS'] }));
    assert.equal(described.clusters?.length, 1);
    assert.deepEqual(described.clusters?.[0].tags, [{ key: 'team', value: 'core' }]);
    assert.deepEqual(described.clusters?.[0].settings, [{ name: 'containerInsights', value: 'disabled' }]);
    assert.ok(described.clusters?.[0].statistics?.some((s) => s.name === 'runningFargateTasksCount'));
    assert.deepEqual(described.failures, [{ arn: created.cluster!.clusterArn!.replace('demo', 'missing'), reason: 'MISSING' }]);

    const updated = await ecs.send(new UpdateClusterSettingsCommand({ cluster: 'demo', settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    assert.deepEqual(updated.cluster?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    const updated2 = await ecs.send(
      new UpdateClusterCommand({ cluster: created.cluster!.clusterArn!, configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } } }),
    );
    assert.equal(updated2.cluster?.configuration?.executeCommandConfiguration?.logging, 'DEFAULT');

    await ecs.send(new TagResourceCommand({ resourceArn: created.cluster!.clusterArn!, tags: [{ key: 'env', value: 'dev' }] }));
    await ecs.send(new UntagResourceCommand({ resourceArn: created.cluster!.clusterArn!, tagKeys: ['team'] }));
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: created.cluster!.clusterArn! }));
    assert.deepEqual(tags.tags, [{ key: 'env', value: 'dev' }]);

    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: 'demo' }));
    assert.equal(deleted.cluster?.status, 'INACTIVE');
    const list = await ecs.send(new ListClustersCommand({}));
    assert.deepEqual(list.clusterArns, []);
    const inactive = await ecs.send(new DescribeClustersCommand({ clusters: ['demo'] }));
    assert.equal(inactive.clusters?.[0].status, 'INACTIVE');
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: 'never' })), { name: 'ClusterNotFoundException' });
  });

  it('pages ListClusters with maxResults and nextToken', async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) await ecs.send(new CreateClusterCommand({ clusterName: n }));
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken }));
      assert.ok(page.clusterArns!.length <= 2);
      seen.push(...page.clusterArns!);
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((a) => a.split('/')[1]), ['p1', 'p2', 'p3', 'p4', 'p5']);
    await assert.rejects(ecs.send(new ListClustersCommand({ maxResults: 101 })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new ListClustersCommand({ nextToken: 'garbage' })), { name: 'InvalidParameterException' });
  });

  it('refuses bad cluster names and settings with InvalidParameterException', async () => {
    await assert.rejects(ecs.send(new CreateClusterCommand({ clusterName: 'bad name!' })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new CreateClusterCommand({ clusterName: 'x'.repeat(256) })), { name: 'InvalidParameterException' });
    await assert.rejects(
      ecs.send(new CreateClusterCommand({ clusterName: 'ok', settings: [{ name: 'containerInsights', value: 'sometimes' }] })),
      /containerInsights/,
    );
  });
});
