/** Secrets Manager's modelled exceptions, with AWS's messages. */
import { ServiceError } from '../../errors/index.js';

/** `ValidationException`: input breaks the model's constraints (AWS's front end answers this). */
export const validation = (message: string) => new ServiceError('ValidationException', message);
/** `InvalidParameterException`: a parameter value is not valid. */
export const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
/** `InvalidRequestException`: the request is not valid for the secret's current state. */
export const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
/** `ResourceNotFoundException`, with AWS's message unless a more precise one applies. */
export const notFound = (message = "Secrets Manager can't find the specified secret.") => new ServiceError('ResourceNotFoundException', message);
/** `ResourceExistsException`: a secret or version with that identity already exists. */
export const resourceExists = (message: string) => new ServiceError('ResourceExistsException', message);
/** `LimitExceededException`: a per-secret limit would be exceeded. */
export const limitExceeded = (message: string) => new ServiceError('LimitExceededException', message);
/** `InvalidNextTokenException`: a NextToken this listing did not hand out. */
export const invalidNextToken = (message: string) => new ServiceError('InvalidNextTokenException', message);

/** AWS's message for any use of a secret scheduled for deletion. */
export const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
