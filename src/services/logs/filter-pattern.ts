/**
 * CloudWatch Logs filter patterns, compiled to a predicate over an event's message:
 * - empty: every event;
 * - terms: `ERROR Exception` (every term must occur), `"quoted phrase"`, `?ERROR ?WARN` (at least
 *   one of the `?` terms), `-DEBUG` (none of the `-` terms); matching is case-sensitive;
 * - JSON: `{ $.level = "error" }`, `{ $.status >= 500 }`, `{ $.user.name = "a*" }` (wildcard),
 *   `{ $.list[0] = 1 }`, `IS TRUE|FALSE|NULL`, `NOT EXISTS`, combined with `&&`, `||` and parentheses;
 *   a message that is not a JSON object never matches;
 * - regular expressions: `%ERROR|WARN%`.
 * Space-delimited patterns (`[ip, user, ...]`) are not built yet and are refused with a clear message.
 */

/** A compiled filter pattern. */
export type EventMatcher = (message: string) => boolean;

/** A filter pattern that cannot be parsed; the message says what is wrong. */
export class FilterPatternError extends Error {}

/** Compiles a filter pattern; throws {@link FilterPatternError} when it is not valid. */
export function compileFilterPattern(pattern: string | undefined): EventMatcher {
  const p = (pattern ?? '').trim();
  if (p === '') return () => true;
  if (p.startsWith('{')) return compileJsonPattern(p);
  if (p.startsWith('[')) throw new FilterPatternError('Berth does not support space-delimited filter patterns ([field, ...]) yet; use terms, a JSON pattern or a %regex%.');
  if (p.length >= 2 && p.startsWith('%') && p.endsWith('%')) return compileRegex(p.slice(1, -1));
  return compileTerms(p);
}

function compileRegex(source: string): EventMatcher {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new FilterPatternError(`Invalid regular expression in filter pattern '%${source}%': ${(err as Error).message}`);
  }
  return (m) => re.test(m);
}

interface Term {
  kind: 'all' | 'any' | 'none';
  text: string;
}

/** Splits a term pattern into terms, honouring double quotes (with `\"` escapes) and the `?`/`-` prefixes. */
function parseTerms(p: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < p.length) {
    if (/\s/.test(p[i])) {
      i++;
      continue;
    }
    let kind: Term['kind'] = 'all';
    if (p[i] === '?' || (p[i] === '-' && i + 1 < p.length && !/\s/.test(p[i + 1]))) {
      kind = p[i] === '?' ? 'any' : 'none';
      i++;
    }
    let text = '';
    if (p[i] === '"') {
      i++;
      let closed = false;
      while (i < p.length) {
        if (p[i] === '\\' && i + 1 < p.length) {
          text += p[i + 1];
          i += 2;
        } else if (p[i] === '"') {
          closed = true;
          i++;
          break;
        } else text += p[i++];
      }
      if (!closed) throw new FilterPatternError(`Invalid filter pattern '${p}': a quoted term is not closed.`);
    } else {
      while (i < p.length && !/\s/.test(p[i])) {
        if (p[i] === '"') throw new FilterPatternError(`Invalid filter pattern '${p}': a quote must start a term.`);
        text += p[i++];
      }
    }
    if (text === '') throw new FilterPatternError(`Invalid filter pattern '${p}': empty term.`);
    terms.push({ kind, text });
  }
  return terms;
}

function compileTerms(p: string): EventMatcher {
  const terms = parseTerms(p);
  const all = terms.filter((t) => t.kind === 'all').map((t) => t.text);
  const any = terms.filter((t) => t.kind === 'any').map((t) => t.text);
  const none = terms.filter((t) => t.kind === 'none').map((t) => t.text);
  return (m) => all.every((t) => m.includes(t)) && (any.length === 0 || any.some((t) => m.includes(t))) && !none.some((t) => m.includes(t));
}

// ---- JSON patterns ----

type Json = unknown;
type Node = (doc: Json) => boolean;
type Step = string | number;

const TOKEN = /\s*(\|\||&&|!=|<=|>=|=|<|>|\(|\)|"(?:[^"\\]|\\.)*"|\$[^\s=!<>()&|"]*|[^\s=!<>()&|"]+)/y;

function tokenize(body: string, whole: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < body.length) {
    if (/^\s*$/.test(body.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(body);
    if (!m) throw new FilterPatternError(`Invalid JSON filter pattern '${whole}': cannot read '${body.slice(at).trim()}'.`);
    out.push(m[1]);
    at = TOKEN.lastIndex;
  }
  return out;
}

function parseSelector(s: string, whole: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_\-@:]+)|\[(\d+)\]/y;
  let at = 1;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) throw new FilterPatternError(`Invalid JSON filter pattern '${whole}': '${s}' is not a selector like $.field.sub[0].`);
    steps.push(m[1] !== undefined ? m[1] : Number(m[2]));
    at = re.lastIndex;
  }
  if (steps.length === 0) throw new FilterPatternError(`Invalid JSON filter pattern '${whole}': the selector '$' names no field.`);
  return steps;
}

function select(doc: Json, steps: readonly Step[]): Json | undefined {
  let v: Json = doc;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[step];
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, step)) return undefined;
      v = (v as Record<string, Json>)[step];
    }
  }
  return v;
}

function glob(value: string): (s: string) => boolean {
  if (!value.includes('*')) return (s) => s === value;
  const re = new RegExp('^' + value.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (s) => re.test(s);
}

/** The text of a double-quoted value; backslash escapes the next character. */
const unquote = (raw: string) => raw.slice(1, -1).replace(/\\(.)/g, '$1');

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function comparison(steps: Step[], op: string, raw: string, whole: string): Node {
  const quoted = raw.startsWith('"');
  const text = quoted ? unquote(raw) : raw;
  const numeric = !quoted && NUMBER.test(raw);
  if (op === '=' || op === '!=') {
    const eq = numeric
      ? (v: Json) => typeof v === 'number' && v === Number(raw)
      : ((g) => (v: Json) => typeof v === 'string' && g(v))(glob(text));
    return op === '=' ? (doc) => eq(select(doc, steps)) : (doc) => {
      const v = select(doc, steps);
      return v !== undefined && !eq(v);
    };
  }
  if (!numeric) throw new FilterPatternError(`Invalid JSON filter pattern '${whole}': '${op}' compares numbers, but '${raw}' is not a number.`);
  const n = Number(raw);
  const cmp: Record<string, (a: number) => boolean> = { '<': (a) => a < n, '>': (a) => a > n, '<=': (a) => a <= n, '>=': (a) => a >= n };
  return (doc) => {
    const v = select(doc, steps);
    return typeof v === 'number' && cmp[op](v);
  };
}

function compileJsonPattern(p: string): EventMatcher {
  if (!p.endsWith('}')) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': it must end with '}'.`);
  const tokens = tokenize(p.slice(1, -1), p);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    if (i >= tokens.length) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': it ends too soon.`);
    return tokens[i++];
  };
  const orExpr = (): Node => {
    const parts = [andExpr()];
    while (peek() === '||') {
      i++;
      parts.push(andExpr());
    }
    return parts.length === 1 ? parts[0] : (doc) => parts.some((f) => f(doc));
  };
  const andExpr = (): Node => {
    const parts = [unary()];
    while (peek() === '&&') {
      i++;
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0] : (doc) => parts.every((f) => f(doc));
  };
  const unary = (): Node => {
    const t = next();
    if (t === '(') {
      const inner = orExpr();
      if (peek() !== ')') throw new FilterPatternError(`Invalid JSON filter pattern '${p}': a '(' is not closed.`);
      i++;
      return inner;
    }
    if (!t.startsWith('$')) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': expected a selector like $.field, found '${t}'.`);
    const steps = parseSelector(t, p);
    const op = next();
    if (op.toUpperCase() === 'IS') {
      const what = next().toUpperCase();
      if (what === 'TRUE' || what === 'FALSE') return (doc) => select(doc, steps) === (what === 'TRUE');
      if (what === 'NULL') return (doc) => select(doc, steps) === null;
      throw new FilterPatternError(`Invalid JSON filter pattern '${p}': IS must be followed by TRUE, FALSE or NULL, not '${what}'.`);
    }
    if (op.toUpperCase() === 'NOT') {
      if (next().toUpperCase() !== 'EXISTS') throw new FilterPatternError(`Invalid JSON filter pattern '${p}': NOT must be followed by EXISTS.`);
      return (doc) => select(doc, steps) === undefined;
    }
    if (!['=', '!=', '<', '>', '<=', '>='].includes(op)) {
      throw new FilterPatternError(`Invalid JSON filter pattern '${p}': expected a comparison (=, !=, <, >, <=, >=) after ${t}, found '${op}'.`);
    }
    const value = next();
    if (['(', ')', '&&', '||'].includes(value)) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': ${t} ${op} needs a value.`);
    return comparison(steps, op, value, p);
  };
  if (tokens.length === 0) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': it has no condition.`);
  const root = orExpr();
  if (i < tokens.length) throw new FilterPatternError(`Invalid JSON filter pattern '${p}': unexpected '${tokens[i]}'.`);
  return (m) => {
    let doc: Json;
    try {
      doc = JSON.parse(m);
    } catch {
      return false;
    }
    return doc !== null && typeof doc === 'object' && root(doc);
  };
}
