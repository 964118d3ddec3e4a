/**
 * AWS API models (botocore's service-2.json) as Berth's wire contract: loading, input checking
 * against the shapes (types, required members, enums, lengths, ranges, patterns), and shaping
 * output so only modelled members leave Berth.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** One shape of a botocore model. */
export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'timestamp' | 'blob';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  sensitive?: boolean;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  timestampFormat?: string;
  flattened?: boolean;
  locationName?: string;
  union?: boolean;
}

/** A reference from a member to its shape, with member-level traits. */
export interface MemberRef {
  shape: string;
  locationName?: string;
  location?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  timestampFormat?: string;
  idempotencyToken?: boolean;
}

/** One operation of a model. */
export interface OperationModel {
  name: string;
  http?: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string; resultWrapper?: string };
  errors?: { shape: string }[];
}

/** A service's model, paginators included. */
export interface ServiceModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    protocol: string;
    protocols?: string[];
    jsonVersion?: string;
    targetPrefix?: string;
    signingName?: string;
    serviceId: string;
    xmlNamespace?: string;
  };
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
  paginators: Record<string, { input_token: string; output_token: string; limit_key?: string; result_key: string | string[] }>;
}

const modelsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/aws');
const cache = new Map<string, ServiceModel>();

/** Loads (once) the model of a service from `models/aws/<name>/`. */
export function loadServiceModel(name: string): ServiceModel {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = path.join(modelsRoot, name);
  const raw = JSON.parse(gunzipSync(readFileSync(path.join(dir, 'service-2.json.gz'))).toString('utf8'));
  let paginators = {};
  try {
    paginators = JSON.parse(readFileSync(path.join(dir, 'paginators-1.json'), 'utf8')).pagination ?? {};
  } catch {
    paginators = {};
  }
  const model: ServiceModel = { metadata: raw.metadata, operations: raw.operations, shapes: raw.shapes, paginators };
  cache.set(name, model);
  return model;
}

/** Problems found in an input, split the way AWS splits them. */
export interface InputProblems {
  /** Wrong JSON types: AWS answers these with SerializationException, one at a time. */
  typeErrors: string[];
  /** Constraint violations (required, enum, length, range, pattern): reported together. */
  constraintErrors: string[];
}

/**
 * Checks `input` against `shapeName` and returns a cleaned copy: unknown members dropped,
 * nulls treated as absent, timestamps as Date, blobs as Buffer.
 */
export function checkInput(model: ServiceModel, shapeName: string, input: unknown): { value: any; problems: InputProblems } {
  const problems: InputProblems = { typeErrors: [], constraintErrors: [] };
  const value = checkValue(model, shapeName, input, '', problems, 0);
  return { value: value ?? {}, problems };
}

const MAX_DEPTH = 64;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'START_ARRAY';
  if (typeof v === 'object') return 'START_OBJECT';
  if (typeof v === 'string') return 'VALUE_STRING';
  if (typeof v === 'number') return 'VALUE_NUMBER';
  if (typeof v === 'boolean') return 'VALUE_BOOLEAN';
  return typeof v;
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `'${s.length > 200 ? s.slice(0, 200) + '...' : s}'`;
}

function checkValue(model: ServiceModel, shapeName: string, v: unknown, at: string, p: InputProblems, depth: number, inSensitive = false): unknown {
  if (v === null || v === undefined) return undefined;
  const shape = model.shapes[shapeName];
  // Values of sensitive shapes (and everything inside them) are never quoted back.
  const sensitive = inSensitive || shape.sensitive === true;
  const where = at || 'input';
  if (depth > MAX_DEPTH) {
    p.typeErrors.push(`Input nests deeper than ${MAX_DEPTH} levels at '${where}'.`);
    return undefined;
  }
  switch (shape.type) {
    case 'structure': {
      if (typeof v !== 'object' || Array.isArray(v)) {
        p.typeErrors.push(`Expected an object for '${where}' but found ${describe(v)}.`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      const src = v as Record<string, unknown>;
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const got = checkValue(model, ref.shape, src[name], at ? `${at}.${name}` : name, p, depth + 1, sensitive);
        if (got !== undefined) out[name] = got;
      }
      for (const req of shape.required ?? []) {
        if (src[req] === undefined || src[req] === null) {
          p.constraintErrors.push(`Value null at '${at ? `${at}.${req}` : req}' failed to satisfy constraint: Member must not be null`);
        }
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(v)) {
        p.typeErrors.push(`Expected a list for '${where}' but found ${describe(v)}.`);
        return undefined;
      }
      checkLength(shape, v.length, v, at, p);
      return v.map((item, i) => checkValue(model, shape.member!.shape, item, `${at}.${i + 1}.member`, p, depth + 1, sensitive) ?? null).filter((x) => x !== null);
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) {
        p.typeErrors.push(`Expected a map for '${where}' but found ${describe(v)}.`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      const entries = Object.entries(v as Record<string, unknown>);
      checkLength(shape, entries.length, v, at, p);
      for (const [k, item] of entries) {
        checkValue(model, shape.key!.shape, k, `${at}.${k}.key`, p, depth + 1, sensitive);
        const got = checkValue(model, shape.value!.shape, item, `${at}.${k}.value`, p, depth + 1, sensitive);
        if (got !== undefined) setEntry(out, k, got);
      }
      return out;
    }
    case 'string': {
      if (typeof v !== 'string') {
        p.typeErrors.push(`${describe(v)} can not be converted to a String at '${where}'.`);
        return undefined;
      }
      if (shape.enum && !shape.enum.includes(v)) {
        p.constraintErrors.push(`${valueAt(v, where, sensitive)} failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      }
      checkLength(shape, [...v].length, v, at, p, sensitive);
      if (shape.pattern && !matches(shape.pattern, v)) {
        p.constraintErrors.push(`${valueAt(v, where, sensitive)} failed to satisfy constraint: Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      return v;
    }
    case 'integer':
    case 'long': {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        const what = typeof v === 'number' ? 'A decimal number' : describe(v);
        p.typeErrors.push(`${what} can not be converted to an ${shape.type === 'long' ? 'Long' : 'Integer'} at '${where}'.`);
        return undefined;
      }
      if (shape.type === 'integer' && (v > 2147483647 || v < -2147483648)) {
        p.typeErrors.push(`Numeric value (${v}) out of range of int at '${where}'.`);
        return undefined;
      }
      checkRange(shape, v, at, p);
      return v;
    }
    case 'double':
    case 'float': {
      // JSON has no NaN or infinities: the JSON protocols send them as these strings.
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
      if (typeof v !== 'number') {
        p.typeErrors.push(`${describe(v)} can not be converted to a Double at '${where}'.`);
        return undefined;
      }
      checkRange(shape, v, at, p);
      return v;
    }
    case 'boolean': {
      if (typeof v !== 'boolean') {
        p.typeErrors.push(`${describe(v)} can not be converted to a Boolean at '${where}'.`);
        return undefined;
      }
      return v;
    }
    case 'timestamp': {
      const d = typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : v instanceof Date ? v : undefined;
      if (!d || Number.isNaN(d.getTime())) {
        p.typeErrors.push(`${describe(v)} can not be converted to a Timestamp at '${where}'.`);
        return undefined;
      }
      return d;
    }
    case 'blob': {
      if (typeof v !== 'string') {
        p.typeErrors.push(`${describe(v)} can not be converted to a Blob at '${where}'.`);
        return undefined;
      }
      return Buffer.from(v, 'base64');
    }
    default:
      return v;
  }
}

/** Sets a map entry as plain data, so a key like `__proto__` is kept rather than changing the prototype. */
function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function checkLength(shape: Shape, len: number, v: unknown, at: string, p: InputProblems, sensitive = false): void {
  const where = at || 'input';
  const value =
    typeof v === 'string' ? valueAt(v, where, sensitive) : `Value ${Array.isArray(v) ? `'[...${len} items]'` : `'{...}'`} at '${where}'`;
  if (shape.min !== undefined && len < shape.min) {
    p.constraintErrors.push(`${value} failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && len > shape.max) {
    p.constraintErrors.push(`${value} failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`);
  }
}

/** "Value 'x' at 'path'", or, for a sensitive member, "Value at 'path'" (as AWS words it) without the value. */
function valueAt(v: unknown, where: string, sensitive: boolean): string {
  return sensitive ? `Value at '${where}'` : `Value ${quote(v)} at '${where}'`;
}

function checkRange(shape: Shape, v: number, at: string, p: InputProblems): void {
  if (shape.min !== undefined && v < shape.min) {
    p.constraintErrors.push(`Value '${v}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && v > shape.max) {
    p.constraintErrors.push(`Value '${v}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
  }
}

const patternCache = new Map<string, RegExp | null>();
function matches(pattern: string, v: string): boolean {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern.startsWith('^') ? pattern : `^(?:${pattern})$`, 'u');
    } catch {
      re = null; // a Java-only construct: the pattern is not enforced rather than guessed
    }
    patternCache.set(pattern, re);
  }
  return re === null || re.test(v);
}

/** Formats constraint problems the way AWS's request validation does. */
export function formatConstraintErrors(errors: string[]): string {
  const n = errors.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${errors.join('; ')}`;
}

/** How a protocol writes timestamps. */
export type TimestampEncoder = (d: Date) => unknown;

/**
 * Walks `value` along `shapeName` and keeps only modelled members, turning timestamps (Date,
 * ISO string or epoch milliseconds) into the protocol's form. Output never carries unmodelled data.
 */
export function shapeOutput(model: ServiceModel, shapeName: string, value: unknown, ts: TimestampEncoder): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[shapeName];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object') return undefined;
      // Walk the value's own members (usually far fewer than the shape's) and keep the modelled ones.
      const out: Record<string, unknown> = {};
      const members = shape.members ?? {};
      for (const name of Object.keys(value)) {
        if (!Object.hasOwn(members, name)) continue;
        const got = shapeOutput(model, members[name].shape, (value as Record<string, unknown>)[name], ts);
        if (got !== undefined) out[name] = got;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((x) => shapeOutput(model, shape.member!.shape, x, ts)).filter((x) => x !== undefined) : undefined;
    case 'map': {
      if (typeof value !== 'object') return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
        const got = shapeOutput(model, shape.value!.shape, x, ts);
        if (got !== undefined) setEntry(out, k, got);
      }
      return out;
    }
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(value as string | number);
      return Number.isNaN(d.getTime()) ? undefined : ts(d);
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    default:
      return value;
  }
}
