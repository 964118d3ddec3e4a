/**
 * SigV4 verification for incoming requests, header form and presigned-query form. The canonical
 * request, string to sign and signing key come from `@smithy/signature-v4`, the same code that
 * signs requests in the AWS SDK, so Berth computes exactly what clients compute.
 */
import { SignatureV4, getSigningKey } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { HttpRequest } from '@smithy/types';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  IncompleteSignatureError,
  MissingAuthenticationTokenError,
  SignatureDoesNotMatchError,
  SignatureExpiredError,
  UnrecognizedClientError,
} from '../errors/index.js';

/** The parts of an HTTP request that a signature covers. */
export interface SignableRequest {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  /** Decoded query parameters; repeated keys become arrays. */
  query: Record<string, string | string[]>;
  /** Lower-cased header names; repeated headers joined with ','. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** Who signed a request, and for which scope. */
export interface VerifiedSignature {
  accessKeyId: string;
  region: string;
  service: string;
}

/** Finds the secret of an access key id; undefined when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** How far a signing time may be from Berth's clock (AWS allows 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest life of a presigned request (AWS: seven days). */
export const MAX_PRESIGNED_EXPIRES_S = 604800;

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Exposes the SDK signer's canonicalisation steps to the verifier. */
const sha256 = Hash.bind(null, 'sha256');

class Canonicalizer extends SignatureV4 {
  constructor() {
    super({ service: 'unused', region: 'unused', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256 });
  }
  canonicalRequest(request: HttpRequest, headers: Record<string, string>, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
  }
}
const canonicalizer = new Canonicalizer();

interface ParsedAuth {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  longDate: string;
  /** Presigned only: seconds the signature stays valid. */
  expires?: number;
}

/** True when the request carries any form of SigV4 signature. */
export function hasSignature(req: SignableRequest): boolean {
  return req.headers['authorization'] !== undefined || req.query['X-Amz-Signature'] !== undefined || req.query['X-Amz-Algorithm'] !== undefined;
}

/**
 * The region and service a request claims to be signed for, read from its `Authorization`
 * header or `X-Amz-Credential`, without verifying anything. It only decides how to route and
 * in which protocol to answer (an awsQuery service is named by this scope alone); the scope is
 * trusted only after {@link verifySigV4} has checked it.
 */
export function claimedScopeOf(req: SignableRequest): { region: string; service: string } | undefined {
  const header = req.headers['authorization'];
  const credential = header !== undefined ? /Credential=([^,\s]+)/.exec(header)?.[1] : one(req, 'X-Amz-Credential');
  const parts = credential?.split('/');
  if (!parts || parts.length !== 5 || !parts[2] || !parts[3]) return undefined;
  return { region: parts[2], service: parts[3] };
}

/**
 * Verifies the request's signature against the key's secret and the clock, throwing the AWS
 * error for each failure (missing, malformed, unknown key, mismatch, expired or skewed).
 */
export async function verifySigV4(req: SignableRequest, lookup: SecretLookup, now: Date = new Date()): Promise<VerifiedSignature> {
  const auth = req.headers['authorization'] !== undefined ? parseAuthHeader(req) : parsePresigned(req);
  const secret = lookup(auth.accessKeyId);
  if (secret === undefined) throw new UnrecognizedClientError();

  const signed = new Set(auth.signedHeaders);
  if (!signed.has('host')) {
    throw new IncompleteSignatureError(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
  }
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) {
      throw new IncompleteSignatureError(`The request signature includes header '${name}', which the request does not carry.`);
    }
    headers[name] = value.trim().replace(/\s+/g, ' ');
  }

  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== bodyHash && declared !== 'UNSIGNED-PAYLOAD') {
    throw new SignatureDoesNotMatchError();
  }
  const payloadHash = declared === 'UNSIGNED-PAYLOAD' && auth.expires !== undefined ? declared : bodyHash;

  const request: HttpRequest = {
    method: req.method,
    protocol: 'http:',
    hostname: '',
    path: req.path,
    query: req.query,
    headers,
  };
  const canonical = canonicalizer.canonicalRequest(request, headers, payloadHash);
  const scope = `${auth.shortDate}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = await canonicalizer.stringToSign(auth.longDate, scope, canonical);
  const key = await getSigningKey(sha256, { accessKeyId: auth.accessKeyId, secretAccessKey: secret }, auth.shortDate, auth.region, auth.service);
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const given = Buffer.from(auth.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8'))) {
    throw new SignatureDoesNotMatchError();
  }

  checkTime(auth, now);
  return { accessKeyId: auth.accessKeyId, region: auth.region, service: auth.service };
}

function checkTime(auth: ParsedAuth, now: Date): void {
  const signedAt = parseLongDate(auth.longDate);
  const nowMs = now.getTime();
  const fmt = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  if (auth.expires !== undefined) {
    if (signedAt - MAX_CLOCK_SKEW_MS > nowMs) {
      throw new SignatureExpiredError(`Signature not yet current: ${auth.longDate} is still later than ${fmt(nowMs + MAX_CLOCK_SKEW_MS)} (${fmt(nowMs)} + 15 min.)`);
    }
    const expiresAt = signedAt + auth.expires * 1000;
    if (expiresAt < nowMs) {
      throw new SignatureExpiredError(`Signature expired: ${fmt(expiresAt)} is now earlier than ${fmt(nowMs)} (${auth.longDate} + ${auth.expires} sec.)`);
    }
    return;
  }
  if (signedAt < nowMs - MAX_CLOCK_SKEW_MS) {
    throw new SignatureExpiredError(`Signature expired: ${auth.longDate} is now earlier than ${fmt(nowMs - MAX_CLOCK_SKEW_MS)} (${fmt(nowMs)} - 15 min.)`);
  }
  if (signedAt > nowMs + MAX_CLOCK_SKEW_MS) {
    throw new SignatureExpiredError(`Signature not yet current: ${auth.longDate} is still later than ${fmt(nowMs + MAX_CLOCK_SKEW_MS)} (${fmt(nowMs)} + 15 min.)`);
  }
}

const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseLongDate(s: string): number {
  const m = LONG_DATE.exec(s)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function parseCredential(credential: string, longDate: string): Pick<ParsedAuth, 'accessKeyId' | 'shortDate' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((p) => p === '')) {
    throw new IncompleteSignatureError(
      `Credential should be scoped to a valid region, service and terminated by 'aws4_request'. Got '${parts.slice(1).join('/')}'.`,
    );
  }
  const [accessKeyId, shortDate, region, service] = parts;
  if (!/^\d{8}$/.test(shortDate)) {
    throw new IncompleteSignatureError(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`);
  }
  if (shortDate !== longDate.slice(0, 8)) {
    throw new IncompleteSignatureError(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${longDate.slice(0, 8)}', from '${longDate}'.`);
  }
  return { accessKeyId, shortDate, region, service };
}

function requestDate(req: SignableRequest): string {
  const amz = req.headers['x-amz-date'];
  if (amz !== undefined) {
    if (!LONG_DATE.test(amz)) throw new IncompleteSignatureError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"; got '${amz}'.`);
    return amz;
  }
  const date = req.headers['date'];
  const ms = date === undefined ? NaN : Date.parse(date);
  if (Number.isNaN(ms)) {
    throw new IncompleteSignatureError(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`);
  }
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAuthHeader(req: SignableRequest): ParsedAuth {
  const header = req.headers['authorization']!.trim();
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new IncompleteSignatureError(`Unsupported authorization algorithm '${algorithm}': Berth accepts ${ALGORITHM} (SigV4) only.`);
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !fields.get(k));
  if (missing.length) {
    throw new IncompleteSignatureError(
      missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') + ` Authorization=${algorithm}`,
    );
  }
  const longDate = requestDate(req);
  return {
    ...parseCredential(fields.get('Credential')!, longDate),
    signedHeaders: fields.get('SignedHeaders')!.toLowerCase().split(';'),
    signature: fields.get('Signature')!,
    longDate,
  };
}

function one(req: SignableRequest, key: string): string | undefined {
  const v = req.query[key];
  return Array.isArray(v) ? v[0] : v;
}

function parsePresigned(req: SignableRequest): ParsedAuth {
  if (req.query['X-Amz-Signature'] === undefined && req.query['X-Amz-Algorithm'] === undefined) {
    throw new MissingAuthenticationTokenError();
  }
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Expires'].filter(
    (k) => !one(req, k),
  );
  if (missing.length) {
    throw new IncompleteSignatureError(`AWS query-string parameters must include ${missing.map((k) => `'${k}'`).join(', ')}. Re-examine the query-string parameters.`);
  }
  if (one(req, 'X-Amz-Algorithm') !== ALGORITHM) {
    throw new IncompleteSignatureError(`X-Amz-Algorithm only supports '${ALGORITHM}'.`);
  }
  const longDate = one(req, 'X-Amz-Date')!;
  if (!LONG_DATE.test(longDate)) throw new IncompleteSignatureError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"; got '${longDate}'.`);
  const expiresRaw = one(req, 'X-Amz-Expires')!;
  const expires = Number(expiresRaw);
  if (!/^\d+$/.test(expiresRaw) || expires > MAX_PRESIGNED_EXPIRES_S) {
    throw new IncompleteSignatureError(`X-Amz-Expires must be a whole number of seconds from 0 to ${MAX_PRESIGNED_EXPIRES_S}; got '${expiresRaw}'.`);
  }
  return {
    ...parseCredential(one(req, 'X-Amz-Credential')!, longDate),
    signedHeaders: one(req, 'X-Amz-SignedHeaders')!.toLowerCase().split(';'),
    signature: one(req, 'X-Amz-Signature')!,
    longDate,
    expires,
  };
}
