/**
 * A target's health as ALB tracks it, pure: the matcher ("200", "200,202", "200-299"), and the
 * state machine fed one health check result at a time. A newly registered target is healthy after
 * its first passing check (ALB's documented behaviour); an unhealthy one needs
 * HealthyThresholdCount consecutive passes; a healthy (or initial) one turns unhealthy after
 * UnhealthyThresholdCount consecutive failures.
 */

/** A parsed HttpCode matcher. */
export type CodeMatcher = (status: number) => boolean;

/** Parses "200", "200,202", "200-299" (and combinations such as "200,300-399"). Invalid parts match nothing. */
export function parseMatcher(matcher: string): CodeMatcher {
  const ranges: [number, number][] = [];
  for (const part of matcher.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    ranges.push([Math.min(lo, hi), Math.max(lo, hi)]);
  }
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** The outcome of one health check. */
export type ProbeResult =
  | { ok: true }
  | { ok: false; reason: 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks' | 'Elb.InternalError'; description: string };

/** The states health checks move a target between. */
export type CheckedState = 'initial' | 'healthy' | 'unhealthy';

/** Consecutive-result counting with ALB's thresholds. */
export class HealthTracker {
  state: CheckedState = 'initial';
  reason: string | undefined = 'Elb.RegistrationInProgress';
  description: string | undefined = 'Target registration is in progress';
  private passes = 0;
  private failures = 0;

  /** A check has started for a target still initial. */
  checking(): void {
    if (this.state === 'initial' && this.reason === 'Elb.RegistrationInProgress') {
      this.reason = 'Elb.InitialHealthChecking';
      this.description = 'Initial health checks in progress';
    }
  }

  /** Feeds one result; returns true when the state changed. */
  record(result: ProbeResult, thresholds: { healthy: number; unhealthy: number }): boolean {
    const before = this.state;
    if (result.ok) {
      this.failures = 0;
      this.passes++;
      if (this.state === 'initial' || (this.state === 'unhealthy' && this.passes >= thresholds.healthy)) {
        this.state = 'healthy';
      }
      if (this.state === 'healthy') {
        this.reason = undefined;
        this.description = undefined;
      }
    } else {
      this.passes = 0;
      this.failures++;
      if (this.state !== 'unhealthy' && this.failures >= thresholds.unhealthy) this.state = 'unhealthy';
      if (this.state === 'unhealthy') {
        this.reason = result.reason;
        this.description = result.description;
      }
    }
    return this.state !== before;
  }

  /** Back to a fresh registration (the group stopped and started being used). */
  reset(): void {
    this.state = 'initial';
    this.reason = 'Elb.RegistrationInProgress';
    this.description = 'Target registration is in progress';
    this.passes = 0;
    this.failures = 0;
  }
}
