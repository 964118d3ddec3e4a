/**
 * Reading Linux's /proc: process start times (to tell a reused pid apart), the processes of a
 * session (a container's process tree), their CPU ticks and resident memory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux Berth targets). */
export const CLOCK_TICKS_PER_SECOND = 100;

let pageBytes: number | undefined;
/** The size of a memory page in bytes (`getconf PAGESIZE`, asked once; 4096 if it cannot be). */
export function pageSize(): number {
  if (pageBytes === undefined) {
    try {
      pageBytes = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageBytes = 4096;
    }
  }
  return pageBytes;
}

/** The fields of /proc/<pid>/stat Berth uses. */
export interface ProcStat {
  pid: number;
  /** One-letter state (`R`, `S`, `Z`, ...). */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  cpuTicks: number;
  /** Start time in clock ticks after boot: with the pid, identifies one process for ever. */
  startTicks: number;
  /** Resident set size in pages (see {@link pageSize}). */
  rssPages: number;
}

/** Reads /proc/<pid>/stat; undefined when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const n = (field: number) => Number(f[field - 3]);
  return {
    pid,
    state: f[0]!,
    ppid: n(4),
    pgrp: n(5),
    session: n(6),
    cpuTicks: n(14) + n(15) + n(16) + n(17),
    startTicks: n(22),
    rssPages: n(24),
  };
}

/** True if the process with this pid and start time exists and is not a zombie. */
export function isAlive(pid: number, startTicks: number): boolean {
  const s = readProcStat(pid);
  return s !== undefined && s.startTicks === startTicks && s.state !== 'Z' && s.state !== 'X';
}

/** Every live process whose session id is `session` (a container's tree: its leader is the session leader). */
export function sessionMembers(session: number): ProcStat[] {
  return membersOfSessions(new Set([session]));
}

/** Every live process of any of these sessions, found in one pass over /proc (the cost of one pass is the same for one session or a thousand). */
export function membersOfSessions(sessions: ReadonlySet<number>): ProcStat[] {
  const out: ProcStat[] = [];
  if (sessions.size === 0) return out;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (s && sessions.has(s.session) && s.state !== 'Z' && s.state !== 'X') out.push(s);
  }
  return out;
}

/** Every live process, grouped by session id, from one pass over /proc. */
export function processesBySession(): Map<number, ProcStat[]> {
  const out = new Map<number, ProcStat[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (!s || s.state === 'Z' || s.state === 'X') continue;
    const list = out.get(s.session);
    if (list) list.push(s);
    else out.set(s.session, [s]);
  }
  return out;
}

/** Resident memory of a process in bytes (VmRSS); 0 when it has gone. */
export function residentBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sends a signal to every process of a session; returns how many it reached. */
export function signalSession(session: number, signal: NodeJS.Signals): number {
  return signalSessions(new Set([session]), signal);
}

/** Sends a signal to every process of any of these sessions (one pass over /proc); returns how many it reached. */
export function signalSessions(sessions: ReadonlySet<number>, signal: NodeJS.Signals): number {
  let reached = 0;
  for (const p of membersOfSessions(sessions)) {
    try {
      process.kill(p.pid, signal);
      reached++;
    } catch {
      // gone meanwhile
    }
  }
  return reached;
}
