/**
 * The contract between api/ and each AWS service folder: a service hands api/ its model and
 * its operations; api/ does HTTP, protocols, auth, input checking against the model, output
 * shaping and error encoding.
 */
import type { BerthError } from '../errors/index.js';
import type { ServiceModel } from '../model/index.js';

/** What an operation knows about the call it serves. */
export interface CallContext {
  /** The id sent back in `x-amzn-RequestId`. */
  requestId: string;
  /** The 12-digit account that owns every resource. */
  accountId: string;
  /** The region Berth serves. */
  region: string;
  /** The access key that signed the call. */
  accessKeyId: string;
}

/**
 * One operation. A synchronous handler runs inside one SQLite transaction (all its writes
 * commit, or none); a handler marked {@link asyncOperation} manages its own transactions.
 */
export type Operation = ((input: any, ctx: CallContext) => unknown) & { readonly async?: boolean };

/** Marks a handler that awaits I/O; it must do its state changes in its own transactions. */
export function asyncOperation(fn: (input: any, ctx: CallContext) => Promise<unknown>): Operation {
  return Object.assign(fn, { async: true as const });
}

/** A service as api/ serves it. */
export interface ServiceDefinition {
  /** The service's botocore model: the wire contract. */
  model: ServiceModel;
  /** Operations Berth has built, by the model's operation name. */
  operations: Readonly<Record<string, Operation>>;
  /** The error for input that breaks the model's constraints (ECS: InvalidParameterException). */
  validationError(message: string): BerthError;
  /**
   * True for operations that only read state (AWS's Describe/List/Get calls). They run in a plain
   * transaction of their own, outside the batched commits that writes share.
   */
  isReadOnly?(operation: string): boolean;
  /** The code for modelled operations Berth has not built. */
  unsupportedCode?: string;
}
