/** The AWS API endpoint: HTTP, wire protocols, SigV4 and error encoding. */
export { ApiServer, type ApiServerOptions } from './server.js';
export { asyncOperation, type CallContext, type Operation, type ServiceDefinition } from './service.js';
export { verifySigV4, hasSignature, claimedScopeOf, MAX_CLOCK_SKEW_MS, MAX_PRESIGNED_EXPIRES_S, type SignableRequest, type SecretLookup, type VerifiedSignature } from './sigv4.js';
