/** Applying image layers to a root filesystem, whiteouts included (OCI image-spec "Applying Changesets"). */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ImageError } from './errors.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const asRoot = process.getuid?.() === 0;

/**
 * Applies one layer (a tar, gzip-compressed or not) on top of `rootfs`. When `diffId` is given the
 * uncompressed content must have that digest. Entries never land outside `rootfs`: a path that
 * climbs out or passes through a symbolic link is refused.
 */
export async function applyLayer(rootfs: string, layerFile: string, gzip: boolean, diffId?: string): Promise<void> {
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const extract = tar.extract();
  const stages = gzip ? [createReadStream(layerFile), createGunzip(), tee, extract] : [createReadStream(layerFile), tee, extract];
  const feed = pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  const createdHere = new Set<string>();
  const dirTimes: Array<[string, Date]> = [];
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = path.posix.normalize('/' + h.name).slice(1).replace(/\/$/, '');
      if (rel === '' || rel === '.') {
        entry.resume();
        continue;
      }
      if (rel.split('/').includes('..')) throw new ImageError(`layer entry '${h.name}' points outside the root filesystem`);
      const dirRel = path.posix.dirname(rel);
      const base = path.posix.basename(rel);
      await ensureParents(rootfs, dirRel);
      const target = path.join(rootfs, rel);
      if (base === OPAQUE) {
        // opaque directory: hide everything lower layers put there
        const dir = path.join(rootfs, dirRel);
        for (const child of await readdir(dir).catch(() => [] as string[])) {
          const childRel = dirRel === '.' ? child : `${dirRel}/${child}`;
          if (!createdHere.has(childRel)) await rm(path.join(dir, child), { recursive: true, force: true });
        }
        entry.resume();
        continue;
      }
      if (base.startsWith(WHITEOUT)) {
        await rm(path.join(rootfs, dirRel, base.slice(WHITEOUT.length)), { recursive: true, force: true });
        entry.resume();
        continue;
      }
      const existing = await lstat(target).catch(() => undefined);
      if (existing && !(existing.isDirectory() && h.type === 'directory')) await rm(target, { recursive: true, force: true });
      createdHere.add(rel);
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case 'directory':
          await mkdir(target, { recursive: true });
          await chmod(target, mode);
          if (h.mtime) dirTimes.push([target, h.mtime]);
          break;
        case 'file':
        case 'contiguous-file':
          await pipeline(entry, createWriteStream(target, { mode }));
          await chmod(target, mode);
          break;
        case 'symlink':
          await symlink(h.linkname ?? '', target);
          break;
        case 'link': {
          const src = path.posix.normalize('/' + (h.linkname ?? '')).slice(1);
          if (src.split('/').includes('..')) throw new ImageError(`layer hard link '${h.name}' points outside the root filesystem`);
          await link(path.join(rootfs, src), target);
          break;
        }
        default:
          // devices and fifos: runc gives the container its own /dev; nothing else needs them
          entry.resume();
          continue;
      }
      if (asRoot) await lchown(target, h.uid ?? 0, h.gid ?? 0);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        if (asRoot && mode & 0o6000) await chmod(target, mode); // chown clears setuid/setgid
        if (h.mtime) await utimes(target, h.mtime, h.mtime);
      } else if (h.type === 'symlink' && h.mtime) await lutimes(target, h.mtime, h.mtime).catch(() => undefined);
      entry.resume();
    }
  })();
  await Promise.all([feed, consume]);
  for (const [dir, time] of dirTimes.reverse()) await utimes(dir, time, time).catch(() => undefined);
  const actual = 'sha256:' + hash.digest('hex');
  if (diffId && actual !== diffId) throw new ImageError(`layer ${path.basename(layerFile)} failed verification: its uncompressed content has digest ${actual}, the image config says ${diffId}`);
}

/** Creates missing parent directories of an entry, refusing to pass through a symbolic link. */
async function ensureParents(rootfs: string, dirRel: string): Promise<void> {
  if (dirRel === '.' || dirRel === '') return;
  let cur = rootfs;
  for (const part of dirRel.split('/')) {
    cur = path.join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) await mkdir(cur, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw new ImageError(`layer entry under '${dirRel}' passes through the symbolic link '${path.relative(rootfs, cur)}'; refused`);
    else if (!st.isDirectory()) throw new ImageError(`layer entry under '${dirRel}' needs '${path.relative(rootfs, cur)}' to be a directory`);
  }
}
