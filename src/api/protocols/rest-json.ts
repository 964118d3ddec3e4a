/**
 * restJson1: each operation has its own HTTP method and URI (`http.method`, `http.requestUri`);
 * input is spread over the URI, query string, headers and a JSON (or raw) body; output over the
 * status code, headers and body. Lambda, API Gateway, EKS and most newer services speak it.
 *
 * The service is the one whose signing name the SigV4 credential scope names (several restJson
 * services share paths like `/2015-03-31/functions`, so the path alone cannot say); the operation
 * is found by the service's compiled route table (`rest-json-routes.ts`). Errors carry the code in
 * `x-amzn-ErrorType` and the model's members in a JSON body, with the error shape's HTTP status.
 */
import { ServiceError, UnknownOperationError, UnknownServiceError, type BerthError } from '../../errors/index.js';
import type { Shape } from '../../model/index.js';
import type { ServiceDefinition } from '../service.js';
import { claimedScopeOf } from '../sigv4.js';
import type { IncomingCall, OutgoingResponse, Protocol, ResolvedCall, SigningScope } from './protocol.js';
import { readRestJsonInput } from './rest-json-input.js';
import { writeRestJson } from './rest-json-output.js';
import { RouteTable } from './rest-json-routes.js';

/** One restJson service with its compiled routes and its error shapes by code. */
interface RestService {
  definition: ServiceDefinition;
  routes: RouteTable;
  /** Exception shape names by the codes a service may throw (shape name and `error.code`). */
  errors: Map<string, string>;
  /** True when the service's errors model a `Type` member (Lambda's `User` / `Service`). */
  sendsType: boolean;
}

/** Builds the restJson protocol over the services whose model lists `rest-json`. */
export function createRestJsonProtocol(services: readonly ServiceDefinition[]): Protocol {
  const bySigningName = new Map<string, RestService[]>();
  const byDefinition = new Map<ServiceDefinition, RestService>();
  for (const s of services) {
    const { protocol, protocols, signingName, endpointPrefix } = s.model.metadata;
    if (!(protocols ?? [protocol]).includes('rest-json')) continue;
    const errors = new Map<string, string>();
    let sendsType = false;
    for (const [name, shape] of Object.entries(s.model.shapes)) {
      if (!shape.exception) continue;
      errors.set(name, name);
      if (shape.error?.code && !errors.has(shape.error.code)) errors.set(shape.error.code, name);
      if (shape.members?.['Type']) sendsType = true;
    }
    const entry: RestService = { definition: s, routes: new RouteTable(s.model.operations), errors, sendsType };
    const name = signingName ?? endpointPrefix;
    bySigningName.set(name, [...(bySigningName.get(name) ?? []), entry]);
    byDefinition.set(s, entry);
  }

  return {
    family: 'rest',
    matches(call) {
      if (call.headers['x-amz-target'] !== undefined) return false;
      const scope = claimedScopeOf(call);
      return scope !== undefined && bySigningName.has(scope.service);
    },
    resolve(call: IncomingCall, scope: SigningScope): ResolvedCall {
      const candidates = bySigningName.get(scope.service);
      if (!candidates) throw new UnknownServiceError(`No restJson service answers requests signed for '${scope.service}' on this endpoint.`);
      for (const rest of candidates) {
        const match = rest.routes.match(call.method, call.path, call.query);
        if (!match) continue;
        const { model } = rest.definition;
        const op = model.operations[match.operation];
        const input = op.input ? readRestJsonInput(model, op.input.shape, call, match) : {};
        return { service: rest.definition, operation: match.operation, input };
      }
      throw new UnknownOperationError(`${candidates[0].definition.model.metadata.serviceId} has no operation at ${call.method} ${call.path}.`);
    },
    serviceOf(call) {
      const scope = claimedScopeOf(call);
      return scope && bySigningName.get(scope.service)?.[0]?.definition;
    },
    encodeOutput(call, output, requestId): OutgoingResponse {
      const { model } = call.service;
      const op = model.operations[call.operation];
      const parts = writeRestJson(model, op.output?.shape, (output ?? {}) as Record<string, unknown>, op.http?.responseCode ?? 200);
      return { ...parts, headers: { ...parts.headers, 'x-amzn-requestid': requestId } };
    },
    encodeError(error: BerthError, requestId, service): OutgoingResponse {
      const rest = service && byDefinition.get(service);
      const code = error.codeFor('rest');
      const shapeName = rest?.errors.get(error.code) ?? rest?.errors.get(code);
      const shape = shapeName ? rest!.definition.model.shapes[shapeName] : undefined;
      // AWS's restJson front ends answer a path no operation has with 404.
      const statusCode = shape?.error?.httpStatusCode ?? (error instanceof UnknownOperationError ? 404 : error.statusCode);
      const type = error.fault === 'server' || statusCode >= 500 ? 'Service' : 'User';
      const wireCode = shape?.error?.code ?? code;
      const headers = { 'x-amzn-errortype': wireCode, 'x-amzn-requestid': requestId };
      if (!shape) {
        const body: Record<string, unknown> = rest?.sendsType ? { Type: type, message: error.message } : { message: error.message };
        return { statusCode, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      }
      const { value, extra } = errorValue(shape, error, type);
      const parts = writeRestJson(rest!.definition.model, shapeName, value, statusCode, extra);
      return { ...parts, statusCode, headers: { ...parts.headers, ...headers } };
    },
    // Output keeps Date objects; the writer formats each per its location and timestampFormat.
    encodeTimestamp: (d) => d,
  };
}

/**
 * An error's modelled members: its own (a ServiceError's `members`, e.g. TooManyRequestsException's
 * `Reason` and `retryAfterSeconds`), the message under the model's spelling (`Message` or
 * `message`: Lambda has both), and `Type` when the shape models it.
 */
function errorValue(shape: Shape, error: BerthError, type: string): { value: Record<string, unknown>; extra?: Record<string, unknown> } {
  const members = shape.members ?? {};
  const value: Record<string, unknown> = { ...(error instanceof ServiceError ? error.members : undefined) };
  if (Object.hasOwn(members, 'Type') && value['Type'] === undefined) value['Type'] = type;
  const messageMember = ['message', 'Message', 'errorMessage', 'ErrorMessage'].find((m) => Object.hasOwn(members, m));
  if (messageMember) {
    value[messageMember] = error.message;
    return { value };
  }
  // A shape without a message member still tells the client what went wrong.
  return { value, extra: { message: error.message } };
}
