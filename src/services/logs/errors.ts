/** CloudWatch Logs' modelled exceptions, as thrown by the logs operations. */
import { ServiceError } from '../../errors/index.js';

/** `InvalidParameterException`: a parameter is specified incorrectly. */
export const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
/** `ResourceNotFoundException`, with CloudWatch Logs' message for a missing log group. */
export const groupNotFound = () => new ServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
/** `ResourceNotFoundException`, with CloudWatch Logs' message for a missing log stream. */
export const streamNotFound = () => new ServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
/** `ResourceNotFoundException` with a message of its own. */
export const resourceNotFound = (message: string) => new ServiceError('ResourceNotFoundException', message);
/** `ResourceAlreadyExistsException`: the named resource already exists. */
export const alreadyExists = (message: string) => new ServiceError('ResourceAlreadyExistsException', message);
/** `TooManyTagsException`: a resource would carry more than 50 tags. */
export const tooManyTags = (message: string) => new ServiceError('TooManyTagsException', message);
/** `ValidationException`: the request is not valid for the resource's state. */
export const validationException = (message: string) => new ServiceError('ValidationException', message);
