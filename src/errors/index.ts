/**
 * One error hierarchy for all of Berth. Services throw these; only api/ turns them into
 * HTTP responses, using `code`, `statusCode` and (per wire protocol) `codeFor()`.
 */

/** Which side of the call is at fault, as AWS reports it (`Sender` / `Receiver`). */
export type Fault = 'client' | 'server';

/** Wire-protocol families whose error codes can differ for the same failure. */
export type ProtocolFamily = 'json' | 'query' | 'rest';

/** Options common to every Berth error. */
export interface BerthErrorOptions {
  /** The error that led to this one, kept for logs; never sent to the client. */
  cause?: unknown;
}

/** The root of every error Berth answers with. */
export abstract class BerthError extends Error {
  /** The AWS error code, e.g. `ClusterNotFoundException`. */
  abstract readonly code: string;
  /** The HTTP status code AWS answers with. */
  readonly statusCode: number = 400;
  /** Whether a client may retry the same call unchanged. */
  readonly retryable: boolean = false;
  /** Whose fault it is. */
  readonly fault: Fault = 'client';

  constructor(message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** The code to send for a protocol family; most errors use one code everywhere. */
  codeFor(_family: ProtocolFamily): string {
    return this.code;
  }
}

/**
 * A service's own modelled exception, named by its code (`ClusterNotFoundException`,
 * `InvalidParameterException`, ...). Services subclass it or use {@link serviceError}.
 */
export class ServiceError extends BerthError {
  readonly code: string;
  override readonly statusCode: number;
  override readonly fault: Fault;
  override readonly retryable: boolean;
  /**
   * The error shape's other modelled members (Lambda's TooManyRequestsException `Reason`,
   * `retryAfterSeconds`), for protocols that send them (restJson); the message is not among them.
   */
  readonly members?: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: BerthErrorOptions & { statusCode?: number; fault?: Fault; retryable?: boolean; members?: Record<string, unknown> } = {},
  ) {
    super(message, options);
    this.code = code;
    this.members = options.members;
    this.statusCode = options.statusCode ?? (options.fault === 'server' ? 500 : 400);
    this.fault = options.fault ?? 'client';
    this.retryable = options.retryable ?? this.fault === 'server';
  }
}

/** Makes a client-fault {@link ServiceError} with the given AWS code. */
export function serviceError(code: string, message: string, options?: BerthErrorOptions): ServiceError {
  return new ServiceError(code, message, options);
}

/** The request body could not be parsed, or a member has the wrong JSON type. */
export class SerializationError extends BerthError {
  readonly code = 'SerializationException';
}

/** The body of an awsQuery request is malformed (missing Action, bad list indexes, ...). */
export class MalformedQueryError extends BerthError {
  readonly code = 'MalformedQueryString';
}

/** An awsQuery request without an `Action` parameter. */
export class MissingActionError extends BerthError {
  readonly code = 'MissingAction';
  constructor(message = 'No action was supplied with this request: add the Action parameter.', options: BerthErrorOptions = {}) {
    super(message, options);
  }
}

/** An awsQuery parameter name that does not fit the model's layout (a bad list index, a value given to a structure). */
export class InvalidQueryParameterError extends BerthError {
  readonly code = 'InvalidQueryParameter';
}

/** An awsQuery parameter whose value is not of the member's type (a word for an integer, `yes` for a boolean). */
export class InvalidParameterValueError extends BerthError {
  readonly code = 'InvalidParameterValue';
}

/** No operation of that name exists for the addressed service. */
export class UnknownOperationError extends BerthError {
  readonly code = 'UnknownOperationException';
  override codeFor(family: ProtocolFamily): string {
    return family === 'query' ? 'InvalidAction' : this.code;
  }
}

/** The request named no AWS service Berth serves (no target header, no Action, unknown signing name). */
export class UnknownServiceError extends BerthError {
  readonly code = 'UnknownServiceException';
  override readonly statusCode = 404;
}

/** An operation that exists in AWS's model but that Berth has not built yet. */
export class UnsupportedOperationError extends BerthError {
  readonly code: string;
  constructor(service: string, operation: string, code = 'UnsupportedOperation', options: BerthErrorOptions = {}) {
    super(`Berth does not support ${service} ${operation} yet.`, options);
    this.code = code;
  }
}

/** The body is larger than Berth accepts for an API call. */
export class RequestEntityTooLargeError extends BerthError {
  readonly code = 'RequestEntityTooLarge';
  override readonly statusCode = 413;
}

/** A failure inside Berth; the message sent to the client never carries internals. */
export class InternalFailureError extends BerthError {
  readonly code = 'InternalFailure';
  override readonly statusCode = 500;
  override readonly retryable = true;
  override readonly fault = 'server';
  constructor(options: BerthErrorOptions = {}) {
    super('We encountered an internal error. Please try again.', options);
  }
}

/** Base of the SigV4 authentication failures; their codes differ between json and query services. */
export abstract class AuthError extends BerthError {
  override readonly statusCode: number = 403;
  /** The code awsJson/restJson services answer with. */
  protected abstract readonly jsonCode: string;
  /** The code awsQuery services answer with. */
  protected abstract readonly queryCode: string;
  get code(): string {
    return this.jsonCode;
  }
  override codeFor(family: ProtocolFamily): string {
    return family === 'query' ? this.queryCode : this.jsonCode;
  }
}

/** The request carries no signature at all. */
export class MissingAuthenticationTokenError extends AuthError {
  protected readonly jsonCode = 'MissingAuthenticationTokenException';
  protected readonly queryCode = 'MissingAuthenticationToken';
  constructor(options: BerthErrorOptions = {}) {
    super('Missing Authentication Token', options);
  }
}

/** The Authorization header or presigned query is not a well-formed SigV4 signature. */
export class IncompleteSignatureError extends AuthError {
  override readonly statusCode = 400;
  protected readonly jsonCode = 'IncompleteSignatureException';
  protected readonly queryCode = 'IncompleteSignature';
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The signature does not match what Berth computes with the key's secret. */
export class SignatureDoesNotMatchError extends AuthError {
  protected readonly jsonCode = 'InvalidSignatureException';
  protected readonly queryCode = 'SignatureDoesNotMatch';
  constructor(message = SIGNATURE_MISMATCH, options: BerthErrorOptions = {}) {
    super(message, options);
  }
}

/** The access key id is not known to Berth. */
export class UnrecognizedClientError extends AuthError {
  protected readonly jsonCode = 'UnrecognizedClientException';
  protected readonly queryCode = 'InvalidClientTokenId';
  constructor(options: BerthErrorOptions = {}) {
    super('The security token included in the request is invalid.', options);
  }
}

/** The signing time is too far from Berth's clock, or a presigned URL has expired. */
export class SignatureExpiredError extends AuthError {
  protected readonly jsonCode = 'InvalidSignatureException';
  protected readonly queryCode = 'RequestExpired';
}

/** Every concrete error class, for the table test that checks each one's code and status. */
export const ERROR_CLASSES = {
  ServiceError,
  SerializationError,
  MalformedQueryError,
  MissingActionError,
  InvalidQueryParameterError,
  InvalidParameterValueError,
  UnknownOperationError,
  UnknownServiceError,
  UnsupportedOperationError,
  RequestEntityTooLargeError,
  InternalFailureError,
  MissingAuthenticationTokenError,
  IncompleteSignatureError,
  SignatureDoesNotMatchError,
  UnrecognizedClientError,
  SignatureExpiredError,
} as const;

/** Turns anything thrown into a BerthError; unknown throws become InternalFailure. */
export function toBerthError(err: unknown): BerthError {
  return err instanceof BerthError ? err : new InternalFailureError({ cause: err });
}
