/** `berth image import|ls|rm`: manage Berth's local image store. */
import { parseArgs } from 'node:util';
import { compileBerthOptions } from '../config/index.js';
import { ImageError, InvalidImageRefError, openImageStore, type StoredImage } from '../images/index.js';

const HELP = `Usage: berth image <command> [options]

Commands:
  import SOURCE --name NAME:TAG   Store an image from an OCI image layout directory, an OCI
                                  archive (.tar) or a 'docker save' tar; digests are verified.
  ls                              List stored images.
  rm NAME:TAG                     Remove a tag; layers no other image uses are deleted.

Options:
  --data-dir DIR   Berth's data dir (default ~/.local/share/berth; env BERTH_DATA_DIR).`;

/** Runs `berth image`. */
export async function runImage(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  const [verb, ...rest] = positionals;
  if (values.help || verb === undefined) {
    process.stdout.write(HELP + '\n');
    return values.help ? 0 : 2;
  }
  const usage = (msg: string) => {
    process.stderr.write(`berth image: ${msg}\n\n${HELP}\n`);
    return 2;
  };
  const store = openImageStore(compileBerthOptions({ dataDir: values['data-dir'] }).dataDir);
  try {
    switch (verb) {
      case 'import': {
        if (rest.length !== 1) return usage('import takes one SOURCE');
        if (!values.name) return usage('import needs --name NAME:TAG');
        const image = await store.import(rest[0], values.name);
        process.stdout.write(`Imported ${image.name}:${image.tag} (${image.id.slice(7, 19)}, ${formatSize(image.size)})\n`);
        return 0;
      }
      case 'ls':
        if (rest.length) return usage('ls takes no arguments');
        process.stdout.write(table(await store.list()));
        return 0;
      case 'rm':
        if (rest.length === 0) return usage('rm takes NAME:TAG ...');
        for (const ref of rest) {
          await store.remove(ref);
          process.stdout.write(`Untagged: ${ref}\n`);
        }
        return 0;
      default:
        return usage(`unknown command '${verb}'`);
    }
  } catch (err) {
    if (err instanceof ImageError || err instanceof InvalidImageRefError) {
      process.stderr.write(`berth image ${verb}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** `docker images`-style columns. */
function table(images: StoredImage[]): string {
  const rows = [['NAME', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const i of images) rows.push([i.name, i.tag, i.id.slice(7, 19), i.created ? ago(i.created) : 'N/A', formatSize(i.size)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('   ')).join('\n') + '\n';
}

function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(n < 10 ? 2 : 1)}${units[u]}`;
}

function ago(when: Date): string {
  const s = Math.max(0, (Date.now() - when.getTime()) / 1000);
  const steps: Array<[number, string]> = [[60 * 60 * 24 * 365, 'year'], [60 * 60 * 24 * 30, 'month'], [60 * 60 * 24 * 7, 'week'], [60 * 60 * 24, 'day'], [60 * 60, 'hour'], [60, 'minute']];
  for (const [size, unit] of steps) {
    const n = Math.floor(s / size);
    if (n >= 1) return `${n} ${unit}${n > 1 ? 's' : ''} ago`;
  }
  return 'Less than a minute ago';
}
