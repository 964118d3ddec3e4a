/** BERTH_LB_WORKERS / lbWorkers: the load balancer's worker processes option. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { compileBerthOptions, OptionsError } from './index.js';

describe('lbWorkers', () => {
  it('defaults to 0 (requests served in Berth\'s own event loop)', () => {
    assert.equal(compileBerthOptions({}, {}).lbWorkers, 0);
  });
  it('reads BERTH_LB_WORKERS, and the option wins over it', () => {
    assert.equal(compileBerthOptions({}, { BERTH_LB_WORKERS: '2' }).lbWorkers, 2);
    assert.equal(compileBerthOptions({ lbWorkers: 4 }, { BERTH_LB_WORKERS: '2' }).lbWorkers, 4);
  });
  it('auto is one worker per CPU, as nginx\'s worker_processes auto', () => {
    assert.equal(compileBerthOptions({}, { BERTH_LB_WORKERS: 'auto' }).lbWorkers, Math.min(64, os.availableParallelism()));
    assert.equal(compileBerthOptions({ lbWorkers: 'auto' }, {}).lbWorkers, Math.min(64, os.availableParallelism()));
  });
  it('refuses what is not a whole number from 0 to 64 or auto', () => {
    for (const bad of ['-1', '1.5', 'two', '65', 'AUTO']) {
      assert.throws(() => compileBerthOptions({}, { BERTH_LB_WORKERS: bad }), (e: Error) => e instanceof OptionsError && e.message.includes(`BERTH_LB_WORKERS must be a whole number from 0 to 64, or auto (one per CPU); got '${bad}'`));
    }
  });
});
