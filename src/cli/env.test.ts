import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveClientTarget } from './env.js';

describe('where client commands (berth logs, berth deployments) find Berth', () => {
  const shell = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4999', AWS_ACCESS_KEY_ID: 'AKIASHELL00000000001', AWS_SECRET_ACCESS_KEY: 'shell-secret-0123456789', AWS_REGION: 'eu-west-1' };

  it("a shell set up by 'berth env' (AWS_ENDPOINT_URL and keys) names the Berth when no flag or BERTH_* variable does", () => {
    assert.deepEqual(resolveClientTarget({}, shell), {
      endpoint: 'http://127.0.0.1:4999',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIASHELL00000000001', secretAccessKey: 'shell-secret-0123456789' },
    });
    assert.equal(resolveClientTarget({ region: 'us-west-2' }, shell)?.region, 'us-west-2', '--region still wins');
  });

  it('a data dir named by a flag or BERTH_DATA_DIR wins over the shell, and the shell needs all three variables', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-env-test-'));
    try {
      // An empty data dir has no credentials: undefined, rather than the shell's Berth.
      assert.equal(resolveClientTarget({ dataDir: dir }, shell), undefined);
      assert.equal(resolveClientTarget({}, { ...shell, BERTH_DATA_DIR: dir }), undefined);
      // No secret in the shell: the default data dir (here under an empty XDG_DATA_HOME) is looked at instead.
      assert.equal(resolveClientTarget({}, { AWS_ENDPOINT_URL: shell.AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID: shell.AWS_ACCESS_KEY_ID, XDG_DATA_HOME: dir }), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
