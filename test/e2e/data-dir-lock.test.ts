import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

describe('one Berth per data dir', () => {
  const started: TestBerth[] = [];
  after(async () => {
    for (const b of started.reverse()) await b.cleanup();
  });

  it('a second berth up on the same data dir refuses to start, naming the running one; after a kill -9 the next one starts', async () => {
    const first = await startBerthProcess();
    started.push(first);
    await assert.rejects(startBerthProcess({ dataDir: first.dataDir }), (err: Error) => {
      assert.match(err.message, /exited with 1 before starting/);
      assert.match(err.message, new RegExp(`another Berth is running on the data dir .*\\(pid ${first.process.pid}, ${first.endpoint.replace(/[.]/g, '\\.')}\\)`));
      return true;
    });
    // The first one still serves, untouched by the attempt.
    assert.ok(Array.isArray((await first.ecs().send(new ListClustersCommand({}))).clusterArns));
    await first.kill9();
    const second = await startBerthProcess({ dataDir: first.dataDir });
    started.push(second);
    assert.ok(Array.isArray((await second.ecs().send(new ListClustersCommand({}))).clusterArns));
  });
});
