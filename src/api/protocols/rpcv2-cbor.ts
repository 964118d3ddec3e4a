/**
 * Smithy RPC v2 CBOR (`smithy-rpc-v2-cbor` in a model's `protocols`; CloudWatch lists it first):
 * `POST /service/{ServiceName}/operation/{OperationName}` with `smithy-protocol: rpc-v2-cbor`
 * and, when there is input, `Content-Type: application/cbor` and a CBOR map of the input members.
 * ServiceName is the service shape's name, which botocore models give as `targetPrefix`
 * (`GraniteServiceVersion20100801`). Answers carry `smithy-protocol: rpc-v2-cbor`; output is a
 * CBOR map (no body for an operation without output); errors are CBOR maps with `__type` (the
 * error shape id, `com.amazonaws.cloudwatch#ResourceNotFound`) and the message, with the
 * shape's HTTP status and, for `awsQueryCompatible` services, `x-amzn-query-error`.
 * CBOR itself is read and written by `@smithy/core/cbor`, the AWS SDK's own codec.
 */
import { cbor } from '@smithy/core/cbor';
import { SerializationError, ServiceError, UnknownOperationError, UnknownServiceError, type BerthError } from '../../errors/index.js';
import type { ServiceModel } from '../../model/index.js';
import type { ServiceDefinition } from '../service.js';
import { errorMembers, isQueryCompatible, modelledError, queryErrorHeader, statusOf } from './modelled-errors.js';
import type { IncomingCall, OutgoingResponse, Protocol, ResolvedCall } from './protocol.js';
import { decodedBody } from './request-body.js';
import { readCborInput, writeCborValue } from './rpcv2-cbor-values.js';

/** Options for {@link createRpcV2CborProtocol}. */
export interface RpcV2CborProtocolOptions {
  /** Largest body accepted once a gzip `Content-Encoding` is undone, in bytes (default 16 MiB). */
  maxInflatedBytes?: number;
}

/** The `smithy-protocol` header value of this protocol. */
export const RPC_V2_CBOR = 'rpc-v2-cbor';
const CBOR_TYPE = 'application/cbor';

/** The service shape and operation names of an rpcv2 path (the whole path). */
const PATH = /^\/service\/([^/]+)\/operation\/([^/]+)$/;

/**
 * The Smithy namespace of a service, for error shape ids: botocore models do not carry it; AWS
 * services use `com.amazonaws.` + the sdkId in lower case without spaces (`com.amazonaws.cloudwatch`,
 * `com.amazonaws.applicationautoscaling`). Clients read the shape name after `#`.
 */
export function namespaceOf(model: ServiceModel): string {
  return `com.amazonaws.${model.metadata.serviceId.toLowerCase().replace(/[\s-]+/g, '')}`;
}

/** Builds the rpcv2Cbor protocol over the services whose model lists `smithy-rpc-v2-cbor`. */
export function createRpcV2CborProtocol(services: readonly ServiceDefinition[], options: RpcV2CborProtocolOptions = {}): Protocol {
  const maxInflated = options.maxInflatedBytes ?? 16 * 1024 * 1024;
  const byName = new Map<string, ServiceDefinition>();
  for (const s of services) {
    const { protocol, protocols, targetPrefix } = s.model.metadata;
    if ((protocols ?? [protocol]).includes('smithy-rpc-v2-cbor') && targetPrefix) byName.set(targetPrefix, s);
  }
  const baseHeaders = (requestId: string): Record<string, string> => ({ 'smithy-protocol': RPC_V2_CBOR, 'x-amzn-requestid': requestId });

  return {
    family: 'json',
    matches(call) {
      const path = PATH.exec(call.path);
      if (!path) return false;
      // The header says so; a path naming one of our rpcv2 services is answered in CBOR too, so a
      // client that forgot the header learns what is missing.
      return call.headers['smithy-protocol'] !== undefined || byName.has(path[1]);
    },
    resolve(call: IncomingCall): ResolvedCall {
      const [, serviceName, operation] = PATH.exec(call.path)!;
      const service = byName.get(serviceName);
      if (!service) throw new UnknownServiceError(`No service named '${serviceName}' speaks rpcv2Cbor on this endpoint.`);
      const { model } = service;
      if (!Object.hasOwn(model.operations, operation)) {
        throw new UnknownOperationError(`Unknown operation '${operation}' for ${model.metadata.serviceId}.`);
      }
      if (call.method !== 'POST') {
        throw new SerializationError(`${model.metadata.serviceId} ${operation} must be called with POST, not ${call.method}.`);
      }
      const protocolHeader = call.headers['smithy-protocol'];
      if (protocolHeader !== RPC_V2_CBOR) {
        throw new SerializationError(
          protocolHeader === undefined
            ? `rpcv2Cbor requests must carry the header 'smithy-protocol: ${RPC_V2_CBOR}'.`
            : `The smithy-protocol header is '${protocolHeader}'; this endpoint speaks '${RPC_V2_CBOR}' at ${call.path}.`,
        );
      }
      const body = decodedBody(call, maxInflated, (message) => new SerializationError(message));
      const op = model.operations[operation];
      if (body.length === 0) return { service, operation, input: {} };
      const contentType = (call.headers['content-type'] ?? '').toLowerCase().split(';')[0].trim();
      if (contentType !== CBOR_TYPE) {
        throw new ServiceError(
          'UnsupportedMediaTypeException',
          contentType ? `Content-Type '${contentType}' is not supported: rpcv2Cbor bodies are '${CBOR_TYPE}'.` : `A request body needs 'Content-Type: ${CBOR_TYPE}'.`,
          { statusCode: 415 },
        );
      }
      const decoded = decodeBody(body);
      return { service, operation, input: op.input ? readCborInput(model, op.input.shape, decoded) : {} };
    },
    serviceOf(call) {
      const path = PATH.exec(call.path);
      return path ? byName.get(path[1]) : undefined;
    },
    encodeOutput(call, output, requestId): OutgoingResponse {
      const { model } = call.service;
      const op = model.operations[call.operation];
      // No output shape, no body (and so no Content-Type), as the protocol's tests expect.
      if (!op.output) return { statusCode: 200, headers: baseHeaders(requestId), body: Buffer.alloc(0) };
      const value = writeCborValue(model, op.output.shape, output ?? {}) ?? {};
      return { statusCode: 200, headers: { ...baseHeaders(requestId), 'content-type': CBOR_TYPE }, body: serialize(value) };
    },
    encodeError(error: BerthError, requestId, service): OutgoingResponse {
      const modelled = modelledError(service?.model, error);
      const headers: Record<string, string> = { ...baseHeaders(requestId), 'content-type': CBOR_TYPE };
      if (isQueryCompatible(service?.model)) headers['x-amzn-query-error'] = queryErrorHeader(error, modelled);
      // AWS's rpc front ends answer a path naming no operation with 404, as restJson's do.
      const statusCode = modelled ? statusOf(error, modelled) : error instanceof UnknownOperationError ? 404 : error.statusCode;
      let body: Record<string, unknown>;
      if (modelled && service) {
        const members = writeCborValue(service.model, modelled.shapeName, errorMembers(modelled, error)) as Record<string, unknown>;
        body = { __type: `${namespaceOf(service.model)}#${modelled.shapeName}`, ...members };
        // A shape that models no message (LimitExceededException) still tells the client what went wrong.
        if (!Object.hasOwn(body, 'message') && !Object.hasOwn(body, 'Message')) body['message'] = error.message;
      } else {
        body = { __type: error.codeFor('json'), message: error.message };
      }
      return { statusCode, headers, body: serialize(body) };
    },
    // Output keeps Date objects; writeCborValue makes each a tag 1 epoch-seconds item.
    encodeTimestamp: (d) => d,
  };
}

/** Decodes a request body that must be one CBOR map. */
function decodeBody(body: Buffer): unknown {
  let value: unknown;
  try {
    value = cbor.deserialize(body);
  } catch (err) {
    // The codec throws plain Errors (and RangeErrors for absurd lengths or nesting).
    throw new SerializationError(`The request body is not valid CBOR: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new SerializationError('The request body must be a CBOR map of the input members.');
  }
  return value;
}

function serialize(value: unknown): Buffer {
  const bytes = cbor.serialize(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
