/**
 * The supervisor both drivers share: one detached daemon per runtime state dir (daemon.ts) that
 * runs every container's process (or `runc run`), writes their output and exit files and
 * outlives Berth; Berth's client of it (client.ts); and the /proc helpers that find, measure and
 * signal processes.
 */
export { OOM_REASON, type ProcessIdentity, type ShimConfig, type ShimExit, type ShimHello } from './types.js';
export { SupervisorClient, type ExitWatch, type StartedContainer, type SupervisorClientOptions } from './client.js';
export { readShimExit, toExitResult } from './exit-file.js';
export { supervisorPaths, type SupervisorPaths } from './address.js';
export { CLOCK_TICKS_PER_SECOND, isAlive, membersOfSessions, pageSize, processesBySession, readProcStat, residentBytes, sessionMembers, signalSession, signalSessions, type ProcStat } from './proc.js';
