import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { OptionsError } from '../config/index.js';
import { compileRuntimeOptions, DEFAULT_PORT_RANGE } from './options.js';

test('defaults: <dataDir>/runtime, the default port range, 250 ms memory checks', () => {
  const o = compileRuntimeOptions({ dataDir: '/data' }, {});
  assert.deepEqual(o, { stateDir: '/data/runtime', portRange: DEFAULT_PORT_RANGE, memoryCheckIntervalMs: 250 });
  assert.equal(compileRuntimeOptions({}, { BERTH_DATA_DIR: '/d' }).stateDir, path.resolve('/d/runtime'));
});

test('the port range comes from options or BERTH_PORT_RANGE', () => {
  assert.deepEqual(compileRuntimeOptions({ dataDir: '/d' }, { BERTH_PORT_RANGE: '32768-60999' }).portRange, { from: 32768, to: 60999 });
  assert.deepEqual(compileRuntimeOptions({ dataDir: '/d', portRange: { from: 2000, to: 2001 } }, {}).portRange, { from: 2000, to: 2001 });
});

test('every problem is reported at once', () => {
  assert.throws(
    () => compileRuntimeOptions({ dataDir: '/d', portRange: '9-2', memoryCheckIntervalMs: 1 }, {}),
    (e: unknown) => e instanceof OptionsError && /port range must be "from-to".*got '9-2'/.test(e.message) && /memoryCheckIntervalMs/.test(e.message),
  );
  assert.throws(() => compileRuntimeOptions({ dataDir: '/d', portRange: '1-70000' }, {}), OptionsError);
});
