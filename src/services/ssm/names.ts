/**
 * Parameter names (`name`, or hierarchical `/a/b/c`), their ARNs
 * (`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, one slash for a hierarchical name), and the
 * references that name a parameter: a name or ARN, optionally with a `:version` selector.
 */
import { ssmError, validation } from './errors.js';

/** Where ARNs are minted: the account and region Berth serves. */
export interface ArnScope {
  accountId: string;
  region: string;
}

/** The deepest hierarchy a name may have. */
export const MAX_LEVELS = 15;

const NAME_RULES =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** The ARN of a parameter. */
export function parameterArn(scope: ArnScope, name: string): string {
  return `arn:aws:ssm:${scope.region}:${scope.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** Checks a name a parameter is created under, with AWS's codes and messages. */
export function checkNewName(name: string): void {
  if (name.includes('/') && !name.startsWith('/')) throw validation('Parameter name must be a fully qualified name.');
  const parts = name.startsWith('/') ? name.slice(1).split('/') : [name];
  if (parts.length > MAX_LEVELS) {
    throw ssmError('HierarchyLevelLimitExceededException', `Parameter name can have at most ${MAX_LEVELS} levels of hierarchy; '${name}' has ${parts.length}.`);
  }
  if (/^\/?(aws|ssm)/i.test(name) || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) throw validation(NAME_RULES);
}

/** A parameter reference: the candidate names it may mean (in lookup order) and its selector. */
export interface ParameterRef {
  candidates: string[];
  /** What follows the last `:` of a name (a version number or label), if any. */
  selector?: string;
  /** The name as the caller wrote it, without the selector. */
  given: string;
}

/**
 * Reads a name or ARN with an optional `:selector`. An ARN's single-level resource
 * (`parameter/x`) may mean `x` or `/x`; both are tried. Undefined for an ARN of another
 * service, region or account.
 */
export function parseParameterRef(scope: ArnScope, ref: string): ParameterRef | undefined {
  if (ref.startsWith('arn:')) {
    const m = /^arn:aws[a-z-]*:ssm:([a-z0-9-]*):(\d{12}):parameter\/(.+)$/.exec(ref);
    if (!m || m[1] !== scope.region || m[2] !== scope.accountId) return undefined;
    const { base, selector } = splitSelector(m[3]);
    const candidates = base.includes('/') ? [`/${base}`] : [base, `/${base}`];
    return { candidates, selector, given: ref.slice(0, ref.length - m[3].length) + base };
  }
  const { base, selector } = splitSelector(ref);
  return { candidates: [base], selector, given: base };
}

function splitSelector(s: string): { base: string; selector?: string } {
  const i = s.lastIndexOf(':');
  return i < 0 ? { base: s } : { base: s.slice(0, i), selector: s.slice(i + 1) };
}

/** The path a GetParametersByPath names, normalised (`/a/b`, or `/` for the root). */
export function checkPath(path: string): string {
  if (!path.startsWith('/')) {
    throw validation('The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".');
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether `name` sits under `path` (directly, or anywhere below when recursive). */
export function underPath(name: string, path: string, recursive: boolean): boolean {
  const prefix = path === '/' ? '/' : `${path}/`;
  if (!name.startsWith(prefix)) return false;
  return recursive || !name.slice(prefix.length).includes('/');
}
