import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateClusterCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

describe('berth up: start, health, credentials, graceful stop', () => {
  const started: TestBerth[] = [];
  after(async () => {
    for (const b of started) await b.cleanup();
  });

  it('makes a root key pair at first start, stores it mode 0600, and serves requests signed with it', async () => {
    const berth = await startBerthProcess({ fixedCredentials: false });
    started.push(berth);
    const file = path.join(berth.dataDir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    assert.match(stored.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(stored.secretAccessKey.length, 40);
    assert.match(berth.output(), new RegExp(`Made a root access key ${stored.accessKeyId}`));
    assert.ok(!berth.output().includes(stored.secretAccessKey), 'the secret is never printed by berth up');

    const health = await fetch(`${berth.endpoint}/_berth/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });

    const { ECSClient } = await import('@aws-sdk/client-ecs');
    const ecs = new ECSClient({ endpoint: berth.endpoint, region: berth.region, credentials: stored, maxAttempts: 1 });
    try {
      const res = await ecs.send(new CreateClusterCommand({ clusterName: 'keyed' }));
      assert.equal(res.cluster?.status, 'ACTIVE');
    } finally {
      ecs.destroy();
    }
  });

  it('stops on SIGTERM with exit code 0 and keeps its state for the next start', async () => {
    const first = await startBerthProcess();
    started.push(first);
    const ecs = first.ecs();
    const created = await ecs.send(new CreateClusterCommand({ clusterName: 'kept' }));
    const code = await first.stop();
    assert.equal(code, 0);
    assert.match(first.output(), /Berth stopped\./);

    const second = await startBerthProcess({ dataDir: first.dataDir });
    started.push(second);
    const list = await second.ecs().send(new ListClustersCommand({}));
    assert.deepEqual(list.clusterArns, [created.cluster!.clusterArn], 'same account id and same clusters after a restart');
  });

  it('refuses a port already in use with a clear error and a non-zero exit', async () => {
    const first = await startBerthProcess();
    started.push(first);
    const { spawnSync } = await import('node:child_process');
    const { BERTH_BIN } = await import('../fixtures/berth.js');
    const port = new URL(first.endpoint).port;
    const r = spawnSync(process.execPath, [BERTH_BIN, 'up', '--port', port, '--data-dir', first.dataDir + '-other'], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /EADDRINUSE|in use/);
  });
});
