/**
 * ELBv2's wildcard patterns as rule conditions use them: `*` matches zero or more characters, `?`
 * exactly one, everything else literally; `\*` and `\?` match a literal star or question mark (ELBv2
 * documents the escape for query strings; accepting it everywhere costs nothing). Patterns compile
 * to anchored regular expressions once and are cached, since the same few patterns are matched on
 * every request.
 */

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 10_000;

/** True when `text` matches the whole `pattern`. */
export function wildcardMatch(pattern: string, text: string, caseInsensitive: boolean): boolean {
  return compileWildcard(pattern, caseInsensitive).test(text);
}

/** The anchored regular expression for `pattern`. */
export function compileWildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const key = (caseInsensitive ? 'i:' : 's:') + pattern;
  let re = cache.get(key);
  if (re) return re;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?')) {
      source += '\\' + pattern[++i];
    } else if (c === '*') {
      source += '[\\s\\S]*';
    } else if (c === '?') {
      source += '[\\s\\S]';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  source += '$';
  re = new RegExp(source, caseInsensitive ? 'i' : '');
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, re);
  return re;
}
