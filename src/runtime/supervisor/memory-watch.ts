/**
 * The process driver's memory limit, enforced by watching RSS: one timer for every watched
 * container of a daemon, which sums the resident memory of each watched session (found in one
 * pass over /proc) and reports the sessions over their limit.
 */
import { membersOfSessions, pageSize } from './proc.js';

interface Watched {
  limitBytes: number;
  intervalMs: number;
}

/** Watches sessions' summed RSS against their limits; see the module comment. */
export class MemoryWatch {
  private readonly watched = new Map<number, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = 0;

  /** `exceeded(session)` is called (once per check while over) for a session over its limit. */
  constructor(private readonly exceeded: (session: number) => void) {}

  /** Watches a session (its leader's pid) against `limitBytes`, checked every `intervalMs` or more often. */
  add(session: number, limitBytes: number, intervalMs: number): void {
    this.watched.set(session, { limitBytes, intervalMs });
    this.rearm();
  }

  remove(session: number): void {
    if (this.watched.delete(session)) this.rearm();
  }

  /** Runs the one timer at the shortest interval any watched container asked for; none when nothing is watched. */
  private rearm(): void {
    const wanted = this.watched.size === 0 ? 0 : Math.min(...[...this.watched.values()].map((w) => w.intervalMs));
    if (wanted === this.intervalMs) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.intervalMs = wanted;
    if (wanted > 0) this.timer = setInterval(() => this.check(), wanted);
  }

  private check(): void {
    // RSS from the same /proc/<pid>/stat read that finds the session's members: one read per process.
    const rss = new Map<number, number>();
    const page = pageSize();
    for (const p of membersOfSessions(new Set(this.watched.keys()))) rss.set(p.session, (rss.get(p.session) ?? 0) + p.rssPages * page);
    for (const [session, w] of this.watched) if ((rss.get(session) ?? 0) > w.limitBytes) this.exceeded(session);
  }
}
