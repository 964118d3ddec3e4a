/**
 * The supervisor both drivers share: a detached per-container program (the "shim") that runs
 * the container's process (or `runc run`), writes its output file and exit file and outlives
 * Berth; and the /proc helpers that find, measure and signal processes.
 */
export { OOM_REASON, type ShimConfig, type ShimExit, type ShimHello } from './types.js';
export { readShimExit, startShim, type StartedShim } from './start.js';
export { CLOCK_TICKS_PER_SECOND, isAlive, readProcStat, residentBytes, sessionMembers, signalSession, type ProcStat } from './proc.js';
