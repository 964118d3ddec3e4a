/**
 * A wire protocol: how a request names its service and operation, how its input is read, and how
 * output and errors are written: rpcv2Cbor, awsJson 1.0/1.1, restJson1 and awsQuery.
 */
import type { BerthError, ProtocolFamily } from '../../errors/index.js';
import type { ServiceDefinition } from '../service.js';

/** An incoming HTTP request, fully read. */
export interface IncomingCall {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** An HTTP response ready to send. */
export interface OutgoingResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** The service, operation and raw (unchecked) input a request resolves to. */
export interface ResolvedCall {
  service: ServiceDefinition;
  operation: string;
  /** Whatever the protocol parsed; checked against the model afterwards. */
  input: unknown;
}

/** The credential scope of a verified SigV4 signature. */
export interface SigningScope {
  region: string;
  /** The signing name, e.g. `ecs`, `elasticloadbalancing`, `monitoring`. */
  service: string;
}

/** One wire protocol. */
export interface Protocol {
  /** Which error-code family this protocol's services use. */
  readonly family: ProtocolFamily;
  /** True when the request is written in this protocol. */
  matches(call: IncomingCall): boolean;
  /**
   * Finds the service and operation and parses the input; throws BerthErrors for bad input.
   * `scope` is the verified signature's scope (awsQuery names its service by it alone).
   */
  resolve(call: IncomingCall, scope: SigningScope): ResolvedCall;
  /**
   * The service a request addresses, guessed before it is verified and resolved, so that errors
   * raised earlier (a bad signature, a missing Action) are still written in its namespace.
   */
  serviceOf?(call: IncomingCall): ServiceDefinition | undefined;
  /** Writes a successful result (already shaped to the output shape). */
  encodeOutput(call: ResolvedCall, output: unknown, requestId: string): OutgoingResponse;
  /** Writes an error the way AWS writes it for this protocol. */
  encodeError(error: BerthError, requestId: string, service?: ServiceDefinition): OutgoingResponse;
  /**
   * Rewords one of checkInput's constraint messages for this protocol's services, when their
   * messages name members differently (awsQuery services say `pageSize` for `PageSize`).
   */
  rewordConstraintError?(message: string): string;
  /** How this protocol writes timestamps in output. */
  encodeTimestamp(d: Date): unknown;
}
