/**
 * restJson routing: every operation's `http.method` + `http.requestUri` compiled once into a
 * per-service trie of path segments, so a request is matched in one walk of its path rather than
 * by trying each of a service's (Lambda: 85) URI templates in turn.
 *
 * A template is `/2015-03-31/functions/{FunctionName}/invocations`, with labels `{Name}` (one
 * segment) and greedy labels `{Name+}` (the rest of the path, slashes included), and may end in
 * literal query parts (`?List=ALL`, `?versions`) that the request must carry. When several
 * templates fit, the most specific wins, as AWS's routers choose: a literal segment before a
 * label, a label before a greedy label, and more literal query parts before fewer.
 */
import type { OperationModel } from '../../model/index.js';

/** A literal query part of a requestUri: the key must be present, and equal `value` when one is given. */
export interface QueryLiteral {
  key: string;
  value?: string;
}

/** One compiled operation route. */
interface Route {
  operation: string;
  method: string;
  /** Label names in path order, for the segments the trie bound. */
  labels: string[];
  /** The greedy label's name, when the template ends in one. */
  greedy?: string;
  query: QueryLiteral[];
}

interface Node {
  literal: Map<string, Node>;
  label?: Node;
  /** Routes whose template ends here (by method). */
  routes: Route[];
  /** Routes whose greedy label starts here. */
  greedy: Route[];
}

/** A request matched to an operation: its name, labels (URL-decoded) and literal query keys. */
export interface RouteMatch {
  operation: string;
  labels: Record<string, string>;
  /** Query keys the template itself names; they are not input members. */
  literalQueryKeys: string[];
}

const newNode = (): Node => ({ literal: new Map(), routes: [], greedy: [] });

/** The path segments of a URI: split on `/`, empty segments dropped (a trailing slash is not significant). */
function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Parses `?a=b&c` into query literals. */
function parseQueryLiterals(q: string): QueryLiteral[] {
  return q
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { key: decodeURIComponent(p) } : { key: decodeURIComponent(p.slice(0, eq)), value: decodeURIComponent(p.slice(eq + 1)) };
    });
}

/** The compiled routes of one service. */
export class RouteTable {
  private readonly root = newNode();

  constructor(operations: Record<string, OperationModel>) {
    for (const [name, op] of Object.entries(operations)) {
      if (op.http) this.add(name, op.http.method.toUpperCase(), op.http.requestUri);
    }
    // The most specific first: more literal query parts, then a stable order by name.
    const sort = (node: Node): void => {
      node.routes.sort((a, b) => b.query.length - a.query.length);
      node.greedy.sort((a, b) => b.query.length - a.query.length);
      for (const child of node.literal.values()) sort(child);
      if (node.label) sort(node.label);
    };
    sort(this.root);
  }

  private add(operation: string, method: string, requestUri: string): void {
    const q = requestUri.indexOf('?');
    const path = q < 0 ? requestUri : requestUri.slice(0, q);
    const route: Route = { operation, method, labels: [], query: q < 0 ? [] : parseQueryLiterals(requestUri.slice(q + 1)) };
    let node = this.root;
    for (const segment of segmentsOf(path)) {
      const label = /^\{([^}]+)\}$/.exec(segment);
      if (label && label[1].endsWith('+')) {
        route.greedy = label[1].slice(0, -1);
        node.greedy.push(route);
        return;
      }
      if (label) {
        route.labels.push(label[1]);
        node = node.label ??= newNode();
      } else {
        const key = decodeURIComponent(segment);
        let next = node.literal.get(key);
        if (!next) node.literal.set(key, (next = newNode()));
        node = next;
      }
    }
    node.routes.push(route);
  }

  /**
   * The operation a request addresses, or undefined. `path` is the raw (percent-encoded) path;
   * `query` the decoded query parameters. A path that fits a template under another method only
   * is no match either (AWS answers both as an unknown operation).
   */
  match(method: string, path: string, query: Record<string, string | string[]>): RouteMatch | undefined {
    const raw = segmentsOf(path);
    let decoded: string[];
    try {
      decoded = raw.map((s) => decodeURIComponent(s));
    } catch {
      return undefined; // a malformed %-escape names no resource
    }
    const fits = (r: Route) => r.method === method && r.query.every((l) => queryHas(query, l));
    const found = walk(this.root, 0);
    if (!found) return undefined;
    const { route, bound, greedyFrom } = found;
    const labels: Record<string, string> = {};
    route.labels.forEach((name, i) => (labels[name] = bound[i]));
    if (route.greedy !== undefined) labels[route.greedy] = decoded.slice(greedyFrom).join('/');
    return { operation: route.operation, labels, literalQueryKeys: route.query.map((l) => l.key) };

    function walk(node: Node, i: number): { route: Route; bound: string[]; greedyFrom: number } | undefined {
      if (i === decoded.length) {
        const route = node.routes.find(fits);
        if (route) return { route, bound: [], greedyFrom: i };
      } else {
        const lit = node.literal.get(decoded[i]);
        const viaLiteral = lit && walk(lit, i + 1);
        if (viaLiteral) return viaLiteral;
        const viaLabel = node.label && walk(node.label, i + 1);
        if (viaLabel) {
          viaLabel.bound.unshift(decoded[i]);
          return viaLabel;
        }
      }
      // A greedy label takes one segment at least.
      if (i < decoded.length) {
        const route = node.greedy.find(fits);
        if (route) return { route, bound: [], greedyFrom: i };
      }
      return undefined;
    }
  }
}

function queryHas(query: Record<string, string | string[]>, literal: QueryLiteral): boolean {
  const v = query[literal.key];
  if (v === undefined) return false;
  if (literal.value === undefined) return true;
  return Array.isArray(v) ? v.includes(literal.value) : v === literal.value;
}
