/**
 * Basic metric math for GetMetricData expressions: numbers, query ids, + - * / ^ and parentheses,
 * `[a, b]` arrays, and the functions SUM, AVG, MIN, MAX (of one time series: a scalar; of an
 * array: a time series, point by point over the series that have that timestamp), ABS,
 * FILL(m, value | REPEAT | LINEAR) and METRICS() (every MetricStat query). Between two time
 * series an operator keeps the timestamps both have; a result that is not finite (x / 0) is
 * left out.
 */

/** A time series: timestamp (epoch ms) -> value. */
export type Points = Map<number, number>;

/** What an expression evaluates to. */
export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; points: Points } | { kind: 'array'; items: Points[] };

/** An expression that cannot be parsed or evaluated; the message says why. */
export class MathError extends Error {}

type Node =
  | { t: 'num'; v: number }
  | { t: 'id'; name: string }
  | { t: 'bin'; op: string; a: Node; b: Node }
  | { t: 'neg'; a: Node }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'array'; items: Node[] };

/** What evaluation needs from the call. */
export interface MathContext {
  /** The value of another query by id (throws MathError when unknown). */
  resolve(id: string): MathValue;
  /** Every MetricStat query's series (METRICS()). */
  metrics(): Points[];
  /** The period starts of the call's range, for FILL. */
  grid: number[];
}

/** Parses an expression; throws MathError on a syntax error. */
export function parseExpression(text: string): Node {
  const tokens = text.match(/\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+|[A-Za-z_][A-Za-z0-9_]*|[-+*/^(),[\]]|\S)/g)?.map((t) => t.trim()) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (want?: string) => {
    const t = tokens[pos++];
    if (want !== undefined && t !== want) throw new MathError(t === undefined ? `expected "${want}" at the end` : `expected "${want}" but found "${t}"`);
    return t;
  };
  const expr = (): Node => {
    let a = term();
    while (peek() === '+' || peek() === '-') a = { t: 'bin', op: take(), a, b: term() };
    return a;
  };
  const term = (): Node => {
    let a = unary();
    while (peek() === '*' || peek() === '/') a = { t: 'bin', op: take(), a, b: unary() };
    return a;
  };
  const unary = (): Node => {
    if (peek() === '-') {
      take();
      return { t: 'neg', a: unary() };
    }
    if (peek() === '+') take();
    return power();
  };
  const power = (): Node => {
    const a = primary();
    if (peek() === '^') {
      take();
      return { t: 'bin', op: '^', a, b: unary() };
    }
    return a;
  };
  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new MathError('the expression ends too early');
    if (/^(\d|\.\d)/.test(t)) return { t: 'num', v: Number(t) };
    if (t === '(') {
      const e = expr();
      take(')');
      return e;
    }
    if (t === '[') {
      const items = [expr()];
      while (peek() === ',') {
        take();
        items.push(expr());
      }
      take(']');
      return { t: 'array', items };
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { t: 'id', name: t };
      take('(');
      const args: Node[] = [];
      if (peek() !== ')') {
        args.push(expr());
        while (peek() === ',') {
          take();
          args.push(expr());
        }
      }
      take(')');
      return { t: 'call', fn: t.toUpperCase(), args };
    }
    throw new MathError(`unexpected "${t}"`);
  };
  const node = expr();
  if (pos < tokens.length) throw new MathError(`unexpected "${tokens[pos]}"`);
  return node;
}

/** The ids an expression refers to (for dependency order and cycle checks). */
export function referencedIds(node: Node): string[] {
  switch (node.t) {
    case 'id':
      return [node.name];
    case 'bin':
      return [...referencedIds(node.a), ...referencedIds(node.b)];
    case 'neg':
      return referencedIds(node.a);
    case 'call':
      // FILL's REPEAT / LINEAR are keywords, not ids.
      return node.args.flatMap((a, i) => (node.fn === 'FILL' && i === 1 && a.t === 'id' ? [] : referencedIds(a)));
    case 'array':
      return node.items.flatMap(referencedIds);
    case 'num':
      return [];
  }
}

/** Evaluates a parsed expression. */
export function evaluate(node: Node, ctx: MathContext): MathValue {
  switch (node.t) {
    case 'num':
      return { kind: 'scalar', value: node.v };
    case 'id':
      return ctx.resolve(node.name);
    case 'neg':
      return binary('*', { kind: 'scalar', value: -1 }, evaluate(node.a, ctx));
    case 'bin':
      return binary(node.op, evaluate(node.a, ctx), evaluate(node.b, ctx));
    case 'array': {
      const items = node.items.map((n) => evaluate(n, ctx)).flatMap((v) => {
        if (v.kind === 'scalar') throw new MathError('an array can hold only time series');
        return v.kind === 'series' ? [v.points] : v.items;
      });
      return { kind: 'array', items };
    }
    case 'call':
      return call(node, ctx);
  }
}

const OPS: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => Math.pow(a, b),
};

function mapPoints(points: Points, f: (v: number) => number): Points {
  const out: Points = new Map();
  for (const [t, v] of points) {
    const r = f(v);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return out;
}

function binary(op: string, a: MathValue, b: MathValue): MathValue {
  const f = OPS[op];
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: f(a.value, b.value) };
  if (a.kind === 'array' && b.kind === 'array') throw new MathError(`the operator ${op} cannot combine two arrays of time series`);
  if (a.kind === 'array') return { kind: 'array', items: a.items.map((p) => (binary(op, { kind: 'series', points: p }, b) as { points: Points }).points) };
  if (b.kind === 'array') return { kind: 'array', items: b.items.map((p) => (binary(op, a, { kind: 'series', points: p }) as { points: Points }).points) };
  if (a.kind === 'series' && b.kind === 'scalar') return { kind: 'series', points: mapPoints(a.points, (v) => f(v, b.value)) };
  if (a.kind === 'scalar' && b.kind === 'series') return { kind: 'series', points: mapPoints(b.points, (v) => f(a.value, v)) };
  const pa = (a as { points: Points }).points;
  const pb = (b as { points: Points }).points;
  const out: Points = new Map();
  for (const [t, v] of pa) {
    const w = pb.get(t);
    if (w === undefined) continue;
    const r = f(v, w);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return { kind: 'series', points: out };
}

const REDUCERS: Record<string, (xs: number[]) => number> = {
  SUM: (xs) => xs.reduce((s, x) => s + x, 0),
  AVG: (xs) => xs.reduce((s, x) => s + x, 0) / xs.length,
  MIN: (xs) => Math.min(...xs),
  MAX: (xs) => Math.max(...xs),
};

function call(node: Node & { t: 'call' }, ctx: MathContext): MathValue {
  const arity = (n: number) => {
    if (node.args.length !== n) throw new MathError(`${node.fn} takes ${n} argument${n === 1 ? '' : 's'}; got ${node.args.length}`);
  };
  const reduce = REDUCERS[node.fn];
  if (reduce) {
    arity(1);
    const v = evaluate(node.args[0], ctx);
    if (v.kind === 'scalar') return v;
    if (v.kind === 'series') {
      const xs = [...v.points.values()];
      return xs.length ? { kind: 'scalar', value: reduce(xs) } : { kind: 'series', points: new Map() };
    }
    const byTime = new Map<number, number[]>();
    for (const p of v.items) for (const [t, x] of p) (byTime.get(t) ?? byTime.set(t, []).get(t)!).push(x);
    const out: Points = new Map();
    for (const [t, xs] of byTime) out.set(t, reduce(xs));
    return { kind: 'series', points: out };
  }
  switch (node.fn) {
    case 'ABS': {
      arity(1);
      const v = evaluate(node.args[0], ctx);
      if (v.kind === 'scalar') return { kind: 'scalar', value: Math.abs(v.value) };
      if (v.kind === 'series') return { kind: 'series', points: mapPoints(v.points, Math.abs) };
      return { kind: 'array', items: v.items.map((p) => mapPoints(p, Math.abs)) };
    }
    case 'METRICS':
      arity(0);
      return { kind: 'array', items: ctx.metrics() };
    case 'FILL': {
      arity(2);
      const v = evaluate(node.args[0], ctx);
      if (v.kind === 'scalar') throw new MathError('FILL needs a time series or an array of time series as its first argument');
      const how = node.args[1];
      const fill = (p: Points): Points => {
        if (how.t === 'id' && how.name.toUpperCase() === 'REPEAT') return fillRepeat(p, ctx.grid);
        if (how.t === 'id' && how.name.toUpperCase() === 'LINEAR') return fillLinear(p, ctx.grid);
        const with_ = evaluate(how, ctx);
        if (with_.kind !== 'scalar') throw new MathError('FILL takes a number, REPEAT or LINEAR as its second argument');
        const out: Points = new Map();
        for (const t of ctx.grid) out.set(t, p.get(t) ?? with_.value);
        return out;
      };
      return v.kind === 'series' ? { kind: 'series', points: fill(v.points) } : { kind: 'array', items: v.items.map(fill) };
    }
  }
  throw new MathError(`unknown function ${node.fn}`);
}

/** Missing points take the last value before them (none before the first value). */
function fillRepeat(p: Points, grid: number[]): Points {
  const out: Points = new Map();
  let last: number | undefined;
  for (const t of grid) {
    const v = p.get(t);
    if (v !== undefined) last = v;
    if (last !== undefined) out.set(t, last);
  }
  return out;
}

/** Missing points between two values are interpolated; none before the first or after the last. */
function fillLinear(p: Points, grid: number[]): Points {
  const out: Points = new Map();
  const known = grid.filter((t) => p.has(t));
  let k = 0;
  for (const t of grid) {
    while (k < known.length - 1 && known[k + 1] <= t) k++;
    if (p.has(t)) out.set(t, p.get(t)!);
    else if (known[k] !== undefined && known[k] < t && k + 1 < known.length) {
      const [t0, t1] = [known[k], known[k + 1]];
      const [v0, v1] = [p.get(t0)!, p.get(t1)!];
      out.set(t, v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
    }
  }
  return out;
}
