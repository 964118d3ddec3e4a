/** ELBv2's Marker / PageSize paging (PageSize 1-400, default 400) over a stably ordered list. */
import { paginate } from '../../pagination/index.js';
import { validationError } from './errors.js';

/** One page of `items` and the marker of the next (absent on the last page). */
export function page<T>(items: readonly T[], input: { Marker?: string; PageSize?: number }, scope: string): { items: T[]; nextMarker?: string } {
  const p = paginate(items, { nextToken: input.Marker, maxResults: input.PageSize, defaultMax: 400, limit: 400, scope }, () =>
    validationError(`The marker '${input.Marker}' is not valid: it was not returned by this call with the same parameters`),
  );
  return { items: p.items, nextMarker: p.nextToken };
}
