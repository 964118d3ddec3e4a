/**
 * awsJson 1.0 and 1.1: POST / with `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body;
 * errors as `{"__type": code, "message": ...}` with `x-amzn-ErrorType`. A modelled error is named
 * by its shape and answered with the model's HTTP status; services with `awsQueryCompatible`
 * (CloudWatch) add `x-amzn-query-error: <awsQuery code>;Sender|Receiver`.
 */
import { SerializationError, UnknownOperationError, UnknownServiceError, type BerthError } from '../../errors/index.js';
import type { ServiceDefinition } from '../service.js';
import { isQueryCompatible, modelledError, queryErrorHeader, statusOf } from './modelled-errors.js';
import type { IncomingCall, OutgoingResponse, Protocol, ResolvedCall } from './protocol.js';
import { decodedBody } from './request-body.js';

/** Options for {@link createJsonProtocol}. */
export interface JsonProtocolOptions {
  /** Largest body accepted once a gzip `Content-Encoding` is undone, in bytes (default 16 MiB). */
  maxInflatedBytes?: number;
}

/** Builds the awsJson protocol over the services that speak it. */
export function createJsonProtocol(services: readonly ServiceDefinition[], options: JsonProtocolOptions = {}): Protocol {
  const maxInflated = options.maxInflatedBytes ?? 16 * 1024 * 1024;
  const byPrefix = new Map<string, ServiceDefinition>();
  for (const s of services) {
    const { protocol, protocols, targetPrefix } = s.model.metadata;
    if ((protocols ?? [protocol]).includes('json') && targetPrefix) byPrefix.set(targetPrefix, s);
  }
  const serviceOfTarget = (target: string) => byPrefix.get(target.slice(0, Math.max(target.lastIndexOf('.'), 0)));
  const contentType = (s?: ServiceDefinition) => `application/x-amz-json-${s?.model.metadata.jsonVersion ?? '1.1'}`;

  return {
    family: 'json',
    matches: (call) => targetOf(call) !== undefined,
    resolve(call: IncomingCall): ResolvedCall {
      const target = targetOf(call)!;
      const dot = target.lastIndexOf('.');
      const service = serviceOfTarget(target);
      if (!service) throw new UnknownServiceError(`No service answers X-Amz-Target '${target}' on this endpoint.`);
      const operation = target.slice(dot + 1);
      if (!Object.hasOwn(service.model.operations, operation)) {
        throw new UnknownOperationError(`Unknown operation '${operation}' for ${service.model.metadata.serviceId}.`);
      }
      if (call.method !== 'POST') {
        throw new SerializationError(`${service.model.metadata.serviceId} ${operation} must be called with POST, not ${call.method}.`);
      }
      return { service, operation, input: parseBody(decodedBody(call, maxInflated, (message) => new SerializationError(message))) };
    },
    serviceOf(call) {
      const target = targetOf(call);
      return target === undefined ? undefined : serviceOfTarget(target);
    },
    encodeOutput(call, output, requestId): OutgoingResponse {
      return {
        statusCode: 200,
        headers: { 'content-type': contentType(call.service), 'x-amzn-requestid': requestId },
        body: JSON.stringify(output ?? {}, nonFinite),
      };
    },
    encodeError(error: BerthError, requestId, service): OutgoingResponse {
      // A service may throw a modelled error by its awsQuery code (CloudWatch's `ResourceNotFound`
      // shape has code `ResourceNotFound`, its `InvalidParameterValueException` code
      // `InvalidParameterValue`); awsJson names the shape.
      const modelled = modelledError(service?.model, error);
      const code = modelled?.shapeName ?? error.codeFor('json');
      const headers: Record<string, string> = { 'content-type': contentType(service), 'x-amzn-requestid': requestId, 'x-amzn-errortype': code };
      if (isQueryCompatible(service?.model)) headers['x-amzn-query-error'] = queryErrorHeader(error, modelled);
      return {
        statusCode: statusOf(error, modelled),
        headers,
        body: JSON.stringify({ __type: code, message: error.message }),
      };
    },
    encodeTimestamp: (d) => d.getTime() / 1000,
  };
}

/**
 * The `X-Amz-Target` of a call: the header, or, for a presigned request, the query parameter
 * (SigV4 presigning moves `X-Amz-*` headers into the query string, keeping their case, as the
 * SDK's presigner does).
 */
function targetOf(call: IncomingCall): string | undefined {
  const header = call.headers['x-amz-target'];
  if (header !== undefined) return header;
  const key = Object.keys(call.query).find((k) => k.toLowerCase() === 'x-amz-target');
  const q = key === undefined ? undefined : call.query[key];
  return Array.isArray(q) ? q[0] : q;
}

function parseBody(body: Buffer): unknown {
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
  return value;
}

/** Writes NaN and the infinities as the strings awsJson uses (JSON.stringify would write null). */
function nonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
