/**
 * awsQuery: `POST /` with a form-encoded body (or `GET /?...`) carrying `Action`, `Version` and
 * the input as flat parameters; answers in XML. The service is the one whose signing name the
 * SigV4 credential scope names, and whose `apiVersion` is the request's `Version` (ELB classic
 * and ELBv2 share the signing name `elasticloadbalancing` and differ only by version). Errors
 * are `<ErrorResponse>` documents with the model's `awsQueryError` code and HTTP status.
 */
import {
  MalformedQueryError,
  MissingActionError,
  UnknownOperationError,
  UnknownServiceError,
  type BerthError,
} from '../../errors/index.js';
import type { ServiceModel } from '../../model/index.js';
import type { ServiceDefinition } from '../service.js';
import { claimedScopeOf } from '../sigv4.js';
import type { IncomingCall, OutgoingResponse, Protocol, ResolvedCall, SigningScope } from './protocol.js';
import { readQueryInput } from './query-input.js';
import { decodedBody } from './request-body.js';
import { queryErrorXml, queryResponseXml } from './query-output.js';

/** Options for {@link createQueryProtocol}. */
export interface QueryProtocolOptions {
  /** Largest form body accepted once a gzip `Content-Encoding` is undone, in bytes (default 16 MiB). */
  maxInflatedBytes?: number;
}

/** How an error code is answered for one service: the wire code and status its model gives. */
interface ModelledError {
  code: string;
  statusCode?: number;
}

const FORM = 'application/x-www-form-urlencoded';

/** Builds the awsQuery protocol over the services whose model lists `query`. */
export function createQueryProtocol(services: readonly ServiceDefinition[], options: QueryProtocolOptions = {}): Protocol {
  const maxInflated = options.maxInflatedBytes ?? 16 * 1024 * 1024;
  const bySigningName = new Map<string, ServiceDefinition[]>();
  const errorsOf = new Map<ServiceDefinition, Map<string, ModelledError>>();
  for (const s of services) {
    const { protocol, protocols, signingName, endpointPrefix } = s.model.metadata;
    if (!(protocols ?? [protocol]).includes('query')) continue;
    const name = signingName ?? endpointPrefix;
    bySigningName.set(name, [...(bySigningName.get(name) ?? []), s]);
    errorsOf.set(s, modelledErrors(s.model));
  }

  /** The request's parameters: query string and form body together (the body wins a clash). */
  function paramsOf(call: IncomingCall): Map<string, string> {
    const params = new Map<string, string>();
    for (const [k, v] of Object.entries(call.query)) params.set(k, Array.isArray(v) ? v[v.length - 1] : v);
    if (isForm(call) && call.body.length > 0) {
      for (const [k, v] of new URLSearchParams(formText(call, maxInflated))) params.set(k, v);
    }
    return params;
  }

  function pick(candidates: ServiceDefinition[], version: string | undefined): ServiceDefinition | undefined {
    return candidates.find((s) => s.model.metadata.apiVersion === version);
  }

  return {
    family: 'query',
    matches(call) {
      if (call.headers['x-amz-target'] !== undefined) return false;
      if (isForm(call) || call.query['Action'] !== undefined) return true;
      // A bare `GET /` or `POST /` signed for a query-only service is a query call without an Action.
      const scope = claimedScopeOf(call);
      return call.path === '/' && scope !== undefined && bySigningName.has(scope.service);
    },
    resolve(call: IncomingCall, scope: SigningScope): ResolvedCall {
      const candidates = bySigningName.get(scope.service);
      if (!candidates) throw new UnknownServiceError(`No awsQuery service answers requests signed for '${scope.service}' on this endpoint.`);
      if (call.method !== 'POST' && call.method !== 'GET') {
        throw new MalformedQueryError(`${candidates[0].model.metadata.serviceId} is called with POST (form-encoded) or GET, not ${call.method}.`);
      }
      const params = paramsOf(call);
      const action = params.get('Action');
      if (!action) throw new MissingActionError();
      const version = params.get('Version');
      const service = pick(candidates, version);
      // AWS's front end names the operation it looked for and the version it looked in.
      const notFound = () => new UnknownOperationError(`Could not find operation ${action} for version ${version || 'NO_VERSION_SPECIFIED'}`);
      if (!service || !Object.hasOwn(service.model.operations, action)) throw notFound();
      params.delete('Action');
      params.delete('Version');
      const op = service.model.operations[action];
      return { service, operation: action, input: op.input ? readQueryInput(service.model, op.input.shape, params) : {} };
    },
    serviceOf(call) {
      const scope = claimedScopeOf(call);
      const candidates = scope && bySigningName.get(scope.service);
      if (!candidates) return undefined;
      let version: string | undefined;
      try {
        version = paramsOf(call).get('Version');
      } catch {
        version = undefined;
      }
      return pick(candidates, version) ?? candidates[0];
    },
    encodeOutput(call, output, requestId): OutgoingResponse {
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: queryResponseXml(call.service.model, call.operation, output, requestId),
      };
    },
    encodeError(error: BerthError, requestId, service): OutgoingResponse {
      const code = error.codeFor('query');
      const modelled = service ? errorsOf.get(service)?.get(code) : undefined;
      const statusCode = modelled?.statusCode ?? error.statusCode;
      const type = error.fault === 'server' || statusCode >= 500 ? 'Receiver' : 'Sender';
      return {
        statusCode,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: queryErrorXml(service?.model.metadata.xmlNamespace, type, modelled?.code ?? code, error.message, requestId),
      };
    },
    rewordConstraintError,
    // Output keeps Date objects; the XML writer formats each per its member's timestampFormat.
    encodeTimestamp: (d) => d,
  };
}

/**
 * AWS's query services name members in validation messages as their front end does, in lower
 * camel case with list items as `.N.member`: "Value '0' at 'pageSize' failed to satisfy
 * constraint" for the parameter `PageSize`, "Value null at 'conditions.1.member.field'".
 * checkInput writes the model's names, so the path of each message is rewritten here.
 */
export function rewordConstraintError(message: string): string {
  const marker = /( at ')([A-Za-z0-9_.\-]+)(' failed to satisfy constraint: )/g;
  let last: RegExpExecArray | null = null;
  for (let m = marker.exec(message); m; m = marker.exec(message)) last = m;
  if (!last) return message;
  const path = last[2]
    .split('.')
    .map((segment) => segment.charAt(0).toLowerCase() + segment.slice(1))
    .join('.');
  return message.slice(0, last.index) + last[1] + path + last[3] + message.slice(last.index + last[0].length);
}

/**
 * The model's error shapes by shape name and by awsQuery code, so a service may throw either
 * `LoadBalancerNotFoundException` or `LoadBalancerNotFound` and the wire says `LoadBalancerNotFound`.
 */
function modelledErrors(model: ServiceModel): Map<string, ModelledError> {
  const out = new Map<string, ModelledError>();
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (!shape.exception) continue;
    const entry = { code: shape.error?.code ?? name, statusCode: shape.error?.httpStatusCode };
    out.set(name, entry);
    if (shape.error?.code && !out.has(shape.error.code)) out.set(shape.error.code, entry);
  }
  return out;
}

function isForm(call: IncomingCall): boolean {
  return (call.headers['content-type'] ?? '').toLowerCase().split(';')[0].trim() === FORM;
}

/** The form body as text, inflated when the client gzipped it (CloudWatch PutMetricData may). */
function formText(call: IncomingCall, maxInflated: number): string {
  return decodedBody(call, maxInflated, (message) => new MalformedQueryError(message)).toString('utf8');
}
