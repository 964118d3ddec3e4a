/**
 * A container definition's `environmentFiles`, read the same way by every driver: local files
 * of `NAME=value` lines (Berth has no S3), later files winning for the same name.
 */
import { readFileSync } from 'node:fs';
import { DriverError, type ContainerConfig } from './driver.js';

/** Parses `NAME=value` lines of an environment file (`#` comments and blank lines skipped), as ECS does. */
export function parseEnvironmentFile(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new DriverError('ResourceInitializationError', `environment file ${source} line ${i + 1}: expected NAME=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Reads `environmentFiles`: local paths; S3 ARNs are refused clearly (Berth has no S3 yet). */
export function readEnvironmentFiles(files: ContainerConfig['environmentFiles']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files ?? []) {
    if (f.value.startsWith('arn:')) {
      throw new DriverError('ResourceInitializationError', `failed to download environment file ${f.value}: Berth has no S3; give a local file path instead`);
    }
    let text: string;
    try {
      text = readFileSync(f.value, 'utf8');
    } catch (err) {
      throw new DriverError('ResourceInitializationError', `failed to read environment file ${f.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    Object.assign(out, parseEnvironmentFile(text, f.value));
  }
  return out;
}
