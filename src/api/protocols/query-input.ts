/**
 * awsQuery input: turns the flat `Name.member.1.Field=value` parameters of a query request into
 * the operation's input value, walking the botocore model exactly as the SDKs and the CLI
 * serialize it. Structures are `Member.Name` (a member's `locationName` wins), lists
 * `Name.member.N` (1-based; the list member's `locationName` replaces `member`; flattened lists
 * `Name.N`), maps `Name.entry.N.key` / `Name.entry.N.value` (flattened: `Name.N.key`), and a
 * bare `Name=` is an empty list. Scalars are typed here (numbers, `true`/`false`, ISO 8601
 * timestamps, base64 blobs), so `checkInput` then sees JSON-like values and checks constraints
 * unchanged.
 */
import { InvalidParameterValueError, InvalidQueryParameterError } from '../../errors/index.js';
import type { MemberRef, ServiceModel, Shape } from '../../model/index.js';

/** One segment of the dotted parameter names: the value given at this name, and what nests below. */
interface ParamNode {
  value?: string;
  children: Map<string, ParamNode>;
}

/** Builds the tree of dotted names, e.g. `Tags.member.1.Key` -> Tags > member > 1 > Key. */
export function paramTree(params: Iterable<[string, string]>): ParamNode {
  const root: ParamNode = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const segment of key.split('.')) {
      let next = node.children.get(segment);
      if (!next) {
        next = { children: new Map() };
        node.children.set(segment, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

/**
 * Reads the input of an operation from its query parameters (`Action` and `Version` excluded by
 * the caller, or simply ignored: parameters the model does not name are dropped, as AWS does).
 */
export function readQueryInput(model: ServiceModel, shapeName: string, params: Iterable<[string, string]>): Record<string, unknown> {
  return readStructure(model, model.shapes[shapeName], paramTree(params), '');
}

function join(at: string, name: string): string {
  return at ? `${at}.${name}` : name;
}

function readStructure(model: ServiceModel, shape: Shape, node: ParamNode, at: string): Record<string, unknown> {
  if (node.value !== undefined && node.value !== '' && at) {
    throw new InvalidQueryParameterError(`The parameter ${at} is a structure: give its members as ${at}.<Member>, not a value.`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const wire = wireName(model, name, ref);
    const child = node.children.get(wire);
    if (!child) continue;
    const got = readValue(model, ref, child, join(at, wire));
    if (got !== undefined) out[name] = got;
  }
  return out;
}

/**
 * The name a structure member has on the wire: its `locationName`, or, for a flattened list
 * whose member has a `locationName`, that name (botocore's rule), else the member's own name.
 */
function wireName(model: ServiceModel, name: string, ref: MemberRef): string {
  const target = model.shapes[ref.shape];
  if (target.type === 'list' && (ref.flattened || target.flattened) && target.member?.locationName) return target.member.locationName;
  return ref.locationName ?? name;
}

/** Deepest parameter name read, in dotted segments: recursive shapes could otherwise nest without end, and checkInput allows 64 levels. */
const MAX_SEGMENTS = 64;

function readValue(model: ServiceModel, ref: MemberRef, node: ParamNode, at: string): unknown {
  if (at.split('.').length > MAX_SEGMENTS) throw new InvalidQueryParameterError(`The parameter ${at.slice(0, 200)}... nests deeper than ${MAX_SEGMENTS} levels.`);
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure':
      return readStructure(model, shape, node, at);
    case 'list':
      return readList(model, ref, shape, node, at);
    case 'map':
      return readMap(model, ref, shape, node, at);
    default:
      return readScalar(shape, ref, node, at);
  }
}

/** The children of `node` named 1, 2, 3, ... in index order; other names are malformed. */
function indexed(node: ParamNode, at: string): [string, ParamNode][] {
  const items: [number, string, ParamNode][] = [];
  for (const [segment, child] of node.children) {
    if (!/^[1-9][0-9]{0,8}$/.test(segment)) {
      throw new InvalidQueryParameterError(`The parameter ${join(at, segment)} is not valid: list and map entries are numbered ${at}.1, ${at}.2, ...`);
    }
    items.push([Number(segment), segment, child]);
  }
  // Gaps are tolerated (AWS reads the indexes in order); the SDKs never send them.
  return items.sort((a, b) => a[0] - b[0]).map(([, s, c]) => [s, c]);
}

function isEmptyMarker(node: ParamNode): boolean {
  return node.value === '' && node.children.size === 0;
}

function readList(model: ServiceModel, ref: MemberRef, shape: Shape, node: ParamNode, at: string): unknown[] {
  if (isEmptyMarker(node)) return [];
  if (node.value !== undefined && node.value !== '') {
    const hint = ref.flattened || shape.flattened ? `${at}.1` : `${at}.${shape.member!.locationName ?? 'member'}.1`;
    throw new InvalidQueryParameterError(`The parameter ${at} is a list: give its items as ${hint}, ${hint.replace(/1$/, '2')}, ...`);
  }
  let itemsAt = at;
  let items = node;
  if (!(ref.flattened || shape.flattened)) {
    const name = shape.member!.locationName ?? 'member';
    const found = node.children.get(name);
    if (!found) {
      const other = node.children.keys().next().value;
      if (other === undefined) return [];
      throw new InvalidQueryParameterError(`The parameter ${join(at, other)} is not valid: the items of list ${at} are ${at}.${name}.1, ${at}.${name}.2, ...`);
    }
    items = found;
    itemsAt = join(at, name);
  }
  const out: unknown[] = [];
  for (const [segment, child] of indexed(items, itemsAt)) {
    const got = readValue(model, shape.member!, child, join(itemsAt, segment));
    if (got !== undefined) out.push(got);
  }
  return out;
}

function readMap(model: ServiceModel, ref: MemberRef, shape: Shape, node: ParamNode, at: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (isEmptyMarker(node)) return out;
  let entriesAt = at;
  let entries = node;
  if (!(ref.flattened || shape.flattened)) {
    const found = node.children.get('entry');
    if (!found) {
      const other = node.children.keys().next().value;
      if (other === undefined) return out;
      throw new InvalidQueryParameterError(`The parameter ${join(at, other)} is not valid: the entries of map ${at} are ${at}.entry.1.key, ${at}.entry.1.value, ...`);
    }
    entries = found;
    entriesAt = join(at, 'entry');
  }
  const keyName = shape.key!.locationName ?? 'key';
  const valueName = shape.value!.locationName ?? 'value';
  for (const [segment, entry] of indexed(entries, entriesAt)) {
    const entryAt = join(entriesAt, segment);
    const keyNode = entry.children.get(keyName);
    if (keyNode?.value === undefined) throw new InvalidQueryParameterError(`The map entry ${entryAt} has no ${entryAt}.${keyName}.`);
    const key = readScalar(model.shapes[shape.key!.shape], shape.key!, keyNode, join(entryAt, keyName)) as string;
    const valueNode = entry.children.get(valueName);
    if (!valueNode) continue;
    const got = readValue(model, shape.value!, valueNode, join(entryAt, valueName));
    // Defined as plain data, so a key like `__proto__` stays a key.
    if (got !== undefined) Object.defineProperty(out, key, { value: got, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const INTEGER = /^[+-]?[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function invalid(shape: Shape, value: string, at: string, expected: string): InvalidParameterValueError {
  // A sensitive member's value is never quoted back.
  if (shape.sensitive) return new InvalidParameterValueError(`The value for parameter ${at} is invalid: expected ${expected}.`);
  const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value;
  return new InvalidParameterValueError(`Value '${shown}' for parameter ${at} is invalid: expected ${expected}.`);
}

function readScalar(shape: Shape, ref: MemberRef, node: ParamNode, at: string): unknown {
  if (node.children.size > 0) {
    const first = node.children.keys().next().value!;
    throw new InvalidQueryParameterError(`The parameter ${join(at, first)} is not valid: ${at} is a single ${shape.type} value.`);
  }
  const v = node.value!;
  switch (shape.type) {
    case 'string':
      return v;
    case 'integer':
    case 'long': {
      if (!INTEGER.test(v)) throw invalid(shape, v, at, `an integer`);
      const n = Number(v);
      const [min, max] = shape.type === 'integer' ? [-2147483648, 2147483647] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(shape, v, at, `an integer from ${min} to ${max}`);
      return n;
    }
    case 'double':
    case 'float': {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (!DECIMAL.test(v)) throw invalid(shape, v, at, 'a number');
      return Number(v);
    }
    case 'boolean': {
      const lower = v.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalid(shape, v, at, `true or false`);
      return lower === 'true';
    }
    case 'timestamp': {
      // ISO 8601 is the query protocol's default; members marked unixTimestamp (and lenient
      // clients) send epoch seconds.
      const format = ref.timestampFormat ?? shape.timestampFormat;
      const d = DECIMAL.test(v) && (format === 'unixTimestamp' || !v.includes('-')) ? new Date(Number(v) * 1000) : ISO_8601.test(v) || format === 'rfc822' ? new Date(v) : undefined;
      if (!d || Number.isNaN(d.getTime())) throw invalid(shape, v, at, 'an ISO 8601 timestamp such as 2024-05-01T12:00:00Z');
      return d;
    }
    case 'blob': {
      const compact = v.replace(/\s+/g, '');
      if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw invalid(shape, v.slice(0, 40), at, 'base64-encoded data');
      return compact;
    }
    default:
      return v;
  }
}
