/**
 * Secret values shared by Secrets Manager and Parameter Store: encryption at rest under the
 * data dir's key, keeping values out of validation messages, and the error the ECS runtime
 * gets when a container's `secrets` reference cannot be resolved.
 */
export { SecretCipher, SecretDecryptionError, openSecretCipher, SECRET_KEY_FILE } from './cipher.js';
export { RESOURCE_INITIALIZATION_PREFIX, SecretResolutionError } from './resolution.js';
export { compileSealedServiceDeps, type SealedServiceDeps, type SealedServiceOptions } from './sealed-service.js';
