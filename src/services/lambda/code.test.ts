/** storeCode: unpacking deployment packages without a system `unzip`, and refusing bad ones. */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_UNZIPPED_BYTES, storeCode, taskRoot } from './code.js';
import { zipOf } from './test-support.js';

const roots: string[] = [];
const newRoot = () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-code-'));
  roots.push(root);
  return root;
};
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** Every path under `dir`, relative, sorted. */
const tree = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();

/** Asserts storeCode refuses `zip` with `message` and leaves no folder behind (staging included). */
async function refused(root: string, zip: Buffer, message: RegExp): Promise<void> {
  await assert.rejects(storeCode(root, 'fn', zip), (err: any) => {
    assert.equal(err.code, 'InvalidParameterValueException', err.message);
    assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(tree(root), ['tmp'], 'nothing but the empty staging parent is left');
}

const UNZIP_FAILED = /^Could not unzip uploaded file\. Please check your file, then try to upload again\.$/;

describe('storeCode', () => {
  it('unpacks nested folders with the archive\'s modes (executable bootstrap), 0644 without one, and skips symlinks', async () => {
    const root = newRoot();
    const zip = zipOf(
      {
        'bin/': '',
        'bin/bootstrap': '#!/bin/sh\necho hi\n',
        'lib/deep/data.txt': 'deep',
        'index.js': 'exports.handler = async () => 1;\n',
        'dos.txt': 'no unix mode',
        'escape': '/etc/passwd',
      },
      { modes: { 'bin/bootstrap': 0o100755, 'index.js': 0o100600, 'dos.txt': 0, escape: 0o120777 } },
    );
    const stored = await storeCode(root, 'fn', zip);
    const dir = taskRoot(root, 'fn', stored.codeDir);
    assert.deepEqual(tree(dir), ['bin', 'bin/bootstrap', 'dos.txt', 'index.js', 'lib', 'lib/deep', 'lib/deep/data.txt']);
    assert.equal(readFileSync(path.join(dir, 'bin/bootstrap'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(readFileSync(path.join(dir, 'lib/deep/data.txt'), 'utf8'), 'deep');
    assert.equal(statSync(path.join(dir, 'bin/bootstrap')).mode & 0o777, 0o755);
    assert.equal(statSync(path.join(dir, 'index.js')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(dir, 'dos.txt')).mode & 0o777, 0o644);
    assert.ok(statSync(path.join(dir, 'lib/deep')).isDirectory());
    assert.equal(existsSync(path.join(dir, 'escape')), false, 'symlink entries are not made');
    assert.equal(stored.codeSize, zip.length);
    assert.deepEqual(readdirSync(path.join(root, 'tmp')), [], 'staging is gone after the rename');
  });

  it('refuses a malformed or truncated zip with Lambda\'s message', async () => {
    const root = newRoot();
    await refused(root, Buffer.from('not a zip at all'), UNZIP_FAILED);
    const good = zipOf({ 'index.js': 'x'.repeat(1000) });
    await refused(root, good.subarray(0, good.length - 30), UNZIP_FAILED);
    // A damaged deflate stream passes the directory check and fails while streaming: staging is removed.
    const damaged = Buffer.from(zipOf({ 'a.txt': 'fine', 'b.txt': 'y'.repeat(5000) }));
    damaged.fill(0xff, 30 + 5 + 6 + 30 + 5, 30 + 5 + 6 + 30 + 5 + 8);
    await refused(root, damaged, UNZIP_FAILED);
  });

  it('refuses entries that climb out of the folder or are absolute, writing nothing outside', async () => {
    const root = newRoot();
    await refused(root, zipOf({ 'index.js': 'ok', '../evil': 'bad' }), UNZIP_FAILED);
    await refused(root, zipOf({ 'index.js': 'ok', 'a/../../../evil': 'bad' }), UNZIP_FAILED);
    const absolute = path.join(root, 'abs-evil');
    await refused(root, zipOf({ [absolute]: 'bad' }), UNZIP_FAILED);
    assert.equal(existsSync(absolute), false);
    assert.equal(existsSync(path.join(root, 'evil')), false);
    assert.equal(existsSync(path.join(path.dirname(root), 'evil')), false);
  });

  it('refuses a package whose central directory claims more than the unzipped limit, before writing', async () => {
    const root = newRoot();
    const zip = zipOf({ 'index.js': 'ok', 'big.bin': 'small really' }, { claimedSizes: { 'big.bin': MAX_UNZIPPED_BYTES } });
    await refused(root, zip, new RegExp(`^Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes$`));
  });

  it('refuses an entry that holds more data than its declared size (so the size limit cannot be dodged)', async () => {
    const root = newRoot();
    await refused(root, zipOf({ 'index.js': 'z'.repeat(100_000) }, { claimedSizes: { 'index.js': 10 } }), UNZIP_FAILED);
    assert.equal(lstatSync(path.join(root, 'tmp')).isDirectory(), true);
  });
});
