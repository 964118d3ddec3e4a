/**
 * Listener rule evaluation, pure: given a listener's rules (ascending priority, the default rule
 * last) and what the load balancer knows of a request, the first rule whose conditions all match.
 * Within one condition any value may match. Matching follows ELBv2's documented semantics:
 *
 * - path-pattern: case-sensitive, against the path only (no query string), as sent (not decoded).
 * - host-header: case-insensitive, against the Host header without its port.
 * - http-header: header name case-insensitive; value wildcards case-insensitive; any of the
 *   header's values (a header sent several times) may match.
 * - http-request-method: exact and case-sensitive, no wildcards.
 * - query-string: key/value pairs, case-insensitive, wildcards; a pair without key matches any
 *   key; keys and values are URL-decoded before comparison.
 * - source-ip: CIDR blocks against the client socket's address (never X-Forwarded-For).
 */
import type { RuleCondition, RuleConfig } from './config.js';
import { cidrContains } from './cidr.js';
import { wildcardMatch } from './wildcard.js';

/** The parts of a request rule conditions look at. */
export interface RoutingRequest {
  method: string;
  /** The request target's path, without the query string. */
  path: string;
  /** The raw query string without the leading '?', '' when none. */
  query: string;
  /** The Host header as sent (may include a port), '' when absent. */
  host: string;
  /** Header names lower-case, as node's IncomingMessage.headers has them (joined) or arrays. */
  headers: Record<string, string | string[] | undefined>;
  /** The client socket's address. */
  sourceIp: string;
}

/** The first matching rule, or undefined when none matches (a listener always has a default rule). */
export function matchRule(rules: readonly RuleConfig[], request: RoutingRequest): RuleConfig | undefined {
  let parsedQuery: QueryPair[] | undefined;
  const query = () => (parsedQuery ??= parseQuery(request.query));
  for (const rule of rules) {
    if (rule.priority === 'default') return rule;
    if (rule.conditions.every((c) => conditionMatches(c, request, query))) return rule;
  }
  return undefined;
}

/** True when `request` satisfies `condition`. */
export function conditionMatches(condition: RuleCondition, request: RoutingRequest, query: () => QueryPair[] = () => parseQuery(request.query)): boolean {
  switch (condition.field) {
    case 'path-pattern':
      return condition.values.some((v) => wildcardMatch(v, request.path, false));
    case 'host-header': {
      const host = stripPort(request.host);
      return condition.values.some((v) => wildcardMatch(v, host, true));
    }
    case 'http-header': {
      const raw = request.headers[condition.headerName.toLowerCase()];
      if (raw === undefined) return false;
      const values = Array.isArray(raw) ? raw : [raw];
      return condition.values.some((v) => values.some((hv) => wildcardMatch(v, hv, true)));
    }
    case 'http-request-method':
      return condition.values.includes(request.method);
    case 'query-string': {
      const pairs = query();
      return condition.values.some((cv) =>
        pairs.some(
          (p) =>
            (cv.key === undefined || (p.key !== undefined && wildcardMatch(cv.key, p.key, true))) &&
            wildcardMatch(cv.value, p.value, true),
        ),
      );
    }
    case 'source-ip':
      return condition.values.some((cidr) => cidrContains(cidr, request.sourceIp));
  }
}

/** One `key=value` (or bare `value`) item of a query string, URL-decoded. */
export interface QueryPair {
  key?: string;
  value: string;
}

/** Splits a raw query string into decoded pairs; '+' is a space as in form encoding. */
export function parseQuery(query: string): QueryPair[] {
  if (!query) return [];
  const pairs: QueryPair[] = [];
  for (const item of query.split('&')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq < 0) pairs.push({ value: decode(item) });
    else pairs.push({ key: decode(item.slice(0, eq)), value: decode(item.slice(eq + 1)) });
  }
  return pairs;
}

function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A malformed escape ("%zz") is compared as sent rather than failing the request.
    return spaced;
  }
}

/** "Example.com:8080" -> "Example.com"; "[::1]:80" -> "[::1]". */
export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}
