/** Lambda function ARNs, and the name forms every operation accepts (name, ARN, partial ARN, each with an optional qualifier). */
import { invalidParameter } from './errors.js';

/** The account and region ARNs are minted in. */
export interface ArnScope {
  accountId: string;
  region: string;
}

/** `arn:aws:lambda:REGION:ACCOUNT:function:NAME`. */
export const functionArn = (scope: ArnScope, name: string) => `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;

/** A function reference resolved to its name and qualifier. */
export interface FunctionRef {
  name: string;
  qualifier?: string;
}

const FULL = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::([$a-zA-Z0-9_.-]+))?$/;
const PARTIAL = /^(\d{12}):function:([a-zA-Z0-9_-]+)(?::([$a-zA-Z0-9_.-]+))?$/;
const NAME = /^([a-zA-Z0-9_-]+)(?::([$a-zA-Z0-9_.-]+))?$/;

/**
 * Reads a FunctionName parameter. An ARN of another account or region names a function Berth
 * does not hold; Lambda refuses those as not matching the caller's, so do we.
 */
export function parseFunctionName(scope: ArnScope, value: string): FunctionRef {
  let m = FULL.exec(value);
  if (m) {
    if (m[1] !== scope.region || m[2] !== scope.accountId) throw invalidParameter(`The function ARN ${value} is not in account ${scope.accountId}, region ${scope.region}.`);
    return { name: m[3], qualifier: m[4] };
  }
  m = PARTIAL.exec(value);
  if (m) {
    if (m[1] !== scope.accountId) throw invalidParameter(`The function ARN ${value} is not in account ${scope.accountId}.`);
    return { name: m[2], qualifier: m[3] };
  }
  m = NAME.exec(value);
  if (m && m[1].length <= 64) return { name: m[1], qualifier: m[2] };
  throw invalidParameter(
    m ? `Function name ${m[1]} is longer than 64 characters.` : `The function name ${value} is not valid: use a name (letters, digits, - and _), a function ARN or a partial ARN, with an optional :qualifier.`,
  );
}
