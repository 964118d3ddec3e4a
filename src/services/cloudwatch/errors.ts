/**
 * CloudWatch's modelled exceptions. CloudWatch is awsQueryCompatible: its error shapes carry the
 * awsQuery code (`InvalidParameterValue`, ...), which the query protocol sends; the JSON and CBOR
 * protocols send the shape's name (`InvalidParameterValueException`), as AWS does (the query
 * code travels in their `x-amzn-query-error` header).
 */
import { ServiceError, type ProtocolFamily } from '../../errors/index.js';

/** A CloudWatch error: `code` is the awsQuery code; {@link codeFor} gives the shape name to JSON-family protocols. */
export class CloudWatchError extends ServiceError {
  constructor(
    code: string,
    readonly shapeName: string,
    message: string,
  ) {
    super(code, message);
  }

  override codeFor(family: ProtocolFamily): string {
    return family === 'query' ? this.code : this.shapeName;
  }
}

/** `InvalidParameterValue`: the value of an input parameter is bad or out of range. */
export const invalidParameterValue = (message: string) => new CloudWatchError('InvalidParameterValue', 'InvalidParameterValueException', message);
/** `InvalidParameterCombination`: parameters were used together that cannot be used together. */
export const invalidParameterCombination = (message: string) => new CloudWatchError('InvalidParameterCombination', 'InvalidParameterCombinationException', message);
/** `MissingParameter`: a required input parameter is missing. */
export const missingParameter = (message: string) => new CloudWatchError('MissingParameter', 'MissingRequiredParameterException', message);
/** `InvalidNextToken`: the NextToken was not made by this call. */
export const invalidNextToken = (message = 'The service cannot complete the request because the NextToken is invalid.') => new CloudWatchError('InvalidNextToken', 'InvalidNextToken', message);

/**
 * What api/ answers for input that breaks the model: `MissingParameter` when every problem is a
 * missing required member, `InvalidParameterValue` otherwise.
 */
export function validationError(message: string): CloudWatchError {
  const problems = message.replace(/^\d+ validation errors? detected: /, '').split('; ');
  return problems.every((p) => p.endsWith('Member must not be null')) ? missingParameter(message) : invalidParameterValue(message);
}
