import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTestImage } from '../images/index.js';
import { DriverError } from '../runtime/index.js';
import { chooseDriver, createDriverSet, type DriverSet } from './drivers.js';

describe('driver choice (berth:driver)', () => {
  let tmp: string;
  let set: DriverSet;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-drivers-'));
    set = await createDriverSet({ dataDir: tmp, portRange: '42300-42310' });
    await writeTestImage(path.join(tmp, 'img'), 'oci-layout');
    await set.images.import(path.join(tmp, 'img'), 'tiny:1');
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('process is always the process driver', async () => {
    assert.equal((await chooseDriver(set, 'process', ['tiny:1'])).name, 'process');
  });

  it('oci fails the task with ResourceInitializationError where the oci driver cannot run', async () => {
    const without: DriverSet = { ...set, oci: undefined, ociUnavailable: 'runc was not found' };
    await assert.rejects(chooseDriver(without, 'oci', ['tiny:1']), (e: unknown) => {
      assert.ok(e instanceof DriverError);
      assert.equal(e.code, 'ResourceInitializationError');
      assert.match(e.reason, /berth:driver=oci.*runc was not found/);
      return true;
    });
  });

  it('auto takes process when the oci driver is unusable or an image is not in the store', async () => {
    assert.equal((await chooseDriver({ ...set, oci: undefined }, 'auto', ['tiny:1'])).name, 'process');
    assert.equal((await chooseDriver(set, 'auto', ['tiny:1', 'absent:2'])).name, 'process');
    assert.equal((await chooseDriver(set, 'auto', ['not a valid reference!'])).name, 'process');
  });

  it('auto takes oci when it is usable and every image resolves', { skip: process.getuid?.() !== 0 ? 'the oci driver needs root' : undefined }, async (t) => {
    if (!set.oci) return t.skip(`the oci driver is not usable here: ${set.ociUnavailable}`);
    assert.equal((await chooseDriver(set, 'auto', ['tiny:1'])).name, 'oci');
  });
});
