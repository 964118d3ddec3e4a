/**
 * rpcv2Cbor values along the model, between what `@smithy/core/cbor` decodes or encodes and the
 * JSON-like values the rest of api/ uses: input is read into the form checkInput takes (blobs as
 * base64, timestamps as Date), output (already shaped) is made into CBOR items (blobs as byte
 * strings, timestamps as tag 1 epoch seconds, doubles as CBOR floats including NaN and Infinity).
 * Values CBOR can carry but a member of that type cannot (a byte string for a string, a tag other
 * than 1, an integer beyond 64 bits, a decimal fraction) are SerializationExceptions naming the member.
 */
import { tag, tagSymbol } from '@smithy/core/cbor';
import { NumericValue } from '@smithy/core/serde';
import { SerializationError } from '../../errors/index.js';
import type { ServiceModel, Shape } from '../../model/index.js';

/** How deep input may nest along the model before it is refused (checkInput's limit too). */
const MAX_DEPTH = 64;

/** CBOR tag 1: epoch-based date/time, the only tag rpcv2Cbor uses. */
const EPOCH_TAG = 1;

interface CborTag {
  tag: number | bigint;
  value: unknown;
}

function isTag(v: unknown): v is CborTag {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[tagSymbol] === true;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** A decoded CBOR map: a plain object (not a byte string, tag, decimal or list). */
function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isBytes(v) && !isTag(v) && !(v instanceof NumericValue);
}

/** Names a CBOR-only value for messages, or undefined for values checkInput describes itself. */
function cborKind(v: unknown): string | undefined {
  if (isBytes(v)) return 'A byte string';
  if (isTag(v)) return `A value with CBOR tag ${String(v.tag)}`;
  if (typeof v === 'bigint') return `Integer ${v}`;
  if (v instanceof NumericValue) return `Decimal ${v.string}`;
  return undefined;
}

const TYPE_NAMES: Record<Shape['type'], string> = {
  structure: 'a structure',
  list: 'a list',
  map: 'a map',
  string: 'a String',
  integer: 'an Integer',
  long: 'a Long',
  double: 'a Double',
  float: 'a Float',
  boolean: 'a Boolean',
  timestamp: 'a Timestamp',
  blob: 'a Blob',
};

function refuse(what: string, shape: Shape, at: string): SerializationError {
  return new SerializationError(`${what} can not be converted to ${TYPE_NAMES[shape.type] ?? shape.type} at '${at || 'input'}'.`);
}

/**
 * The entries of a decoded map. The decoder builds small maps with plain assignment, so a key
 * `__proto__` whose value is a map becomes the object's prototype; it is read back as an entry.
 */
function entriesOf(v: Record<string, unknown>): [string, unknown][] {
  const entries = Object.entries(v);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) entries.push(['__proto__', proto]);
  return entries;
}

/** Sets a key as plain data, so `__proto__` stays an entry. */
function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Reads a decoded CBOR input along `shapeName` into checkInput's form. Members the model does not
 * name are dropped; values of the wrong JSON-like type are left for checkInput to report.
 */
export function readCborInput(model: ServiceModel, shapeName: string, value: unknown): unknown {
  return readValue(model, shapeName, value, '', 0);
}

function readValue(model: ServiceModel, shapeName: string, v: unknown, at: string, depth: number): unknown {
  if (v === null || v === undefined) return v;
  const shape = model.shapes[shapeName];
  if (depth > MAX_DEPTH) throw new SerializationError(`Input nests deeper than ${MAX_DEPTH} levels at '${at || 'input'}'.`);
  switch (shape.type) {
    case 'structure': {
      if (!isMap(v)) break;
      const out: Record<string, unknown> = {};
      const members = shape.members ?? {};
      for (const [name, item] of entriesOf(v)) {
        if (!Object.hasOwn(members, name)) continue;
        out[name] = readValue(model, members[name].shape, item, at ? `${at}.${name}` : name, depth + 1);
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(v)) break;
      return v.map((item, i) => readValue(model, shape.member!.shape, item, `${at}.${i + 1}.member`, depth + 1));
    case 'map': {
      if (!isMap(v)) break;
      const out: Record<string, unknown> = {};
      for (const [k, item] of entriesOf(v)) setEntry(out, k, readValue(model, shape.value!.shape, item, `${at}.${k}.value`, depth + 1));
      return out;
    }
    case 'timestamp': {
      // Tag 1 around epoch seconds, integer or float; an untagged number is read the same way.
      const seconds = isTag(v) && Number(v.tag) === EPOCH_TAG ? v.value : v;
      if (typeof seconds === 'number') {
        const d = new Date(seconds * 1000);
        if (!Number.isNaN(d.getTime())) return d;
        throw refuse(`Epoch seconds ${seconds}`, shape, at);
      }
      throw refuse(cborKind(v) ?? describeJsonLike(v), shape, at);
    }
    case 'blob':
      if (isBytes(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      // checkInput would take a text string as base64 (awsJson's form); CBOR sends bytes.
      throw refuse(cborKind(v) ?? describeJsonLike(v), shape, at);
    case 'long':
    case 'integer':
      if (typeof v === 'bigint') throw new SerializationError(`Numeric value (${v}) out of range of ${shape.type === 'long' ? 'long' : 'int'} at '${at || 'input'}'.`);
      break;
    case 'double':
    case 'float':
      // An integer too large for 53 bits is still a number a double member can hold (rounded).
      if (typeof v === 'bigint') return Number(v);
      break;
    default:
      break;
  }
  const kind = cborKind(v);
  if (kind) throw refuse(kind, shape, at);
  return v;
}

function describeJsonLike(v: unknown): string {
  if (typeof v === 'string') return 'A text string';
  if (typeof v === 'boolean') return 'A boolean';
  if (Array.isArray(v)) return 'An array';
  if (typeof v === 'object') return 'A map';
  return typeof v;
}

/**
 * Makes a shaped output (timestamps as Date, blobs as base64 text or Buffers) into the items
 * `cbor.serialize` writes. Absent members are left out, never written as null.
 */
export function writeCborValue(model: ServiceModel, shapeName: string, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[shapeName];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const members = shape.members ?? {};
      for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
        if (!Object.hasOwn(members, name)) continue;
        const got = writeCborValue(model, members[name].shape, item);
        if (got !== undefined) out[name] = got;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => writeCborValue(model, shape.member!.shape, item)).filter((x) => x !== undefined);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
        const got = writeCborValue(model, shape.value!.shape, item);
        if (got !== undefined) setEntry(out, k, got);
      }
      return out;
    }
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : String(value));
      return Number.isNaN(d.getTime()) ? undefined : tag({ tag: EPOCH_TAG, value: d.getTime() / 1000 });
    }
    case 'blob':
      if (isBytes(value)) return value;
      return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
    default:
      return value;
  }
}
