/**
 * The runtime's options in two stages: {@link RuntimeOptions} (all optional, documented
 * defaults) and {@link compileRuntimeOptions}, which resolves and validates them.
 */
import path from 'node:path';
import { OptionsError, defaultDataDir } from '../config/index.js';
import type { PortRange } from './ports.js';

/** The dynamic host port range used when none is given (the range ECS documents for dynamic host ports). */
export const DEFAULT_PORT_RANGE: PortRange = { from: 49153, to: 65535 };

/** What a user may set for the runtime; every member has a default. */
export interface RuntimeOptions {
  /** Berth's data dir. Default `BERTH_DATA_DIR` or the default data dir (see src/config). */
  dataDir?: string;
  /** Where drivers keep task directories (logs, state). Default `<dataDir>/runtime`. */
  stateDir?: string;
  /** Dynamic host ports, `"from-to"` or a {@link PortRange}. Default `BERTH_PORT_RANGE` or 49153-65535. */
  portRange?: string | PortRange;
  /** How often the process driver checks a container's memory against its limit. Default 250 ms. */
  memoryCheckIntervalMs?: number;
}

/** Fully resolved runtime options. */
export interface ResolvedRuntimeOptions {
  stateDir: string;
  portRange: PortRange;
  memoryCheckIntervalMs: number;
}

/** Resolves runtime options against the environment and defaults, reporting every problem at once. */
export function compileRuntimeOptions(o: RuntimeOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedRuntimeOptions {
  const problems: string[] = [];
  const dataDir = path.resolve(o.dataDir ?? env.BERTH_DATA_DIR ?? defaultDataDir(env));
  const rawRange = o.portRange ?? env.BERTH_PORT_RANGE ?? DEFAULT_PORT_RANGE;
  const portRange = parsePortRange(rawRange);
  if (!portRange) {
    const shown = typeof rawRange === 'string' ? rawRange : `${rawRange.from}-${rawRange.to}`;
    problems.push(`port range must be "from-to" with whole numbers 1-65535 and from <= to; got '${shown}'.`);
  }
  const memoryCheckIntervalMs = o.memoryCheckIntervalMs ?? 250;
  if (!Number.isInteger(memoryCheckIntervalMs) || memoryCheckIntervalMs < 10 || memoryCheckIntervalMs > 60_000) {
    problems.push(`memoryCheckIntervalMs must be a whole number of milliseconds from 10 to 60000; got '${memoryCheckIntervalMs}'.`);
  }
  if (problems.length) throw new OptionsError(problems.join('\n'));
  return { stateDir: path.resolve(o.stateDir ?? path.join(dataDir, 'runtime')), portRange: portRange!, memoryCheckIntervalMs };
}

function parsePortRange(raw: string | PortRange): PortRange | undefined {
  let range: PortRange;
  if (typeof raw === 'string') {
    const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(raw);
    if (!m) return undefined;
    range = { from: Number(m[1]), to: Number(m[2]) };
  } else range = raw;
  const ok = Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.to <= 65535 && range.from <= range.to;
  return ok ? { from: range.from, to: range.to } : undefined;
}
