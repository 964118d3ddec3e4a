import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, lstat, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageError, ImageNotFoundError, busyboxRootfs, busyboxSkipReason, openImageStore, writeTestImage, type ImageStore } from './index.js';

const skip = busyboxSkipReason();

describe('image store', { skip }, () => {
  let tmp: string;
  let store: ImageStore;
  const blobCount = async () => (await readdir(path.join(store.root, 'blobs', 'sha256'))).length;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-images-'));
    store = openImageStore(path.join(tmp, 'data'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('imports an OCI layout, an OCI archive and a docker-save tar, and lists them', async () => {
    const layout = await writeTestImage(path.join(tmp, 'layout'), 'oci-layout', { config: { Env: ['PATH=/bin'], Cmd: ['httpd', '-f'], WorkingDir: '/www' } });
    await writeTestImage(path.join(tmp, 'image.tar'), 'oci-archive');
    await writeTestImage(path.join(tmp, 'saved.tar'), 'docker-save', { name: 'web:1' });
    const a = await store.import(path.join(tmp, 'layout'), 'busybox:latest');
    assert.equal(a.manifestDigest, layout.manifestDigest);
    assert.equal(a.id, layout.configDigest);
    assert.deepEqual(a.config.Cmd, ['httpd', '-f']);
    assert.equal(a.layers[0].gzip, true);
    await store.import(path.join(tmp, 'image.tar'), 'localhost/archive:2');
    const c = await store.import(path.join(tmp, 'saved.tar'), 'web:1');
    assert.equal(c.layers[0].gzip, false);
    assert.deepEqual(
      (await store.list()).map((i) => `${i.name}:${i.tag}`),
      ['busybox:latest', 'localhost/archive:2', 'web:1'],
    );
  });

  it('stores a layer once however many images use it, and collects it when the last one goes', async () => {
    const before = await blobCount();
    await writeTestImage(path.join(tmp, 'same'), 'oci-layout', { config: { Cmd: ['true'] } }); // same layer, new config
    await store.import(path.join(tmp, 'same'), 'same:1');
    assert.equal(await blobCount(), before + 2, 'only the new config and manifest are added');
    await store.import(path.join(tmp, 'same'), 'same:2'); // a second tag of the same image adds nothing
    assert.equal(await blobCount(), before + 2);
    await store.remove('same:1');
    assert.equal(await blobCount(), before + 2, 'same:2 still uses them');
    await store.remove('same:2');
    assert.equal(await blobCount(), before);
    await assert.rejects(store.remove('same:2'), /no such image: same:2/);
  });

  it('refuses a layer whose content does not match its digest, and stores nothing of it', async () => {
    const dir = path.join(tmp, 'corrupt');
    const img = await writeTestImage(dir, 'oci-layout', { layers: [[{ type: 'file', name: 'x', content: 'original' }]] });
    const layerFile = path.join(dir, 'blobs', 'sha256', img.layerDigests[0].slice(7));
    const bytes = await readFile(layerFile);
    bytes[bytes.length - 12] ^= 0xff;
    await writeFile(layerFile, bytes);
    const count = await blobCount();
    await assert.rejects(store.import(dir, 'corrupt:1'), (err: Error) => err instanceof ImageError && /layer sha256:[a-f0-9]{64} failed verification: its content has digest sha256:/.test(err.message));
    assert.equal(await blobCount(), count);
    assert.ok(!(await store.list()).some((i) => i.name === 'corrupt'));
  });

  it('refuses a docker-save layer that does not match the config diff id', async () => {
    const out = path.join(tmp, 'bad-save');
    await writeTestImage(path.join(out, 'x'), 'oci-layout'); // make dir
    const file = path.join(tmp, 'bad-save.tar');
    await writeTestImage(file, 'docker-save', { layers: [[{ type: 'file', name: 'a', content: 'aaaa' }]] });
    const bytes = await readFile(file);
    const at = bytes.indexOf('aaaa');
    bytes.write('bbbb', at);
    await writeFile(file, bytes);
    await assert.rejects(store.import(file, 'bad:1'), /failed verification: its content has digest .* the image config says/);
  });

  it('unpacks layers in order with whiteouts and opaque directories', async () => {
    const dir = path.join(tmp, 'layers');
    await writeTestImage(dir, 'oci-layout', {
      layers: [
        await busyboxRootfs(),
        [
          { type: 'file', name: 'etc/group', content: 'replaced\n' },
          { type: 'file', name: 'www/.wh.index.html', content: '' },
          { type: 'directory', name: 'tmp' , mode: 0o1777},
          { type: 'file', name: 'tmp/.wh..wh..opq', content: '' },
          { type: 'file', name: 'tmp/new', content: 'n' },
        ],
        [{ type: 'file', name: 'tmp/old', content: 'lower' }, { type: 'directory', name: 'opaque' }, { type: 'file', name: 'opaque/keep', content: 'k' }],
      ],
      gzip: false,
    });
    const image = await store.import(dir, 'layers:1');
    const root = await store.unpacked(image);
    assert.equal(await readFile(path.join(root, 'etc/group'), 'utf8'), 'replaced\n');
    await assert.rejects(lstat(path.join(root, 'www/index.html')), { code: 'ENOENT' });
    assert.deepEqual((await readdir(path.join(root, 'tmp'))).sort(), ['new', 'old']);
    assert.equal(await readlink(path.join(root, 'bin/sh')), 'busybox');
    assert.equal((await lstat(path.join(root, 'bin/busybox'))).mode & 0o777, 0o755);
    assert.equal((await lstat(path.join(root, 'tmp'))).mode & 0o7777, 0o1777);
    assert.ok(!(await readdir(root)).some((n) => n.startsWith('.wh.')));
    await store.remove('layers:1');
    await assert.rejects(lstat(root), { code: 'ENOENT' }, 'the unpacked tree goes with the image');
  });

  it('resolves task definition images by full reference, then by repository:tag', async () => {
    assert.equal((await store.resolve('busybox')).name, 'busybox');
    assert.equal((await store.resolve('docker.io/library/busybox:latest')).name, 'busybox');
    assert.equal((await store.resolve('localhost/archive:2')).name, 'localhost/archive');
    assert.equal((await store.resolve('123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1')).name, 'web');
    const byDigest = await store.resolve(`busybox@${(await store.resolve('busybox')).manifestDigest}`);
    assert.equal(byDigest.name, 'busybox');
    await assert.rejects(store.resolve('nginx:1.25'), (err: Error) => err instanceof ImageNotFoundError && err.message.startsWith('CannotPullContainerError: ') && err.message.includes('docker.io/library/nginx:1.25: not found'));
    await assert.rejects(store.resolve('web:2'), ImageNotFoundError);
    await assert.rejects(store.resolve('Bad Name'), ImageNotFoundError);
  });

  it('refuses what is not an image, naming the problem', async () => {
    await assert.rejects(store.import(path.join(tmp, 'nope'), 'x:1'), /no such file or directory/);
    await assert.rejects(store.import(tmp, 'x:1'), /neither an OCI image layout/);
    await assert.rejects(store.import(path.join(tmp, 'layout'), 'Bad:Name:x'), /invalid image/);
  });
});
