/**
 * Berth's local image store under `<data dir>/images`: content-addressed blobs shared by every
 * image, `repositories.json` mapping `NAME:TAG` to a manifest digest, and unpacked root
 * filesystems cached per manifest for drivers.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobStore, digestHex } from './blobs.js';
import { ImageError, ImageNotFoundError } from './errors.js';
import { layerCompression, type ImageConfigFile, type ImageManifest, type ImageRunConfig } from './oci.js';
import { canonicalName, parseImageRef, shortName, splitNameTag, type ImageRef } from './reference.js';
import { ingestImage } from './sources.js';
import { applyLayer } from './unpack.js';

/** One stored, tagged image. */
export interface StoredImage {
  /** The name as imported (`busybox`, `localhost/web`, `123456789012.dkr.ecr.us-east-1.amazonaws.com/api`). */
  name: string;
  /** The tag. */
  tag: string;
  /** Digest of the image manifest. */
  manifestDigest: string;
  /** Digest of the image config: the image id, as Docker shows it. */
  id: string;
  /** Bytes of the stored config and layers (layers as stored, compressed or not). */
  size: number;
  /** When the image was built (from its config), if it says. */
  created?: Date;
  /** When it was imported into this store. */
  importedAt: Date;
  /** What the image says about running it (entrypoint, cmd, env, workdir, user). */
  config: ImageRunConfig;
  /** The layers, bottom first. */
  layers: Array<{ digest: string; size: number; gzip: boolean; diffId?: string }>;
}

interface Catalog {
  version: 1;
  images: Record<string, { manifest: string; importedAt: string }>;
}

/** Opens the image store of a data dir. */
export function openImageStore(dataDir: string): ImageStore {
  return new ImageStore(path.join(dataDir, 'images'));
}

/** The image store; safe to use from several processes (the catalog is updated under a lock file). */
export class ImageStore {
  private readonly blobs: BlobStore;

  /** Opens the store rooted at `root` (created on first write). */
  constructor(readonly root: string) {
    this.blobs = new BlobStore(root);
  }

  /** Imports an OCI layout directory, OCI archive or `docker save` tar as `NAME:TAG`; replaces an existing tag. */
  async import(source: string, nameTag: string): Promise<StoredImage> {
    const { name, tag } = splitNameTag(nameTag);
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    const scratch = path.join(this.root, 'tmp', `import-${randomBytes(6).toString('hex')}`);
    await mkdir(scratch);
    try {
      // under the lock throughout, so that no concurrent garbage collection sees the new blobs untagged
      return await this.withLock(async () => {
        const catalog = await this.readCatalog();
        const manifest = await ingestImage(this.blobs, source, scratch, `${name}:${tag}`).catch(async (err) => {
          await this.collectGarbage(catalog); // drop blobs a failed import stored before the failure
          throw err;
        });
        catalog.images[`${name}:${tag}`] = { manifest, importedAt: new Date().toISOString() };
        await this.writeCatalog(catalog);
        await this.collectGarbage(catalog);
        return this.describe(`${name}:${tag}`, catalog.images[`${name}:${tag}`]);
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Every tagged image, sorted by name and tag. */
  async list(): Promise<StoredImage[]> {
    const catalog = await this.readCatalog();
    const keys = Object.keys(catalog.images).sort();
    return Promise.all(keys.map((k) => this.describe(k, catalog.images[k])));
  }

  /** Removes a tag; blobs and unpacked root filesystems that no remaining image uses are deleted. */
  async remove(nameTag: string): Promise<void> {
    const { name, tag } = splitNameTag(nameTag);
    await this.withLock(async () => {
      const catalog = await this.readCatalog();
      if (!(`${name}:${tag}` in catalog.images)) throw new ImageError(`no such image: ${name}:${tag}`);
      delete catalog.images[`${name}:${tag}`];
      await this.writeCatalog(catalog);
      await this.collectGarbage(catalog);
    });
  }

  /**
   * Finds the stored image a task definition's `image` names: first by the full reference
   * (`docker.io/library/busybox:latest` matches an image imported as `busybox:latest`), then by
   * `repository:tag` without the registry (`123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1`
   * matches `api:1`). `name@sha256:...` matches the manifest digest. Throws {@link ImageNotFoundError}.
   */
  async resolve(image: string): Promise<StoredImage> {
    let ref: ImageRef;
    try {
      ref = parseImageRef(image);
    } catch (err) {
      throw new ImageNotFoundError(`CannotPullContainerError: ${(err as Error).message}`);
    }
    const catalog = await this.readCatalog();
    const keys = Object.keys(catalog.images).sort();
    const parsed = keys.map((k) => ({ key: k, ref: parseImageRef(k) }));
    const pick = (match: (r: ImageRef, key: string) => boolean) => parsed.find((p) => match(p.ref, p.key));
    const hit = ref.digest
      ? pick((_r, key) => catalog.images[key].manifest === ref.digest)
      : (pick((r) => canonicalName(r) === canonicalName(ref)) ?? pick((r) => shortName(r) === shortName(ref)));
    if (!hit) {
      const full = ref.digest ? `${ref.registry}/${ref.repository}@${ref.digest}` : canonicalName(ref);
      throw new ImageNotFoundError(
        `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${full}: ${full}: not found ` +
          `(Berth runs images from its local store only; import it with 'berth image import <path> --name ${ref.digest ? shortName(ref) : image}')`,
      );
    }
    return this.describe(hit.key, catalog.images[hit.key]);
  }

  /**
   * The image's root filesystem, unpacked once per manifest under `unpacked/` and shared
   * read-only (drivers put an overlay or a copy on top). Verifies each layer's diff id.
   */
  async unpacked(image: StoredImage): Promise<string> {
    const dir = path.join(this.root, 'unpacked', digestHex(image.manifestDigest));
    if (await stat(dir).then(() => true, () => false)) return dir;
    const tmp = path.join(this.root, 'tmp', `unpack-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { recursive: true, mode: 0o755 });
    try {
      for (const layer of image.layers) await applyLayer(tmp, this.blobs.path(layer.digest), layer.gzip, layer.diffId);
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(tmp, dir).catch(async (err) => {
        if (!(await stat(dir).then(() => true, () => false))) throw err; // another process won the race
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  private async describe(key: string, entry: Catalog['images'][string] | undefined): Promise<StoredImage> {
    if (!entry) throw new ImageError(`no such image: ${key}`);
    const { name, tag } = splitNameTag(key);
    const manifest = await this.blobs.readJson<ImageManifest>(entry.manifest);
    const config = await this.blobs.readJson<ImageConfigFile>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    return {
      name,
      tag,
      manifestDigest: entry.manifest,
      id: manifest.config.digest,
      size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
      created: config.created ? new Date(config.created) : undefined,
      importedAt: new Date(entry.importedAt),
      config: config.config ?? {},
      layers: manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, gzip: layerCompression(l.mediaType) === 'gzip', diffId: diffIds[i] })),
    };
  }

  /** Deletes blobs and unpacked trees that no tagged image refers to (unpacked trees still mounted are kept); call under the lock. */
  private async collectGarbage(catalog: Catalog): Promise<void> {
    {
      const live = new Set<string>();
      for (const { manifest } of Object.values(catalog.images)) {
        live.add(manifest);
        const m = await this.blobs.readJson<ImageManifest>(manifest);
        live.add(m.config.digest);
        for (const l of m.layers) live.add(l.digest);
      }
      for (const d of await this.blobs.list()) if (!live.has(d)) await this.blobs.delete(d);
      const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
      const unpackedDir = path.join(this.root, 'unpacked');
      for (const hex of await readdir(unpackedDir).catch(() => [] as string[])) {
        const dir = path.join(unpackedDir, hex);
        if (!live.has(`sha256:${hex}`) && !mounts.includes(dir)) await rm(dir, { recursive: true, force: true });
      }
    }
  }

  private async readCatalog(): Promise<Catalog> {
    try {
      return JSON.parse(await readFile(path.join(this.root, 'repositories.json'), 'utf8')) as Catalog;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {} };
      throw err;
    }
  }

  /** Replaces the catalog atomically (write, then rename); call under the lock. */
  private async writeCatalog(catalog: Catalog): Promise<void> {
    const file = path.join(this.root, 'repositories.json');
    const tmp = `${file}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify(catalog, null, 2) + '\n');
    await rename(tmp, file);
  }

  /** Runs `fn` holding `<root>/lock` (a lock file naming its holder's pid; a dead holder's lock is taken over). */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    const lock = path.join(this.root, 'lock');
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(await readFile(lock, 'utf8').catch(() => '0'));
        if (holder > 0 && holder !== process.pid && !alive(holder)) await rm(lock, { force: true });
        else if (attempt > 600) throw new ImageError(`the image store is locked by process ${holder} (${lock})`);
        else await sleep(50);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
