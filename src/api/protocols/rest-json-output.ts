/**
 * restJson output: an operation's result (already shaped by the model, timestamps as Date,
 * blobs base64) written where the model binds each member — the HTTP status (`http.responseCode`,
 * or a member with `location: statusCode`), headers (`header`, and `headers` prefix maps), the
 * `payload` member (a blob is the raw body, a string text, a structure JSON), and every other
 * member in a JSON body under its wire name. Body timestamps are epoch seconds unless the member
 * names a `timestampFormat`; header timestamps are HTTP dates.
 *
 * Errors are written the same way from their modelled members: Lambda's
 * `{"Type": "User", "Message": "..."}` with `x-amzn-ErrorType: ResourceNotFoundException`.
 */
import type { MemberRef, ServiceModel, Shape } from '../../model/index.js';

/** What a response carries besides the request id: status, headers and body. */
export interface RestResponseParts {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/**
 * Writes `value` (a structure of shape `shapeName`) as a response. `defaultStatus` is the
 * operation's `http.responseCode` (or an error's `httpStatusCode`); `extra` are body members the
 * model does not name (an error's `message` when its shape has none).
 */
export function writeRestJson(
  model: ServiceModel,
  shapeName: string | undefined,
  value: Record<string, unknown>,
  defaultStatus: number,
  extra?: Record<string, unknown>,
): RestResponseParts {
  const headers: Record<string, string> = {};
  let statusCode = defaultStatus;
  if (!shapeName) return { statusCode, headers: { 'content-type': 'application/json' }, body: statusCode === 204 ? '' : '{}' };
  const shape = model.shapes[shapeName] as Shape & { payload?: string };
  const members = shape.members ?? {};
  const body: Record<string, unknown> = { ...extra };
  let payload: RestResponseParts['body'] | undefined;
  let contentType = 'application/json';

  for (const [name, ref] of Object.entries(members)) {
    const v = value[name];
    switch (ref.location) {
      case 'statusCode':
        if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599) statusCode = v;
        break;
      case 'header':
        if (v !== undefined && v !== null) headers[(ref.locationName ?? name).toLowerCase()] = headerText(model, ref, v);
        break;
      case 'headers':
        if (v && typeof v === 'object') {
          const prefix = (ref.locationName ?? name).toLowerCase();
          for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) headers[prefix + k.toLowerCase()] = String(x);
        }
        break;
      case 'uri':
      case 'querystring':
        break;
      default:
        if (name === shape.payload) {
          const target = model.shapes[ref.shape];
          if (target.type === 'blob') {
            contentType = 'application/octet-stream';
            payload = v === undefined || v === null ? Buffer.alloc(0) : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'base64');
          } else if (target.type === 'string') {
            contentType = 'text/plain';
            payload = v === undefined || v === null ? '' : String(v);
          } else {
            payload = v === undefined || v === null ? '{}' : JSON.stringify(toWire(model, ref, v));
          }
        } else {
          if (v !== undefined && v !== null) body[ref.locationName ?? name] = toWire(model, ref, v);
        }
    }
  }
  headers['content-type'] = contentType;
  if (payload !== undefined) return { statusCode, headers, body: statusCode === 204 ? '' : payload };
  // A 204 has no body; an output with no body members sends `{}` like AWS's restJson services.
  if (statusCode === 204) return { statusCode, headers, body: '' };
  return { statusCode, headers, body: JSON.stringify(body) };
}

/** A shaped value in its JSON wire form: wire names, timestamps formatted, blobs base64. */
function toWire(model: ServiceModel, ref: MemberRef, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const got = toWire(model, member, (v as Record<string, unknown>)[name]);
        if (got !== undefined) out[member.locationName ?? name] = got;
      }
      return out;
    }
    case 'list':
      return Array.isArray(v) ? v.map((x) => toWire(model, shape.member!, x) ?? null) : undefined;
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const got = toWire(model, shape.value!, x);
        if (got !== undefined) Object.defineProperty(out, k, { value: got, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'timestamp':
      return v instanceof Date ? formatTimestamp(v, ref.timestampFormat ?? shape.timestampFormat ?? 'unixTimestamp') : v;
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : v;
    default:
      return v;
  }
}

/** A header value: timestamps as HTTP dates (or the member's format), `jsonvalue` as base64 JSON, lists comma-joined. */
function headerText(model: ServiceModel, ref: MemberRef, v: unknown): string {
  const shape = model.shapes[ref.shape] as Shape & { jsonvalue?: boolean };
  if (shape.type === 'timestamp') {
    const d = v instanceof Date ? v : new Date(v as string | number);
    return String(formatTimestamp(d, ref.timestampFormat ?? shape.timestampFormat ?? 'rfc822'));
  }
  if ((ref as MemberRef & { jsonvalue?: boolean }).jsonvalue || shape.jsonvalue) {
    return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
  }
  if (shape.type === 'list' && Array.isArray(v)) return v.map((x) => headerText(model, shape.member!, x)).join(', ');
  if (shape.type === 'blob' && Buffer.isBuffer(v)) return v.toString('base64');
  // Header values are Latin-1 on the wire; anything else is dropped by Node, so escape it.
  return String(v).replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => encodeURIComponent(c));
}

/** Formats a timestamp: `unixTimestamp` (epoch seconds), `iso8601`, or `rfc822` (HTTP date). */
export function formatTimestamp(d: Date, format: string): number | string {
  if (format === 'iso8601') return d.toISOString();
  if (format === 'rfc822') return d.toUTCString();
  return d.getTime() / 1000;
}
