/**
 * A service's modelled errors as the JSON-family protocols (awsJson, rpcv2Cbor) write them: which
 * error shape a thrown code names, its HTTP status, and, for services with the
 * `awsQueryCompatible` trait, the `x-amzn-query-error` header that carries the awsQuery-era code
 * (`ResourceNotFound;Sender`), from which the SDKs and botocore give callers the code they knew.
 */
import { ServiceError, type BerthError } from '../../errors/index.js';
import type { ServiceModel, Shape } from '../../model/index.js';

/** One error shape of a model. */
export interface ModelledError {
  /** The shape's name (`ResourceNotFound`, `InvalidParameterValueException`). */
  shapeName: string;
  shape: Shape;
  /** The awsQuery code (`error.code`, else the shape name). */
  queryCode: string;
  /** `error.httpStatusCode`, when the model gives one. */
  statusCode?: number;
}

/** The error shapes of each model, by shape name and by awsQuery code (shape names win a clash). */
const cache = new WeakMap<ServiceModel, Map<string, ModelledError>>();

function errorsOf(model: ServiceModel): Map<string, ModelledError> {
  let out = cache.get(model);
  if (out) return out;
  out = new Map();
  const byCode: [string, ModelledError][] = [];
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (!shape.exception) continue;
    const entry: ModelledError = { shapeName: name, shape, queryCode: shape.error?.code ?? name, statusCode: shape.error?.httpStatusCode };
    out.set(name, entry);
    if (shape.error?.code) byCode.push([shape.error.code, entry]);
  }
  // A service may throw by awsQuery code (`InvalidParameterValue`) as its query callers know it.
  for (const [code, entry] of byCode) if (!out.has(code)) out.set(code, entry);
  cache.set(model, out);
  return out;
}

/** The error shape a thrown error names (by shape name or awsQuery code), if the model has one. */
export function modelledError(model: ServiceModel | undefined, error: BerthError, family: 'json' | 'query' = 'json'): ModelledError | undefined {
  if (!model) return undefined;
  const errors = errorsOf(model);
  return errors.get(error.code) ?? errors.get(error.codeFor(family));
}

/** True when the model carries the `awsQueryCompatible` trait (CloudWatch, SQS). */
export function isQueryCompatible(model: ServiceModel | undefined): boolean {
  return model !== undefined && Object.hasOwn(model.metadata, 'awsQueryCompatible');
}

/** The HTTP status an error is answered with: the model's, else the error's own. */
export function statusOf(error: BerthError, modelled: ModelledError | undefined): number {
  return modelled?.statusCode ?? error.statusCode;
}

/**
 * The `x-amzn-query-error` value, `<awsQuery code>;<Sender|Receiver>`: the modelled shape's
 * query code, else the code the awsQuery protocol itself would send (`InvalidAction`,
 * `SignatureDoesNotMatch`, ...).
 */
export function queryErrorHeader(error: BerthError, modelled: ModelledError | undefined): string {
  const status = statusOf(error, modelled);
  const fault = error.fault === 'server' || status >= 500 ? 'Receiver' : 'Sender';
  return `${modelled?.queryCode ?? error.codeFor('query')};${fault}`;
}

/**
 * The members an error shape's body carries: a ServiceError's modelled `members`, and the message
 * under the shape's own spelling (`message` or `Message`; `message` when it models neither).
 */
export function errorMembers(modelled: ModelledError | undefined, error: BerthError): Record<string, unknown> {
  const members = modelled?.shape.members ?? {};
  const out: Record<string, unknown> = {};
  if (error instanceof ServiceError && error.members) {
    for (const [k, v] of Object.entries(error.members)) if (Object.hasOwn(members, k)) out[k] = v;
  }
  const messageMember = ['message', 'Message'].find((m) => Object.hasOwn(members, m)) ?? 'message';
  out[messageMember] = error.message;
  return out;
}
