import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BerthError,
  ERROR_CLASSES,
  IncompleteSignatureError,
  InternalFailureError,
  MalformedQueryError,
  MissingActionError,
  InvalidQueryParameterError,
  InvalidParameterValueError,
  MissingAuthenticationTokenError,
  RequestEntityTooLargeError,
  SerializationError,
  ServiceError,
  SignatureDoesNotMatchError,
  SignatureExpiredError,
  UnknownOperationError,
  UnknownServiceError,
  UnrecognizedClientError,
  UnsupportedOperationError,
  serviceError,
  toBerthError,
  type Fault,
} from './index.js';

type ClassName = keyof typeof ERROR_CLASSES;

interface Row {
  /** Builds an instance carrying `cause`. */
  make(cause: unknown): BerthError;
  json: string;
  query: string;
  statusCode: number;
  retryable: boolean;
  fault: Fault;
  /** A fixed message, when the class has one. */
  message?: string | RegExp;
}

/** One row per concrete class: a new class in ERROR_CLASSES without a row fails the test. */
const TABLE: Record<ClassName, Row> = {
  ServiceError: {
    make: (cause) => new ServiceError('ClusterNotFoundException', 'Cluster not found.', { cause }),
    json: 'ClusterNotFoundException',
    query: 'ClusterNotFoundException',
    statusCode: 400,
    retryable: false,
    fault: 'client',
    message: 'Cluster not found.',
  },
  SerializationError: {
    make: (cause) => new SerializationError('bad JSON', { cause }),
    json: 'SerializationException',
    query: 'SerializationException',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  MalformedQueryError: {
    make: (cause) => new MalformedQueryError('bad query', { cause }),
    json: 'MalformedQueryString',
    query: 'MalformedQueryString',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  MissingActionError: {
    make: (cause) => new MissingActionError(undefined, { cause }),
    json: 'MissingAction',
    query: 'MissingAction',
    statusCode: 400,
    retryable: false,
    fault: 'client',
    message: /Action parameter/,
  },
  InvalidQueryParameterError: {
    make: (cause) => new InvalidQueryParameterError('bad list index', { cause }),
    json: 'InvalidQueryParameter',
    query: 'InvalidQueryParameter',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  InvalidParameterValueError: {
    make: (cause) => new InvalidParameterValueError('not an integer', { cause }),
    json: 'InvalidParameterValue',
    query: 'InvalidParameterValue',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  UnknownOperationError: {
    make: (cause) => new UnknownOperationError('no such operation', { cause }),
    json: 'UnknownOperationException',
    query: 'InvalidAction',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  UnknownServiceError: {
    make: (cause) => new UnknownServiceError('no such service', { cause }),
    json: 'UnknownServiceException',
    query: 'UnknownServiceException',
    statusCode: 404,
    retryable: false,
    fault: 'client',
  },
  UnsupportedOperationError: {
    make: (cause) => new UnsupportedOperationError('ECS', 'CreateCapacityProvider', 'UnsupportedFeatureException', { cause }),
    json: 'UnsupportedFeatureException',
    query: 'UnsupportedFeatureException',
    statusCode: 400,
    retryable: false,
    fault: 'client',
    message: 'Berth does not support ECS CreateCapacityProvider yet.',
  },
  RequestEntityTooLargeError: {
    make: (cause) => new RequestEntityTooLargeError('too big', { cause }),
    json: 'RequestEntityTooLarge',
    query: 'RequestEntityTooLarge',
    statusCode: 413,
    retryable: false,
    fault: 'client',
  },
  InternalFailureError: {
    make: (cause) => new InternalFailureError({ cause }),
    json: 'InternalFailure',
    query: 'InternalFailure',
    statusCode: 500,
    retryable: true,
    fault: 'server',
    message: 'We encountered an internal error. Please try again.',
  },
  MissingAuthenticationTokenError: {
    make: (cause) => new MissingAuthenticationTokenError({ cause }),
    json: 'MissingAuthenticationTokenException',
    query: 'MissingAuthenticationToken',
    statusCode: 403,
    retryable: false,
    fault: 'client',
    message: 'Missing Authentication Token',
  },
  IncompleteSignatureError: {
    make: (cause) => new IncompleteSignatureError('malformed', { cause }),
    json: 'IncompleteSignatureException',
    query: 'IncompleteSignature',
    statusCode: 400,
    retryable: false,
    fault: 'client',
  },
  SignatureDoesNotMatchError: {
    make: (cause) => new SignatureDoesNotMatchError(undefined, { cause }),
    json: 'InvalidSignatureException',
    query: 'SignatureDoesNotMatch',
    statusCode: 403,
    retryable: false,
    fault: 'client',
    message: /^The request signature we calculated does not match the signature you provided\./,
  },
  UnrecognizedClientError: {
    make: (cause) => new UnrecognizedClientError({ cause }),
    json: 'UnrecognizedClientException',
    query: 'InvalidClientTokenId',
    statusCode: 403,
    retryable: false,
    fault: 'client',
    message: 'The security token included in the request is invalid.',
  },
  SignatureExpiredError: {
    make: (cause) => new SignatureExpiredError('Signature expired: ...', { cause }),
    json: 'InvalidSignatureException',
    query: 'RequestExpired',
    statusCode: 403,
    retryable: false,
    fault: 'client',
  },
};

describe('the error hierarchy', () => {
  it('has a table row for every class in ERROR_CLASSES and no other', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), Object.keys(ERROR_CLASSES).sort());
  });

  for (const [name, row] of Object.entries(TABLE) as [ClassName, Row][]) {
    it(`${name}: code, codeFor, statusCode, retryable, fault, cause, name`, () => {
      const cause = new Error(`root cause of ${name}`);
      const err = row.make(cause);
      assert.ok(err instanceof ERROR_CLASSES[name], `built with ${name}`);
      assert.ok(err instanceof BerthError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, name);
      assert.equal(err.code, row.json);
      assert.equal(err.codeFor('json'), row.json);
      assert.equal(err.codeFor('rest'), row.json);
      assert.equal(err.codeFor('query'), row.query);
      assert.equal(err.statusCode, row.statusCode);
      assert.equal(err.retryable, row.retryable);
      assert.equal(err.fault, row.fault);
      assert.equal(err.cause, cause, 'cause is kept');
      assert.ok(typeof err.stack === 'string' && err.stack.includes(name));
      if (typeof row.message === 'string') assert.equal(err.message, row.message);
      else if (row.message) assert.match(err.message, row.message);
      assert.ok(!err.message.includes(cause.message), 'the cause never leaks into the message sent to clients');
      // without a cause, none is set
      const bare = row.make(undefined);
      assert.equal(bare.cause, undefined);
      assert.equal(Object.hasOwn(bare, 'cause'), false);
    });
  }

  it('ServiceError derives status and retryable from fault unless given', () => {
    const server = new ServiceError('ServerException', 'boom', { fault: 'server' });
    assert.equal(server.statusCode, 500);
    assert.equal(server.retryable, true);
    const throttled = new ServiceError('ThrottlingException', 'slow down', { statusCode: 400, retryable: true });
    assert.equal(throttled.statusCode, 400);
    assert.equal(throttled.retryable, true);
    assert.equal(throttled.fault, 'client');
    const made = serviceError('ClientException', 'no');
    assert.ok(made instanceof ServiceError);
    assert.equal(made.code, 'ClientException');
    assert.equal(made.statusCode, 400);
  });

  it('UnsupportedOperationError defaults to UnsupportedOperation', () => {
    assert.equal(new UnsupportedOperationError('ECS', 'X').code, 'UnsupportedOperation');
  });

  it('toBerthError keeps Berth errors and wraps anything else as InternalFailure with the cause', () => {
    const known = new SerializationError('x');
    assert.equal(toBerthError(known), known);
    const boom = new TypeError('secret internals');
    const wrapped = toBerthError(boom);
    assert.ok(wrapped instanceof InternalFailureError);
    assert.equal(wrapped.cause, boom);
    assert.ok(!wrapped.message.includes('secret internals'));
    assert.ok(toBerthError('a string') instanceof InternalFailureError);
  });
});
