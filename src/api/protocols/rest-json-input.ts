/**
 * restJson input: reads an operation's input members from where the model binds them — URI
 * labels (`location: uri`), query parameters (`querystring`: scalars, lists as repeated keys, a
 * map taking the parameters no other member names), headers (`header`, and `headers` prefix
 * maps), the `payload` member (a blob or string is the raw body, a structure is the JSON body),
 * and every other member from the JSON body under its wire name (`locationName`).
 *
 * Labels, query parameters and headers are text on the wire; they are typed here along the
 * model (integers, booleans, doubles, timestamps) and a value that is not of its type is a
 * SerializationException naming the parameter. The result is in the JSON form checkInput
 * takes (blobs as base64, timestamps as Date), so constraints are checked once, as for awsJson.
 */
import { SerializationError } from '../../errors/index.js';
import type { MemberRef, ServiceModel, Shape } from '../../model/index.js';
import type { IncomingCall } from './protocol.js';
import type { RouteMatch } from './rest-json-routes.js';

/** Reads the raw input of one operation; throws SerializationError for what cannot be typed. */
export function readRestJsonInput(model: ServiceModel, inputShape: string, call: IncomingCall, match: RouteMatch): Record<string, unknown> {
  const shape = model.shapes[inputShape];
  const members = shape.members ?? {};
  const out: Record<string, unknown> = {};

  const payloadName = (shape as Shape & { payload?: string }).payload;
  const bodyMembers: [string, MemberRef][] = [];
  const namedQueryKeys = new Set(match.literalQueryKeys);
  let queryMap: [string, MemberRef] | undefined;

  for (const [name, ref] of Object.entries(members)) {
    const wire = ref.locationName ?? name;
    const target = model.shapes[ref.shape];
    switch (ref.location) {
      case 'uri': {
        const v = match.labels[wire];
        if (v !== undefined) out[name] = scalar(model, ref, v, `URI label ${wire}`, 'iso8601');
        break;
      }
      case 'querystring': {
        if (target.type === 'map') {
          queryMap = [name, ref];
          break;
        }
        namedQueryKeys.add(wire);
        const v = call.query[wire];
        if (v === undefined) break;
        if (target.type === 'list') {
          const item = target.member!;
          out[name] = (Array.isArray(v) ? v : [v]).map((x) => scalar(model, item, x, `query parameter ${wire}`, 'iso8601'));
        } else {
          out[name] = scalar(model, ref, Array.isArray(v) ? v[0] : v, `query parameter ${wire}`, 'iso8601');
        }
        break;
      }
      case 'header': {
        const v = call.headers[wire.toLowerCase()];
        if (v === undefined) break;
        if (target.type === 'list') {
          out[name] = splitHeaderList(v).map((x) => scalar(model, target.member!, x, `header ${wire}`, 'rfc822'));
        } else {
          out[name] = scalar(model, ref, v, `header ${wire}`, 'rfc822');
        }
        break;
      }
      case 'headers': {
        const prefix = wire.toLowerCase();
        const map: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(call.headers)) {
          if (v !== undefined && k.startsWith(prefix)) setEntry(map, k.slice(prefix.length), v);
        }
        if (Object.keys(map).length) out[name] = map;
        break;
      }
      case 'statusCode':
        break;
      default:
        if (name === payloadName) out[name] = payloadOf(model, ref, call);
        else bodyMembers.push([name, ref]);
    }
  }

  if (queryMap) {
    // A map of query parameters takes every parameter that no other member or literal names.
    const [name, ref] = queryMap;
    const valueShape = model.shapes[model.shapes[ref.shape].value!.shape];
    const map: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(call.query)) {
      if (namedQueryKeys.has(k) || isSigningParameter(k)) continue;
      setEntry(map, k, valueShape.type === 'list' ? (Array.isArray(v) ? v : [v]) : Array.isArray(v) ? v[0] : v);
    }
    if (Object.keys(map).length) out[name] = map;
  }

  if (payloadName === undefined && bodyMembers.length > 0) {
    const body = parseJsonObject(call.body);
    for (const [name, ref] of bodyMembers) {
      const v = body[ref.locationName ?? name];
      if (v !== undefined) out[name] = fromWire(model, ref.shape, v, 0);
    }
  }
  return out;
}

/** The payload member: the raw body for a blob (base64 for checkInput) or string, the JSON body for a structure. */
function payloadOf(model: ServiceModel, ref: MemberRef, call: IncomingCall): unknown {
  const target = model.shapes[ref.shape];
  if (target.type === 'blob') return call.body.length ? call.body.toString('base64') : undefined;
  if (target.type === 'string') return call.body.length ? call.body.toString('utf8') : undefined;
  if (call.body.length === 0) return undefined;
  return fromWire(model, ref.shape, parseJsonObject(call.body), 0);
}

/** A JSON request body; an empty body is `{}`. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new SerializationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SerializationError('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * A JSON body value with wire names (`locationName`) turned into member names, deep. Values are
 * otherwise left as sent: checkInput reports wrong JSON types with their member path.
 */
function fromWire(model: ServiceModel, shapeName: string, v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object' || depth > 64) return v;
  const shape = model.shapes[shapeName];
  if (shape.type === 'list' && Array.isArray(v)) return v.map((x) => fromWire(model, shape.member!.shape, x, depth + 1));
  if (shape.type === 'map' && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setEntry(out, k, fromWire(model, shape.value!.shape, x, depth + 1));
    return out;
  }
  if (shape.type === 'structure' && !Array.isArray(v)) {
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const x = src[ref.locationName ?? name];
      if (x !== undefined) out[name] = fromWire(model, ref.shape, x, depth + 1);
    }
    return out;
  }
  return v;
}

/**
 * Types one text value (label, query parameter or header) along its shape. `defaultFormat` is the
 * timestamp format of its location (ISO 8601 in URIs and query strings, HTTP dates in headers).
 */
function scalar(model: ServiceModel, ref: MemberRef, text: string, where: string, defaultFormat: string): unknown {
  const shape = model.shapes[ref.shape] as Shape & { jsonvalue?: boolean };
  const bad = (what: string) => new SerializationError(`Value '${clip(text)}' for ${where} is not ${what}.`);
  switch (shape.type) {
    case 'integer':
    case 'long': {
      if (!/^[+-]?\d+$/.test(text.trim())) throw bad('an integer');
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw bad('an integer in range');
      return n;
    }
    case 'double':
    case 'float': {
      const t = text.trim();
      if (t === 'NaN') return NaN;
      if (t === 'Infinity') return Infinity;
      if (t === '-Infinity') return -Infinity;
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw bad('a number');
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true') return true;
      if (t === 'false') return false;
      throw bad('a boolean (true or false)');
    }
    case 'timestamp': {
      const d = parseTimestamp(text.trim(), ref.timestampFormat ?? shape.timestampFormat ?? defaultFormat);
      if (!d) throw bad('a timestamp');
      return d;
    }
    case 'blob':
      // A blob outside the body travels base64-encoded already.
      return text;
    case 'string':
      if ((ref as MemberRef & { jsonvalue?: boolean }).jsonvalue || shape.jsonvalue) return jsonValueText(text, where);
      return text;
    default:
      return text;
  }
}

/** A `jsonvalue` header: base64 of a JSON document; the operation gets the JSON text. */
function jsonValueText(text: string, where: string): string {
  const json = Buffer.from(text, 'base64').toString('utf8');
  try {
    JSON.parse(json);
  } catch {
    throw new SerializationError(`The value of ${where} is not base64-encoded JSON.`);
  }
  return json;
}

/** Parses a timestamp in a given format; epoch seconds and ISO 8601 are accepted in any location. */
export function parseTimestamp(text: string, format: string): Date | undefined {
  let ms: number;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else if (format === 'rfc822' || /^[A-Za-z]{3},/.test(text)) ms = Date.parse(text);
  else ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A header carrying a list: comma-separated items (a list of HTTP dates is not supported: they contain commas). */
function splitHeaderList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** SigV4 presigned parameters are never input members. */
function isSigningParameter(key: string): boolean {
  return key.startsWith('X-Amz-') && ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'].includes(key);
}

function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
