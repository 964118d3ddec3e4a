/** Lambda's modelled exceptions (codes from the model's error shapes), as the operations throw them. */
import { ServiceError } from '../../errors/index.js';

/** `ValidationException`: the input breaks the model's constraints (Lambda's code for those; not a modelled shape). */
export const validationError = (message: string) => new ServiceError('ValidationException', message);
/** `InvalidParameterValueException`: a parameter is well-formed but not allowed. */
export const invalidParameter = (message: string) => new ServiceError('InvalidParameterValueException', message);
/** `ResourceNotFoundException` (404) for a function, with Lambda's message. */
export const functionNotFound = (arn: string) => new ServiceError('ResourceNotFoundException', `Function not found: ${arn}`, { statusCode: 404 });
/** `ResourceConflictException` (409). */
export const resourceConflict = (message: string) => new ServiceError('ResourceConflictException', message, { statusCode: 409 });
/** `PreconditionFailedException` (412): the RevisionId given is not the function's. */
export const preconditionFailed = () =>
  new ServiceError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', { statusCode: 412 });
/** `RequestTooLargeException` (413). */
export const requestTooLarge = (limit: number, operation: string) => new ServiceError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the ${operation} operation`, { statusCode: 413 });
/** `CodeStorageExceededException`: the account's code storage is full. */
export const codeStorageExceeded = (message: string) => new ServiceError('CodeStorageExceededException', message);
/** `TooManyRequestsException` (429): more concurrent invocations than Berth runs at once. */
export const tooManyRequests = (message: string) => new ServiceError('TooManyRequestsException', message, { statusCode: 429, retryable: true });
/** `InvalidRequestContentException`: the Invoke payload is not JSON. */
export const invalidRequestContent = (message: string) => new ServiceError('InvalidRequestContentException', message);
/** `ServiceException` (500): Berth could not do what was asked (e.g. the code could not be stored). */
export const serviceException = (message: string, cause?: unknown) => new ServiceError('ServiceException', message, { statusCode: 500, fault: 'server', cause });
