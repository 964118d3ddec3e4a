/** Name rules and paging shared by the CodeDeploy operations. */
import { paginate } from '../../pagination/index.js';
import { cdError } from './errors.js';

// CodeDeploy names are up to 100 characters (the model checks length) of letters, digits and ._-+=,@
const NAME = /^[A-Za-z0-9._+=,@-]+$/;

/** Throws `code` unless `name` is a valid CodeDeploy name. */
export function checkName(name: string, code: string, what: string): void {
  if (!NAME.test(name)) {
    throw cdError(code, `The ${what} '${name}' is not valid: use up to 100 letters, digits and the characters . _ - + = , @`);
  }
}

/** The page size of CodeDeploy's List calls (they take no maxResults). */
export const PAGE_SIZE = 100;

/** One page of `items` and the token of the next. */
export function page<T>(items: readonly T[], nextToken: string | undefined, scope: string): { items: T[]; nextToken?: string } {
  return paginate(items, { nextToken, defaultMax: PAGE_SIZE, limit: PAGE_SIZE, scope }, () =>
    cdError('InvalidNextTokenException', `The next token '${nextToken}' is not valid: it was not returned by this call with the same parameters.`),
  );
}
