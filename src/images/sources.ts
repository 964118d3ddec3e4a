/**
 * Reading what `berth image import` is given — an OCI image layout directory, an OCI archive
 * (the layout as a tar) or a `docker save` tar — into the blob store, verifying every digest.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { BlobStore, digestFile, digestHex, digestOf } from './blobs.js';
import { ImageError } from './errors.js';
import { hostArchitecture, isIndex, layerCompression, MediaTypes, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest } from './oci.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** Whether a file starts with the gzip magic bytes. */
export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Stores the image found at `source` in `blobs` and returns its manifest digest. `scratch` is an
 * empty directory for unpacking archives; `name` (`NAME:TAG`) picks an image when the source holds several.
 */
export async function ingestImage(blobs: BlobStore, source: string, scratch: string, name: string): Promise<string> {
  const st = await stat(source).catch(() => {
    throw new ImageError(`cannot import '${source}': no such file or directory`);
  });
  let dir = source;
  if (!st.isDirectory()) {
    dir = path.join(scratch, 'archive');
    await extractArchive(source, dir);
  }
  const exists = (f: string) => stat(path.join(dir, f)).then(() => true, () => false);
  if ((await exists('oci-layout')) && (await exists('index.json'))) return ingestOciLayout(blobs, dir, name);
  if (await exists('manifest.json')) return ingestDockerSave(blobs, dir, name);
  throw new ImageError(`cannot import '${source}': it is neither an OCI image layout (oci-layout and index.json) nor a 'docker save' archive (manifest.json)`);
}

/** Unpacks an archive's regular files and directories (optionally gzip-compressed) into `dest`. */
async function extractArchive(file: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const links: Array<{ name: string; target: string }> = [];
  const extract = tar.extract();
  const input = createReadStream(file);
  const feed = (await isGzipFile(file)) ? pipeline(input, createGunzip(), extract) : pipeline(input, extract);
  const consume = (async () => {
    for await (const entry of extract) {
      const name = safeRelative(entry.header.name, file);
      const target = path.join(dest, name);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        await mkdir(path.dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target));
        continue;
      }
      if (entry.header.type === 'directory') await mkdir(target, { recursive: true });
      else if ((entry.header.type === 'symlink' || entry.header.type === 'link') && entry.header.linkname) {
        // old `docker save` archives link duplicate layers to one copy; resolved once all files are out
        const base = entry.header.type === 'symlink' ? path.dirname(name) : '';
        links.push({ name, target: safeRelative(path.join(base, entry.header.linkname), file) });
      }
      entry.resume();
    }
  })();
  await Promise.all([feed, consume]);
  for (const l of links) {
    await mkdir(path.dirname(path.join(dest, l.name)), { recursive: true });
    await copyFile(path.join(dest, l.target), path.join(dest, l.name)).catch(() => undefined);
  }
}

/** A relative path that stays inside the archive; throws for `..` escapes. */
function safeRelative(name: string, archive: string): string {
  const norm = path.posix.normalize('/' + name).slice(1);
  if (norm.split('/').includes('..')) throw new ImageError(`cannot import '${archive}': entry '${name}' points outside the archive`);
  return norm;
}

/** Reads a small blob (index or manifest) from a layout, checking its digest and size. */
async function readVerified(dir: string, desc: Descriptor, what: string): Promise<Buffer> {
  const file = path.join(dir, 'blobs', 'sha256', digestHex(desc.digest));
  const bytes = await readFile(file).catch(() => {
    throw new ImageError(`${what} ${desc.digest} is missing from the layout (blobs/sha256/${digestHex(desc.digest)})`);
  });
  const actual = digestOf(bytes);
  if (actual !== desc.digest) throw new ImageError(`${what} ${desc.digest} failed verification: its content has digest ${actual}; the image is corrupt and was not imported`);
  if (desc.size !== undefined && desc.size !== bytes.length) throw new ImageError(`${what} ${desc.digest} failed verification: it is ${bytes.length} bytes, its descriptor says ${desc.size}`);
  return bytes;
}

/** Picks the one image manifest to import from a layout's index (following nested indexes). */
async function pickManifest(dir: string, manifests: Descriptor[], name: string): Promise<Descriptor> {
  const candidates: Descriptor[] = [];
  const walk = async (descs: Descriptor[], depth: number): Promise<void> => {
    for (const d of descs) {
      if (isIndex(d.mediaType)) {
        if (depth > 4) throw new ImageError('the image index nests too deeply');
        const child = JSON.parse((await readVerified(dir, d, 'index')).toString('utf8')) as ImageIndex;
        await walk((child.manifests ?? []).map((m) => ({ ...m, annotations: { ...d.annotations, ...m.annotations } })), depth + 1);
      } else if (d.mediaType === MediaTypes.ociManifest || d.mediaType === MediaTypes.dockerManifest) candidates.push(d);
    }
  };
  await walk(manifests, 0);
  const arch = hostArchitecture();
  const runnable = candidates.filter((d) => !d.platform || ((d.platform.os ?? 'linux') === 'linux' && (d.platform.architecture ?? arch) === arch));
  if (runnable.length === 0) {
    throw new ImageError(candidates.length ? `the layout holds no image for linux/${arch}` : 'the layout\'s index.json lists no image manifest');
  }
  if (runnable.length === 1) return runnable[0];
  const tag = name.slice(name.lastIndexOf(':') + 1);
  const named = runnable.filter((d) => [tag, name].includes(d.annotations?.[REF_NAME] ?? '') || d.annotations?.[CONTAINERD_NAME]?.endsWith(name));
  if (named.length === 1) return named[0];
  const names = runnable.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ');
  throw new ImageError(`the layout holds ${runnable.length} images (${names}); none is named '${name}' (annotation ${REF_NAME})`);
}

/** Imports from an OCI image layout directory. */
async function ingestOciLayout(blobs: BlobStore, dir: string, name: string): Promise<string> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
  const desc = await pickManifest(dir, index.manifests ?? [], name);
  const manifestBytes = await readVerified(dir, desc, 'manifest');
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new ImageError(`manifest ${desc.digest} has no config or layers`);
  for (const layer of manifest.layers) checkLayerType(layer);
  const blob = (d: Descriptor) => path.join(dir, 'blobs', 'sha256', digestHex(d.digest));
  const present = async (d: Descriptor, what: string) => {
    if (!(await stat(blob(d)).then(() => true, () => false))) throw new ImageError(`${what} ${d.digest} is missing from the layout`);
  };
  await present(manifest.config, 'config');
  for (const layer of manifest.layers) await present(layer, 'layer');
  await blobs.ingestFile(blob(manifest.config), manifest.config.digest, manifest.config.size, 'config');
  for (const layer of manifest.layers) await blobs.ingestFile(blob(layer), layer.digest, layer.size, 'layer');
  await blobs.putBytes(manifestBytes);
  return desc.digest;
}

function checkLayerType(layer: Descriptor): void {
  try {
    layerCompression(layer.mediaType);
  } catch (err) {
    throw new ImageError(`layer ${layer.digest}: ${(err as Error).message}`);
  }
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Imports from a `docker save` archive (the legacy layout, or the OCI-compatible one of Docker 25+). */
async function ingestDockerSave(blobs: BlobStore, dir: string, name: string): Promise<string> {
  const entries = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as DockerSaveEntry[];
  if (!Array.isArray(entries) || entries.length === 0) throw new ImageError('the archive\'s manifest.json lists no image');
  const entry = entries.length === 1 ? entries[0] : entries.find((e) => (e.RepoTags ?? []).some((t) => t === name || t.endsWith('/' + name)));
  if (!entry) throw new ImageError(`the archive holds ${entries.length} images (${entries.flatMap((e) => e.RepoTags ?? []).join(', ')}); none is tagged '${name}'`);
  const configFile = path.join(dir, safeRelative(entry.Config, 'manifest.json'));
  const configBytes = await readFile(configFile);
  const configDigest = digestOf(configBytes);
  const named = /([a-f0-9]{64})(\.json)?$/.exec(entry.Config);
  if (named && named[1] !== digestHex(configDigest)) {
    throw new ImageError(`config ${entry.Config} failed verification: its content has digest ${configDigest}; the image is corrupt and was not imported`);
  }
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) throw new ImageError(`the image config lists ${diffIds.length} layers but manifest.json lists ${entry.Layers.length}`);
  const layers: Descriptor[] = [];
  for (const [i, rel] of entry.Layers.entries()) {
    const file = path.join(dir, safeRelative(rel, 'manifest.json'));
    const gzip = await isGzipFile(file).catch(() => {
      throw new ImageError(`layer ${rel} is missing from the archive`);
    });
    const { digest, size } = await digestFile(file);
    const diffId = gzip ? await gunzipDigest(file) : digest;
    if (diffId !== diffIds[i]) {
      throw new ImageError(`layer ${rel} failed verification: its content has digest ${diffId}, the image config says ${diffIds[i]}; the image is corrupt and was not imported`);
    }
    const fileNamed = /blobs\/sha256\/([a-f0-9]{64})$/.exec(rel);
    if (fileNamed && fileNamed[1] !== digestHex(digest)) throw new ImageError(`layer ${rel} failed verification: its content has digest ${digest}; the image is corrupt and was not imported`);
    await blobs.ingestFile(file, digest, size, 'layer');
    layers.push({ mediaType: gzip ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer, digest, size });
  }
  await blobs.ingestFile(configFile, configDigest, configBytes.length, 'config');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: configBytes.length },
    layers,
  };
  return blobs.putBytes(JSON.stringify(manifest));
}

/** The sha256 digest of a gzip file's uncompressed content. */
export async function gunzipDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), createGunzip(), async function* (source) {
    for await (const chunk of source as AsyncIterable<Buffer>) hash.update(chunk);
  });
  return 'sha256:' + hash.digest('hex');
}
