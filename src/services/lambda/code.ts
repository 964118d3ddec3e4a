/**
 * Function code on disk: each upload is checked and unpacked (with yauzl, so no system `unzip` is
 * needed) into a fresh folder `<root>/functions/<name>/<id>/` (the task root a runtime runs in), and named by the
 * record. Unpacking happens beside, then a rename puts it in place, so a crash leaves at worst an
 * unreferenced folder that {@link sweepCode} removes at the next start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, readlinkSync, lstatSync } from 'node:fs';
import { chmod, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { ServiceError } from '../../errors/index.js';
import { invalidParameter, serviceException } from './errors.js';

/** The largest unzipped deployment package Lambda takes: 250 MB. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

/** A stored upload. */
export interface StoredCode {
  /** Folder name under the function's code folder. */
  codeDir: string;
  codeSha256: string;
  codeSize: number;
}

const UNZIP_FAILED = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

/** The folder of one function's code. */
export const functionCodeRoot = (root: string, name: string) => path.join(root, 'functions', name);

/** The task root of a stored upload. */
export const taskRoot = (root: string, name: string, codeDir: string) => path.join(functionCodeRoot(root, name), codeDir);

/** Unix file-type bits of a zip entry's mode, and the two types that matter here. */
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** The Unix mode an entry carries in its external attributes, if it was made on Unix and has one. */
function unixMode(entry: yauzl.Entry): number | undefined {
  if (entry.versionMadeBy >> 8 !== 3) return undefined;
  const mode = entry.externalFileAttributes >>> 16;
  return mode === 0 ? undefined : mode;
}

/** A bad archive (yauzl's parse, name or size checks, or an entry that clashes with another). */
function badArchive(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST') return true;
  // yauzl and zlib errors carry no errno code (zlib's are Z_*).
  return typeof code !== 'string' || code.startsWith('Z_') || code.startsWith('ERR_');
}

/**
 * Unpacks `zip` into `staging` (which must not exist yet). The central directory is read first:
 * names that are absolute or climb out with `..` (yauzl refuses them) and a total uncompressed size
 * over {@link MAX_UNZIPPED_BYTES} fail before anything is written. Entries are then streamed to disk
 * one at a time; yauzl checks each one's real size against the one declared, so the total bound holds.
 * Symbolic links are skipped: following a link the archive made could write or read outside the folder.
 */
async function unpack(zip: Buffer, staging: string): Promise<void> {
  let archive: yauzl.ZipFile;
  const entries: yauzl.Entry[] = [];
  let total = 0;
  try {
    archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true });
    for await (const entry of archive.eachEntry()) {
      entries.push(entry);
      total += entry.uncompressedSize;
    }
  } catch {
    throw invalidParameter(UNZIP_FAILED);
  }
  if (total > MAX_UNZIPPED_BYTES) throw invalidParameter(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  await mkdir(staging, { recursive: true });
  const inside = staging + path.sep;
  for (const entry of entries) {
    const mode = unixMode(entry);
    const dest = path.resolve(staging, entry.fileName);
    // yauzl already refused absolute and `..` names; this keeps the promise even if that changes.
    if (dest !== staging && !dest.startsWith(inside)) throw invalidParameter(UNZIP_FAILED);
    const isDir = entry.fileName.endsWith('/') || (mode !== undefined && (mode & S_IFMT) === S_IFDIR);
    try {
      if (isDir) {
        await mkdir(dest, { recursive: true });
        continue;
      }
      if (mode !== undefined && (mode & S_IFMT) === S_IFLNK) continue;
      if (dest === staging) throw invalidParameter(UNZIP_FAILED);
      await mkdir(path.dirname(dest), { recursive: true });
      const perms = mode !== undefined ? mode & 0o777 : 0o644;
      // 'w' replaces an earlier entry of the same name, as `unzip -o` did.
      await pipeline(await archive.openReadStreamPromise(entry), createWriteStream(dest, { flags: 'w', mode: perms }));
      // The mode given at creation is narrowed by the umask; the archive's bits are wanted as they are.
      await chmod(dest, perms);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      if (badArchive(err)) throw invalidParameter(UNZIP_FAILED);
      throw serviceException('Berth could not unpack the deployment package.', err);
    }
  }
}

/** Checks and unpacks `zip` for function `name`; the folder is in place when this resolves. */
export async function storeCode(root: string, name: string, zip: Buffer): Promise<StoredCode> {
  const codeSha256 = createHash('sha256').update(zip).digest('base64');
  const id = randomUUID();
  const tmp = path.join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  const staging = path.join(tmp, id);
  try {
    await unpack(zip, staging);
    await mkdir(functionCodeRoot(root, name), { recursive: true });
    await rename(staging, taskRoot(root, name, id));
    return { codeDir: id, codeSha256, codeSize: zip.length };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Removes one upload's folder (after the record stopped naming it). */
export async function removeCode(root: string, name: string, codeDir?: string): Promise<void> {
  await rm(codeDir ? taskRoot(root, name, codeDir) : functionCodeRoot(root, name), { recursive: true, force: true });
}

/** Removes folders no record names (`keep`: function name -> code folder) and staging leftovers. */
export function sweepCode(root: string, keep: ReadonlyMap<string, string>): void {
  rmSync(path.join(root, 'tmp'), { recursive: true, force: true });
  const fns = path.join(root, 'functions');
  if (!existsSync(fns)) return;
  for (const name of readdirSync(fns)) {
    const dir = keep.get(name);
    if (!dir) {
      rmSync(path.join(fns, name), { recursive: true, force: true });
      continue;
    }
    for (const d of readdirSync(path.join(fns, name))) if (d !== dir) rmSync(path.join(fns, name, d), { recursive: true, force: true });
  }
}

/**
 * Lambda's Node.js runtimes include the AWS SDK for JavaScript v3; Berth offers its own copy the
 * same way: `<root>/node_modules/@aws-sdk` links to Berth's, and Node's module resolution (CommonJS
 * and ESM) walks up from the task root to it. A package the function bundles itself still wins.
 */
export function linkSdk(root: string): void {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  let sdk: string | undefined;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', '@aws-sdk');
    if (existsSync(candidate)) {
      sdk = candidate;
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
  const mods = path.join(root, 'node_modules');
  mkdirSync(mods, { recursive: true });
  const link = path.join(mods, '@aws-sdk');
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === sdk) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // no link yet
  }
  symlinkSync(sdk, link, 'dir');
}
