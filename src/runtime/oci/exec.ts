/** Running host tools (`runc`, `ip`, `mount`) and reporting their stderr on failure. */
import { execFile } from 'node:child_process';

/** Runs a command; resolves with its stdout, rejects with an Error carrying its stderr. */
export function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve(String(stdout));
    });
  });
}

/** Runs a command and ignores its failure (for idempotent clean-up). */
export async function runQuietly(file: string, args: readonly string[]): Promise<void> {
  await run(file, args).catch(() => undefined);
}
