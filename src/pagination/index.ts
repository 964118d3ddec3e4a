/**
 * Opaque `nextToken` / `maxResults` paging over a stably ordered list, as AWS list calls page.
 * A token records where the next page starts and which listing it belongs to, so a token
 * from one listing is refused by another.
 */

/** A page of items and the token for the next page (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** The paging request and its limits. */
export interface PageRequest {
  nextToken?: string;
  maxResults?: number;
  /** The page size when maxResults is absent. */
  defaultMax: number;
  /** The largest maxResults allowed. */
  limit: number;
  /** Identifies the listing (operation and filters) the token belongs to. */
  scope: string;
}

/** Thrown as the service's own validation error by the caller-supplied factory. */
export type InvalidPaging = (message: string) => Error;

/** Returns the requested page of `items` (which must be in a stable order). */
export function paginate<T>(items: readonly T[], req: PageRequest, invalid: InvalidPaging): Page<T> {
  if (req.maxResults !== undefined && (req.maxResults < 1 || req.maxResults > req.limit)) {
    throw invalid(`maxResults must be between 1 and ${req.limit}; got ${req.maxResults}.`);
  }
  const size = req.maxResults ?? req.defaultMax;
  const start = req.nextToken === undefined ? 0 : decode(req.nextToken, req.scope, invalid);
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? encode(end, req.scope) : undefined,
  };
}

function encode(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope }), 'utf8').toString('base64url');
}

function decode(token: string, scope: string, invalid: InvalidPaging): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.s === scope) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw invalid('Invalid nextToken: it was not returned by this listing with the same parameters.');
}
