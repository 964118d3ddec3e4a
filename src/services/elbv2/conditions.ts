/**
 * Rule conditions: both forms ELBv2 accepts (`Values`, for host-header and path-pattern only,
 * and the `*Config` members), checked against ELBv2's rules and normalized to what DescribeRules
 * returns. Limits: host-header, path-pattern, http-request-method and source-ip at most once per
 * rule; at most 5 condition values per rule in total (each value, and each query-string pair,
 * counts once) and at most 5 wildcards (source-ip has none; an escaped `\*` in a query string is
 * no wildcard).
 */
import { isIP } from 'node:net';
import { validationError } from './errors.js';
import type { WireCondition } from './records.js';

/** The most condition values one rule may have, counted over all its conditions. */
export const MAX_CONDITION_VALUES = 5;
/** The most wildcards (`*` or `?`) one rule's condition values may hold in total. */
export const MAX_CONDITION_WILDCARDS = 5;

const FIELDS = ['host-header', 'path-pattern', 'http-header', 'http-request-method', 'query-string', 'source-ip'] as const;
type Field = (typeof FIELDS)[number];
const CONFIG_OF: Record<Field, keyof WireCondition> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
};
const ONCE: Field[] = ['host-header', 'path-pattern', 'http-request-method', 'source-ip'];

const HOST = /^[A-Za-z0-9\-.*?]+$/;
const PATH = /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const METHOD = /^[A-Z_-]+$/;

function checkLength(field: string, v: string, max = 128): void {
  if (v.length === 0 || v.length > max) throw validationError(`Condition value '${v}' for '${field}' must be between 1 and ${max} characters long`);
}

function checkHost(v: string): void {
  checkLength('host-header', v);
  if (!HOST.test(v)) throw validationError(`Host header condition value '${v}' can contain only A-Z, a-z, 0-9, hyphens (-), periods (.), and the wildcards * and ?`);
  const last = v.lastIndexOf('.');
  if (last < 0 || !/^[A-Za-z*?]+$/.test(v.slice(last + 1))) {
    throw validationError(`Host header condition value '${v}' must include at least one '.' and only alphabetical characters after the final '.'`);
  }
}

function checkPath(v: string): void {
  checkLength('path-pattern', v);
  if (!PATH.test(v)) throw validationError(`Path pattern condition value '${v}' contains a character that is not allowed (allowed: A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?)`);
}

function checkCidr(v: string): void {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  const family = m ? isIP(m[1]) : 0;
  if (!m || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128)) {
    throw validationError(`Source IP condition value '${v}' is not a valid CIDR block (wildcards are not supported)`);
  }
}

/** Checks and normalizes the conditions of a rule. */
export function checkConditions(conditions: readonly WireCondition[]): WireCondition[] {
  if (conditions.length === 0) throw validationError('A rule must have at least one condition');
  const seen = new Set<string>();
  let total = 0;
  let wildcards = 0;
  const countWildcards = (v: string) => (wildcards += (v.replace(/\\[*?]/g, '').match(/[*?]/g) ?? []).length);
  const out = conditions.map((c) => {
    if (c.Field === undefined) throw validationError('A condition field must be specified');
    if (!(FIELDS as readonly string[]).includes(c.Field)) {
      throw validationError(`Condition field '${c.Field}' is not valid; it must be one of ${FIELDS.join(', ')}`);
    }
    const field = c.Field as Field;
    if (ONCE.includes(field) && seen.has(field)) throw validationError(`A rule can have only one '${field}' condition`);
    seen.add(field);
    const own = CONFIG_OF[field];
    for (const [f, member] of Object.entries(CONFIG_OF)) {
      if (f !== field && c[member] !== undefined) throw validationError(`${member} can only be specified for conditions of field '${f}'`);
    }
    const config = c[own] as { Values?: unknown[]; RegexValues?: string[]; HttpHeaderName?: string } | undefined;
    if (c.RegexValues !== undefined || config?.RegexValues !== undefined) throw validationError('Regular expression condition values (RegexValues) are not supported by Berth yet');
    if (c.Values !== undefined && field !== 'host-header' && field !== 'path-pattern') {
      throw validationError(`Values can only be used with host-header and path-pattern conditions; use ${own} for '${field}'`);
    }
    if (c.Values !== undefined && config !== undefined) throw validationError(`You can specify Values or ${own} for a '${field}' condition, but not both`);
    if (c.Values !== undefined && c.Values.length !== 1) throw validationError(`Values can hold a single value for a '${field}' condition; use ${own} to specify several`);
    const values = (c.Values ?? config?.Values ?? []) as any[];
    if (values.length === 0) throw validationError(`At least one value must be specified for the '${field}' condition`);
    total += values.length;
    for (const v of values) {
      if (typeof v === 'string') countWildcards(v);
      else if (field === 'query-string') [v.Key ?? '', v.Value ?? ''].forEach(countWildcards);
    }
    switch (field) {
      case 'host-header':
        values.forEach(checkHost);
        return { Field: field, Values: values, HostHeaderConfig: { Values: values } };
      case 'path-pattern':
        values.forEach(checkPath);
        return { Field: field, Values: values, PathPatternConfig: { Values: values } };
      case 'http-header': {
        const name = config?.HttpHeaderName;
        if (name === undefined) throw validationError('An HTTP header name must be specified for the http-header condition');
        if (name.length > 40 || !TOKEN.test(name)) throw validationError(`HTTP header name '${name}' is not valid: at most 40 characters allowed in an RFC 7230 token`);
        if (name.toLowerCase() === 'host') throw validationError(`You can't use an HTTP header condition to specify the host header; use a host-header condition`);
        values.forEach((v: string) => checkLength('http-header', v));
        return { Field: field, HttpHeaderConfig: { HttpHeaderName: name, Values: values } };
      }
      case 'http-request-method':
        values.forEach((v: string) => {
          if (v.length > 40 || !METHOD.test(v)) throw validationError(`HTTP request method '${v}' is not valid: use at most 40 characters of A-Z, hyphen (-) and underscore (_)`);
        });
        return { Field: field, HttpRequestMethodConfig: { Values: values } };
      case 'query-string':
        values.forEach((p: { Key?: string; Value?: string }) => {
          if (p.Value === undefined) throw validationError('Each query-string condition pair must have a value');
          checkLength('query-string', p.Value);
          if (p.Key !== undefined) checkLength('query-string', p.Key);
        });
        return { Field: field, QueryStringConfig: { Values: values.map((p: { Key?: string; Value?: string }) => (p.Key === undefined ? { Value: p.Value } : { Key: p.Key, Value: p.Value })) } };
      case 'source-ip':
        values.forEach(checkCidr);
        return { Field: field, SourceIpConfig: { Values: values } };
    }
  });
  if (total > MAX_CONDITION_VALUES) {
    throw validationError(`A rule can have at most ${MAX_CONDITION_VALUES} condition values in total; this one has ${total}`);
  }
  if (wildcards > MAX_CONDITION_WILDCARDS) {
    throw validationError(`A rule can have at most ${MAX_CONDITION_WILDCARDS} wildcards (* or ?) in its condition values in total; this one has ${wildcards}`);
  }
  return out as WireCondition[];
}
