/** Content-addressed blobs (`blobs/sha256/<hex>`), verified on the way in. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImageError } from './errors.js';

const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** The hex part of a `sha256:` digest; throws for any other algorithm or shape. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new ImageError(`unsupported digest '${digest}': Berth stores sha256 digests only`);
  return m[1];
}

/** The sha256 digest of a byte string. */
export function digestOf(bytes: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** The sha256 digest and size of a file, read as a stream. */
export async function digestFile(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(file), async function* (source) {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { digest: 'sha256:' + hash.digest('hex'), size };
}

/** The blob directory of an image store. */
export class BlobStore {
  private readonly dir: string;

  constructor(private readonly root: string) {
    this.dir = path.join(root, 'blobs', 'sha256');
  }

  /** The path of a blob (whether or not it is present). */
  path(digest: string): string {
    return path.join(this.dir, digestHex(digest));
  }

  /** Whether the blob is present. */
  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(() => true, () => false);
  }

  /** Reads a blob as JSON. */
  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse(await readFile(this.path(digest), 'utf8')) as T;
  }

  /**
   * Copies a file into the store after checking that its content has the expected digest (and
   * size, when given). A blob already present is not copied again: layers are shared.
   */
  async ingestFile(file: string, digest: string, size?: number, what = 'blob'): Promise<void> {
    digestHex(digest);
    const actual = await digestFile(file);
    if (actual.digest !== digest) {
      throw new ImageError(`${what} ${digest} failed verification: its content has digest ${actual.digest}; the image is corrupt and was not imported`);
    }
    if (size !== undefined && actual.size !== size) {
      throw new ImageError(`${what} ${digest} failed verification: it is ${actual.size} bytes, its descriptor says ${size}; the image is corrupt and was not imported`);
    }
    if (await this.has(digest)) return;
    await this.place(digest, (tmp) => copyFile(file, tmp));
  }

  /** Stores bytes under their own digest and returns it. */
  async putBytes(bytes: Buffer | string): Promise<string> {
    const digest = digestOf(bytes);
    if (!(await this.has(digest))) await this.place(digest, (tmp) => writeFile(tmp, bytes));
    return digest;
  }

  /** Every digest in the store. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes a blob; absent blobs are ignored. */
  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** Writes to a temporary name in the store, then renames into place so readers never see half a blob. */
  private async place(digest: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.root, 'blobs', `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await write(tmp);
      await rename(tmp, this.path(digest));
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
