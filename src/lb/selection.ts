/**
 * Choosing a target group and a target, pure (randomness and time are passed in):
 *
 * - {@link chooseWeighted}: a weighted forward's group, per request, in proportion to the weights
 *   (weight 0 never).
 * - {@link chooseTarget}: round_robin or least_outstanding_requests among the routable targets,
 *   with slow start: a target ramping up gets a share growing linearly from almost nothing to a
 *   full share over the slow start duration.
 */

/** One entry of a weighted choice. */
export interface Weighted<T> {
  item: T;
  weight: number;
}

/** Picks an item in proportion to its weight; undefined when every weight is 0 (or none). */
export function chooseWeighted<T>(entries: readonly Weighted<T>[], random: () => number): T | undefined {
  let total = 0;
  for (const e of entries) if (e.weight > 0) total += e.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const e of entries) {
    if (e.weight <= 0) continue;
    if (r < e.weight) return e.item;
    r -= e.weight;
  }
  // Floating point can leave r a hair above the last bucket.
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].weight > 0) return entries[i].item;
  return undefined;
}

/** What selection needs to know of a target. */
export interface SelectableTarget {
  /** Requests sent and not yet answered. */
  outstanding: number;
  /** 0..1: share while in slow start, 1 otherwise. */
  share: number;
}

/** Per target group rotation state. */
export interface SelectionState {
  next: number;
}

/** The index of the chosen candidate, or -1 when there are none. */
export function chooseTarget(
  candidates: readonly SelectableTarget[],
  algorithm: 'round_robin' | 'least_outstanding_requests',
  state: SelectionState,
  random: () => number,
): number {
  const n = candidates.length;
  if (n === 0) return -1;
  if (algorithm === 'least_outstanding_requests') {
    // Ties go round robin so equal targets share the load.
    let best = -1;
    const start = state.next++ % n;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (best < 0 || candidates[i].outstanding < candidates[best].outstanding) best = i;
    }
    return best;
  }
  if (candidates.some((c) => c.share < 1)) {
    // Slow start under way: weighted by share, so a ramping target's share grows linearly.
    return chooseWeighted(
      candidates.map((c, i) => ({ item: i, weight: Math.max(c.share, 0.01) })),
      random,
    ) ?? 0;
  }
  return state.next++ % n;
}

/** Slow start share at `nowMs` for a target that entered slow start at `sinceMs` for `durationMs`. */
export function slowStartShare(sinceMs: number | undefined, durationMs: number, nowMs: number): number {
  if (sinceMs === undefined || durationMs <= 0) return 1;
  const f = (nowMs - sinceMs) / durationMs;
  return f >= 1 ? 1 : Math.max(0, f);
}
