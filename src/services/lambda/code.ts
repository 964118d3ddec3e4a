/**
 * Function code on disk: each upload is checked, unpacked with the system's `unzip` into a fresh
 * folder `<root>/functions/<name>/<id>/` (the task root a runtime runs in), and named by the
 * record. Unpacking happens beside, then a rename puts it in place, so a crash leaves at worst an
 * unreferenced folder that {@link sweepCode} removes at the next start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, readlinkSync, lstatSync } from 'node:fs';
import { writeFile, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const UNZIP_FAILED = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

/** The folder of one function's code. */
export const functionCodeRoot = (root: string, name: string) => path.join(root, 'functions', name);

/** The task root of a stored upload. */
export const taskRoot = (root: string, name: string, codeDir: string) => path.join(functionCodeRoot(root, name), codeDir);

/** Checks and unpacks `zip` for function `name`; the folder is in place when this resolves. */
export async function storeCode(root: string, name: string, zip: Buffer): Promise<StoredCode> {
  const codeSha256 = createHash('sha256').update(zip).digest('base64');
  const id = randomUUID();
  const tmp = path.join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  const file = path.join(tmp, `${id}.zip`);
  const staging = path.join(tmp, id);
  try {
    await writeFile(file, zip);
    let listing;
    try {
      listing = await run('unzip', ['-Z', '-t', file]);
    } catch (err) {
      throw serviceException('Berth could not unpack the deployment package: the `unzip` program is not installed.', err);
    }
    // `-Z -t` ends with "N files, U bytes uncompressed, C bytes compressed: ...".
    const m = /(\d+) files?, (\d+) bytes? uncompressed/.exec(listing.stdout);
    if (listing.code !== 0 || !m) throw invalidParameter(UNZIP_FAILED);
    if (Number(m[2]) > MAX_UNZIPPED_BYTES) throw invalidParameter(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
    const out = await run('unzip', ['-qq', '-o', file, '-d', staging]);
    // 1 is "warnings" (e.g. an entry that climbs out of the folder, which unzip skips); worse is a bad archive.
    if (out.code > 1) throw invalidParameter(UNZIP_FAILED);
    await mkdir(functionCodeRoot(root, name), { recursive: true });
    await rename(staging, taskRoot(root, name, id));
    return { codeDir: id, codeSha256, codeSize: zip.length };
  } finally {
    await rm(file, { force: true });
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
