/** The exit file (`exit.json`) the supervisor writes when a container has ended, and reading it back. */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ExitResult } from '../driver.js';
import type { ShimExit } from './types.js';

/** A {@link ShimExit} as the driver contract's {@link ExitResult}. */
export function toExitResult(e: ShimExit): ExitResult {
  return { exitCode: e.exitCode, signal: e.signal, oomKilled: e.oomKilled, reason: e.reason, finishedAt: new Date(e.finishedAt) };
}

/** Writes the exit file atomically (a reader sees the whole record or none). */
export function writeShimExit(exitPath: string, exit: ShimExit): void {
  writeFileSync(exitPath + '.tmp', JSON.stringify(exit));
  renameSync(exitPath + '.tmp', exitPath);
}

/** The exit file the supervisor wrote, as an {@link ExitResult}; undefined while there is none (or it cannot be read). */
export async function readShimExit(exitPath: string): Promise<ExitResult | undefined> {
  try {
    return toExitResult(JSON.parse(await readFile(exitPath, 'utf8')) as ShimExit);
  } catch {
    return undefined;
  }
}
