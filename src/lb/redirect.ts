/**
 * The Location of a redirect action, built as ALB builds it: each component (protocol, host, port,
 * path, query) may reuse the request's own with #{protocol}, #{host}, #{port}, #{path} (the path
 * without its leading "/") and #{query} (without the "?"); the URL always carries the port; an
 * empty query leaves no "?".
 */
import type { RuleAction } from './config.js';

/** What a redirect may reuse from the request. */
export interface RedirectRequest {
  /** 'http' (HTTPS listeners do not exist yet). */
  protocol: string;
  /** The Host header without its port. */
  host: string;
  /** The listener's port. */
  port: number;
  /** The request path with its leading "/". */
  path: string;
  /** The raw query string without "?". */
  query: string;
}

type RedirectAction = Extract<RuleAction, { type: 'redirect' }>;

/** The Location header value for `action` applied to `request`. */
export function redirectLocation(action: RedirectAction, request: RedirectRequest): string {
  const substitute = (template: string) =>
    template.replace(/#\{(protocol|host|port|path|query)\}/g, (_, name: string) => {
      switch (name) {
        case 'protocol':
          return request.protocol;
        case 'host':
          return request.host;
        case 'port':
          return String(request.port);
        case 'path':
          return request.path.replace(/^\//, '');
        default:
          return request.query;
      }
    });
  const protocol = substitute(action.protocol).toLowerCase();
  const host = substitute(action.host);
  const port = substitute(action.port);
  let path = substitute(action.path);
  if (!path.startsWith('/')) path = '/' + path;
  const query = substitute(action.query);
  return `${protocol}://${host}:${port}${path}${query ? '?' + query : ''}`;
}

/** The status code for ELBv2's HTTP_301 / HTTP_302. */
export function redirectStatus(action: RedirectAction): number {
  return action.statusCode === 'HTTP_301' ? 301 : 302;
}
