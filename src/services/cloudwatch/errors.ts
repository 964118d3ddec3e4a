/**
 * CloudWatch's modelled exceptions, thrown by their awsQuery codes (`InvalidParameterValue`,
 * `InvalidParameterCombination`, `MissingParameter`, `InvalidNextToken`): the query protocol sends
 * the code; the JSON and CBOR protocols find the error shape it names
 * (`InvalidParameterValueException`) and send that, with the code in `x-amzn-query-error`
 * (api/protocols/modelled-errors.ts), as CloudWatch does.
 */
import { ServiceError } from '../../errors/index.js';

/** `InvalidParameterValue`: the value of an input parameter is bad or out of range. */
export const invalidParameterValue = (message: string) => new ServiceError('InvalidParameterValue', message);
/** `InvalidParameterCombination`: parameters were used together that cannot be used together. */
export const invalidParameterCombination = (message: string) => new ServiceError('InvalidParameterCombination', message);
/** `MissingParameter`: a required input parameter is missing. */
export const missingParameter = (message: string) => new ServiceError('MissingParameter', message);
/** `InvalidNextToken`: the NextToken was not made by this call. */
export const invalidNextToken = (message = 'The service cannot complete the request because the NextToken is invalid.') => new ServiceError('InvalidNextToken', message);

/**
 * What api/ answers for input that breaks the model: `MissingParameter` when every problem is a
 * missing required member, `InvalidParameterValue` otherwise.
 */
export function validationError(message: string): ServiceError {
  const problems = message.replace(/^\d+ validation errors? detected: /, '').split('; ');
  return problems.every((p) => p.endsWith('Member must not be null')) ? missingParameter(message) : invalidParameterValue(message);
}
