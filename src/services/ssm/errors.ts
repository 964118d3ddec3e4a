/** Parameter Store's modelled exceptions, with AWS's messages. */
import { ServiceError } from '../../errors/index.js';

/** `ValidationException`: the request breaks a constraint. */
export const validation = (message: string) => new ServiceError('ValidationException', message);
/** `ParameterNotFound`. */
export const parameterNotFound = (name: string) => new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
/** `ParameterVersionNotFound`. */
export const versionNotFound = (name: string, selector: string) =>
  new ServiceError('ParameterVersionNotFound', `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`);
/** A modelled exception by code, for the rarer ones. */
export const ssmError = (code: string, message: string) => new ServiceError(code, message);
