/**
 * Builders of small real images for tests: a busybox root filesystem (from Debian's
 * busybox-static at /bin/busybox) written as an OCI image layout, an OCI archive or a `docker save` tar.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { digestHex, digestOf } from './blobs.js';
import { MediaTypes, hostArchitecture, type ImageRunConfig } from './oci.js';

/** Where the tests take busybox from. */
export const BUSYBOX_PATH = '/bin/busybox';

/** Why busybox-based image tests must skip here, or undefined when they can run. */
export function busyboxSkipReason(): string | undefined {
  return existsSync(BUSYBOX_PATH) ? undefined : `${BUSYBOX_PATH} is absent (install Debian's busybox-static; .ci/run does)`;
}

/** One entry of a test layer. */
export type LayerEntry =
  | { type: 'file'; name: string; content: Buffer | string; mode?: number }
  | { type: 'directory'; name: string; mode?: number }
  | { type: 'symlink'; name: string; target: string };

/** Packs entries into an uncompressed tar. */
export async function tarBuffer(entries: readonly LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const e of entries) {
    if (e.type === 'file') pack.entry({ name: e.name, mode: e.mode ?? 0o644, mtime }, Buffer.from(e.content));
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o755, mtime });
    else pack.entry({ name: e.name, type: 'symlink', linkname: e.target, mtime });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const APPLETS = ['sh', 'cat', 'echo', 'ls', 'ps', 'sleep', 'httpd', 'id', 'hostname', 'kill', 'true', 'false', 'env', 'pwd', 'wget', 'ip', 'grep', 'trap', 'mkdir', 'rm', 'head', 'dd', 'yes'];

/** The entries of a busybox root filesystem: /bin with applet links, /etc/passwd, /tmp, /www/index.html. */
export async function busyboxRootfs(html = 'hello from berth\n'): Promise<LayerEntry[]> {
  return [
    { type: 'directory', name: 'bin' },
    { type: 'file', name: 'bin/busybox', content: await readFile(BUSYBOX_PATH), mode: 0o755 },
    ...APPLETS.map((a): LayerEntry => ({ type: 'symlink', name: `bin/${a}`, target: 'busybox' })),
    { type: 'directory', name: 'etc' },
    { type: 'file', name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { type: 'file', name: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'directory', name: 'tmp', mode: 0o1777 },
    { type: 'directory', name: 'www' },
    { type: 'file', name: 'www/index.html', content: html },
  ];
}

/** What {@link writeTestImage} builds. */
export interface TestImageOptions {
  /** The layers, bottom first; default one busybox layer. */
  layers?: LayerEntry[][];
  /** gzip the layers (OCI formats only; `docker save` layers are plain tars). Default true. */
  gzip?: boolean;
  /** The image's run config. Default `{ Env: ['PATH=/bin'], Cmd: ['sh'] }`. */
  config?: ImageRunConfig;
  /** The `org.opencontainers.image.ref.name` / RepoTags name. Default `test:latest`. */
  name?: string;
}

/** The blobs of an image: layer tars, config and manifest, each with its digest. */
interface ImageBlobs {
  layers: Array<{ plain: Buffer; stored: Buffer; digest: string; mediaType: string }>;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

async function imageBlobs(o: TestImageOptions, gzip: boolean): Promise<ImageBlobs> {
  const layerEntries = o.layers ?? [await busyboxRootfs()];
  const layers = await Promise.all(
    layerEntries.map(async (entries) => {
      const plain = await tarBuffer(entries);
      const stored = gzip ? gzipSync(plain) : plain;
      return { plain, stored, digest: digestOf(stored), mediaType: gzip ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer };
    }),
  );
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture: hostArchitecture(),
      os: 'linux',
      config: o.config ?? { Env: ['PATH=/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l.plain)) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.stored.length })),
    }),
  );
  return { layers, config, configDigest: digestOf(config), manifest, manifestDigest: digestOf(manifest) };
}

/**
 * Writes a test image at `dest` in one of the three formats `berth image import` reads and
 * returns its manifest digest (for `docker-save`, the digest of the manifest Berth will make).
 */
export async function writeTestImage(dest: string, format: 'oci-layout' | 'oci-archive' | 'docker-save', o: TestImageOptions = {}): Promise<{ manifestDigest: string; configDigest: string; layerDigests: string[] }> {
  const name = o.name ?? 'test:latest';
  const b = await imageBlobs(o, format !== 'docker-save' && (o.gzip ?? true));
  const files: LayerEntry[] = [];
  if (format === 'docker-save') {
    const hex = digestHex(b.configDigest);
    files.push({ type: 'file', name: `${hex}.json`, content: b.config });
    b.layers.forEach((l) => files.push({ type: 'file', name: `${digestHex(l.digest)}/layer.tar`, content: l.stored }));
    files.push({ type: 'file', name: 'manifest.json', content: JSON.stringify([{ Config: `${hex}.json`, RepoTags: [name], Layers: b.layers.map((l) => `${digestHex(l.digest)}/layer.tar`) }]) });
  } else {
    const blob = (d: string, content: Buffer): LayerEntry => ({ type: 'file', name: `blobs/sha256/${digestHex(d)}`, content });
    files.push({ type: 'file', name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) });
    files.push(blob(b.configDigest, b.config), blob(b.manifestDigest, b.manifest), ...b.layers.map((l) => blob(l.digest, l.stored)));
    const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: MediaTypes.ociManifest, digest: b.manifestDigest, size: b.manifest.length, annotations: { 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) } }] };
    files.push({ type: 'file', name: 'index.json', content: JSON.stringify(index) });
  }
  if (format === 'oci-layout') {
    for (const f of files) {
      if (f.type !== 'file') continue;
      await mkdir(path.dirname(path.join(dest, f.name)), { recursive: true });
      await writeFile(path.join(dest, f.name), f.content);
    }
  } else {
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, await tarBuffer(files));
  }
  return { manifestDigest: b.manifestDigest, configDigest: b.configDigest, layerDigests: b.layers.map((l) => l.digest) };
}
