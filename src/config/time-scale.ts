/**
 * `berth up --time-scale N` for Berth's own CloudWatch machinery: a second of metrics, alarms and
 * auto scaling lasts 1/N real seconds, while the clock stays real (timestamps, alarm history and
 * scaling activities carry real times; nothing is stamped in the future). Every place that scales
 * a duration goes through {@link scaledSeconds}, so the rounding is the same everywhere.
 */

/**
 * How many real seconds `seconds` of Berth's time last at `timeScale`: whole seconds, at least one
 * (metric buckets are whole seconds, so nothing finer can be read). At time scale 1 a whole
 * number of seconds is unchanged.
 */
export function scaledSeconds(seconds: number, timeScale: number): number {
  return Math.max(1, Math.round(seconds / timeScale));
}

/** A cooldown of `seconds` at `timeScale`: scaled as {@link scaledSeconds}, but no cooldown stays none. */
export function scaledCooldownSeconds(seconds: number, timeScale: number): number {
  return seconds <= 0 ? 0 : scaledSeconds(seconds, timeScale);
}
