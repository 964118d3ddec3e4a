/**
 * Task placement on Berth's one host, as ECS does it on a cluster of container instances: ECS's
 * cluster query language (parsed and evaluated), the checks ECS applies to placement constraints
 * and strategies, the host's container-instance attributes, and how many tasks the host takes
 * under a set of constraints. Pure: no I/O, no clock; what the host runs is passed in.
 *
 * On one host every strategy picks the same place: `spread` (over `instanceId`, `host` or an
 * attribute) has one value to spread over, `binpack` (cpu or memory) one instance to pack, and
 * `random` one instance to draw. Strategies are therefore checked and stored, and choose nothing.
 * Constraints do decide: `memberOf` admits the host or not, `distinctInstance` lets the host hold
 * one live task of a task group.
 */

/** A placement constraint as ECS writes it. */
export interface PlacementConstraintInput {
  type?: string;
  expression?: string;
}

/** A placement strategy as ECS writes it. */
export interface PlacementStrategyInput {
  type?: string;
  field?: string;
}

/** A request ECS refuses with InvalidParameterException; `message` says what is wrong. */
export class PlacementError extends Error {}

/** The most placement constraints a task may have, the task definition's included. */
export const MAX_PLACEMENT_CONSTRAINTS = 10;
/** The most placement strategy rules a service or task may have. */
export const MAX_PLACEMENT_STRATEGIES = 5;
/** The longest cluster query language expression ECS accepts. */
export const MAX_EXPRESSION_LENGTH = 2000;

// ---------------------------------------------------------------------------------------------
// The host

/** What an expression and the constraints see of the host. */
export interface HostView {
  /** The container instance's attributes (name -> value; a name with no value maps to ''). */
  attributes: ReadonlyMap<string, string>;
  /** Live (not STOPPED) tasks on the host in the cluster; read only when an expression asks. */
  runningTasksCount: () => number;
  /** Whether a live task of `group` runs on the host in the cluster; read only when asked. */
  hasTaskGroup: (group: string) => boolean;
}

const CPU_ARCHITECTURE: Record<string, string> = { x64: 'x86_64', arm64: 'arm64' };

/**
 * The attributes ECS gives a Linux container instance that Berth can honestly claim for its host:
 * `ecs.os-type` (linux), `ecs.os-family` (LINUX), `ecs.cpu-architecture` (x86_64 or arm64, from
 * the machine) and `ecs.availability-zone` (the region + `a`, the zone Berth's tasks report).
 * `ecs.instance-type` and `ecs.ami-id` are left out: the host is not an EC2 instance, so
 * expressions on them match nothing (as on an external instance registered with ECS Anywhere).
 */
export function hostAttributes(region: string, arch: string = process.arch): { name: string; value: string }[] {
  return [
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.os-family', value: 'LINUX' },
    { name: 'ecs.cpu-architecture', value: CPU_ARCHITECTURE[arch] ?? arch },
    { name: 'ecs.availability-zone', value: `${region}a` },
  ];
}

// ---------------------------------------------------------------------------------------------
// The cluster query language

/** The comparison operators, by their canonical name. */
export type Operator =
  | 'equals'
  | 'not_equals'
  | 'greater_than'
  | 'greater_than_equal'
  | 'less_than'
  | 'less_than_equal'
  | 'exists'
  | 'not_exists'
  | 'in'
  | 'not_in'
  | 'matches'
  | 'not_matches';

const OPERATORS: Record<string, Operator> = {
  '==': 'equals',
  equals: 'equals',
  '!=': 'not_equals',
  not_equals: 'not_equals',
  '>': 'greater_than',
  greater_than: 'greater_than',
  '>=': 'greater_than_equal',
  greater_than_equal: 'greater_than_equal',
  '<': 'less_than',
  less_than: 'less_than',
  '<=': 'less_than_equal',
  less_than_equal: 'less_than_equal',
  exists: 'exists',
  '!exists': 'not_exists',
  not_exists: 'not_exists',
  in: 'in',
  '!in': 'not_in',
  not_in: 'not_in',
  '=~': 'matches',
  matches: 'matches',
  '!~': 'not_matches',
  not_matches: 'not_matches',
};

/** A parsed expression. */
export type Expression =
  | { kind: 'and'; left: Expression; right: Expression }
  | { kind: 'or'; left: Expression; right: Expression }
  | { kind: 'not'; operand: Expression }
  | { kind: 'compare'; subject: string; operator: Operator; argument?: string; list?: string[]; pattern?: RegExp };

/** The subjects ECS documents, besides `attribute:NAME`. */
const SUBJECTS = new Set(['agentConnected', 'agentVersion', 'ec2InstanceId', 'registeredAt', 'runningTasksCount', 'task:group']);

type Token = { type: 'word' | '(' | ')' | '[' | ']' | ','; text: string; at: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ('()[],'.includes(c)) {
      tokens.push({ type: c as Token['type'], text: c, at: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new PlacementError(`unterminated quoted value at position ${i + 1}`);
      tokens.push({ type: 'word', text: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const start = i;
    while (i < src.length && !/\s/.test(src[i]) && !'()[],'.includes(src[i])) i++;
    tokens.push({ type: 'word', text: src.slice(start, i), at: start });
  }
  return tokens;
}

/**
 * Parses a cluster query language expression: `subject operator [argument]` comparisons joined
 * by `and`/`&&`, `or`/`||`, negated by `not`/`!`, grouped by parentheses (`and` binds tighter
 * than `or`). Throws {@link PlacementError} saying what is wrong.
 */
export function parseExpression(src: string): Expression {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    const t = peek();
    throw new PlacementError(t ? `${what} at '${t.text}' (position ${t.at + 1})` : `${what} at the end of the expression`);
  };
  const isWord = (t: Token | undefined, ...words: string[]) => t?.type === 'word' && words.includes(t.text.toLowerCase());

  const parseOr = (): Expression => {
    let left = parseAnd();
    while (isWord(peek(), 'or', '||')) {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expression => {
    let left = parseUnary();
    while (isWord(peek(), 'and', '&&')) {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expression => {
    const t = peek();
    if (isWord(t, 'not', '!')) {
      pos++;
      return { kind: 'not', operand: parseUnary() };
    }
    if (t?.type === 'word' && t.text.startsWith('!') && t.text.length > 1 && !(t.text in OPERATORS)) {
      // `!attribute:x exists` style is not ECS's; `!` must stand alone or before a parenthesis.
      fail("expected a subject ('!' must be followed by a space or a parenthesis)");
    }
    if (t?.type === '(') {
      pos++;
      const inner = parseOr();
      if (peek()?.type !== ')') fail("expected ')'");
      pos++;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): Expression => {
    const subjectToken = peek();
    if (subjectToken?.type !== 'word') return fail('expected a subject (attribute:NAME, task:group, ...)');
    const subject = subjectToken.text;
    if (subject.startsWith('attribute:')) {
      if (subject.length === 'attribute:'.length) fail('expected an attribute name after attribute:');
    } else if (!SUBJECTS.has(subject)) {
      fail(`unknown subject '${subject}' (expected attribute:NAME, ${[...SUBJECTS].join(', ')})`);
    }
    pos++;
    const opToken = peek();
    const operator = opToken?.type === 'word' ? OPERATORS[opToken.text.toLowerCase()] : undefined;
    if (!operator) return fail(`expected an operator after '${subject}'`);
    pos++;
    if (operator === 'exists' || operator === 'not_exists') return { kind: 'compare', subject, operator };
    if (operator === 'in' || operator === 'not_in') {
      if (peek()?.type !== '[') fail(`expected an argument list [a, b, ...] after '${opToken!.text}'`);
      pos++;
      const list: string[] = [];
      for (;;) {
        const v = peek();
        if (v?.type !== 'word') fail('expected a value in the argument list');
        list.push(v!.text);
        pos++;
        if (peek()?.type === ',') {
          pos++;
          continue;
        }
        if (peek()?.type === ']') {
          pos++;
          break;
        }
        fail("expected ',' or ']' in the argument list");
      }
      return { kind: 'compare', subject, operator, list };
    }
    const arg = peek();
    if (arg?.type !== 'word' || isWord(arg, 'and', 'or', '&&', '||')) return fail(`expected an argument after '${opToken!.text}'`);
    pos++;
    if (operator === 'matches' || operator === 'not_matches') {
      let pattern: RegExp;
      try {
        // ECS takes Java regular expressions, matched against the whole value.
        pattern = new RegExp(`^(?:${arg.text})$`);
      } catch {
        return fail(`'${arg.text}' is not a valid regular expression`);
      }
      return { kind: 'compare', subject, operator, argument: arg.text, pattern };
    }
    return { kind: 'compare', subject, operator, argument: arg.text };
  };

  if (tokens.length === 0) throw new PlacementError('the expression is empty');
  const expr = parseOr();
  if (pos < tokens.length) fail('unexpected text');
  return expr;
}

/** The subject's value on the host, or undefined when the host has none. */
function subjectValue(subject: string, host: HostView): string | undefined {
  if (subject.startsWith('attribute:')) return host.attributes.get(subject.slice('attribute:'.length));
  if (subject === 'agentConnected') return 'true';
  if (subject === 'runningTasksCount') return String(host.runningTasksCount());
  // agentVersion, ec2InstanceId, registeredAt: Berth's host is not an EC2 instance with an ECS agent.
  return undefined;
}

function compareValues(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Evaluates a parsed expression against the host. */
export function evaluate(expr: Expression, host: HostView): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, host) && evaluate(expr.right, host);
    case 'or':
      return evaluate(expr.left, host) || evaluate(expr.right, host);
    case 'not':
      return !evaluate(expr.operand, host);
    case 'compare': {
      if (expr.subject === 'task:group') return compareGroup(expr, host);
      const v = subjectValue(expr.subject, host);
      switch (expr.operator) {
        case 'exists':
          return v !== undefined;
        case 'not_exists':
          return v === undefined;
        case 'equals':
          return v === expr.argument;
        case 'not_equals':
          return v !== expr.argument;
        case 'in':
          return v !== undefined && expr.list!.includes(v);
        case 'not_in':
          return v === undefined || !expr.list!.includes(v);
        case 'matches':
          return v !== undefined && expr.pattern!.test(v);
        case 'not_matches':
          return v === undefined || !expr.pattern!.test(v);
        case 'greater_than':
          return v !== undefined && compareValues(v, expr.argument!) > 0;
        case 'greater_than_equal':
          return v !== undefined && compareValues(v, expr.argument!) >= 0;
        case 'less_than':
          return v !== undefined && compareValues(v, expr.argument!) < 0;
        case 'less_than_equal':
          return v !== undefined && compareValues(v, expr.argument!) <= 0;
      }
    }
  }
}

/** `task:group`: the host is in the group when a live task of that group runs on it. */
function compareGroup(expr: Extract<Expression, { kind: 'compare' }>, host: HostView): boolean {
  switch (expr.operator) {
    case 'equals':
      return host.hasTaskGroup(expr.argument!);
    case 'not_equals':
      return !host.hasTaskGroup(expr.argument!);
    case 'in':
      return expr.list!.some((g) => host.hasTaskGroup(g));
    case 'not_in':
      return !expr.list!.some((g) => host.hasTaskGroup(g));
    default:
      // Checked at parse time by checkConstraints; unreachable for a checked expression.
      return false;
  }
}

const GROUP_OPERATORS: readonly Operator[] = ['equals', 'not_equals', 'in', 'not_in'];
const ORDERED_SUBJECTS = new Set(['agentVersion', 'registeredAt', 'runningTasksCount']);

/** Refuses operators ECS does not allow on a subject (for example `=~` on task:group). */
function checkOperators(expr: Expression): void {
  switch (expr.kind) {
    case 'and':
    case 'or':
      checkOperators(expr.left);
      checkOperators(expr.right);
      return;
    case 'not':
      checkOperators(expr.operand);
      return;
  }
  if (expr.subject === 'task:group' && !GROUP_OPERATORS.includes(expr.operator)) {
    throw new PlacementError(`operator ${expr.operator} is not valid for task:group (use ==, !=, in or not_in)`);
  }
  if (ORDERED_SUBJECTS.has(expr.subject) && ['in', 'not_in', 'matches', 'not_matches', 'exists', 'not_exists'].includes(expr.operator)) {
    throw new PlacementError(`operator ${expr.operator} is not valid for ${expr.subject} (use ==, !=, >, >=, <, <=)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks, as ECS makes them at CreateService, UpdateService and RunTask

/** A launch type as far as placement cares. */
export type PlacementLaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL' | 'MANAGED_INSTANCES';

/**
 * Checks placement constraints (the request's plus `fromTaskDefinition`) and strategies the way
 * ECS does; throws {@link PlacementError} with ECS's wording where ECS's is known. Returns the
 * parsed memberOf expressions (the request's and the task definition's), ready to evaluate.
 */
export function checkPlacementRules(
  launchType: PlacementLaunchType,
  constraints: readonly PlacementConstraintInput[],
  strategies: readonly PlacementStrategyInput[],
  fromTaskDefinition: readonly PlacementConstraintInput[] = [],
): Expression[] {
  if (constraints.length + fromTaskDefinition.length > MAX_PLACEMENT_CONSTRAINTS) {
    throw new PlacementError(
      `A task can have at most ${MAX_PLACEMENT_CONSTRAINTS} placement constraints, including those of its task definition; got ${constraints.length + fromTaskDefinition.length}.`,
    );
  }
  if (strategies.length > MAX_PLACEMENT_STRATEGIES) {
    throw new PlacementError(`You can specify at most ${MAX_PLACEMENT_STRATEGIES} placement strategy rules; got ${strategies.length}.`);
  }
  if (launchType === 'FARGATE') {
    // ECS: "If you're using the Fargate launch type, task placement constraints aren't supported"
    // (PlacementConstraint) and strategies likewise (PlacementStrategy).
    if (constraints.length > 0) throw new PlacementError('Task placement constraints are not supported with the FARGATE launch type.');
    if (strategies.length > 0) throw new PlacementError('Task placement strategies are not supported with the FARGATE launch type.');
  }
  const parsed: Expression[] = [];
  for (const c of [...constraints, ...fromTaskDefinition]) {
    if (!c.type) throw new PlacementError('A placement constraint must have a type (distinctInstance or memberOf).');
    if (c.type !== 'memberOf' && c.type !== 'distinctInstance') {
      throw new PlacementError(`Placement constraint type '${c.type}' is not valid; use distinctInstance or memberOf.`);
    }
    if (c.type === 'distinctInstance') {
      if (c.expression) throw new PlacementError('You cannot specify an expression for a distinctInstance placement constraint.');
      continue;
    }
    if (!c.expression) throw new PlacementError('A memberOf placement constraint must have an expression.');
    if (c.expression.length > MAX_EXPRESSION_LENGTH) {
      throw new PlacementError(`A placement constraint expression can be at most ${MAX_EXPRESSION_LENGTH} characters long; got ${c.expression.length}.`);
    }
    let expr: Expression;
    try {
      expr = parseExpression(c.expression);
      checkOperators(expr);
    } catch (err) {
      if (err instanceof PlacementError) throw new PlacementError(`Invalid memberOf placement constraint expression '${c.expression}': ${err.message}.`);
      throw err;
    }
    parsed.push(expr);
  }
  for (const s of strategies) {
    if (!s.type) throw new PlacementError('A placement strategy must have a type (random, spread or binpack).');
    if (s.type === 'binpack') {
      if (s.field !== 'cpu' && s.field !== 'memory') throw new PlacementError(`The binpack placement strategy takes the field cpu or memory; got '${s.field ?? ''}'.`);
    } else if (s.type === 'spread') {
      const f = s.field ?? '';
      const ok = f === 'instanceId' || f === 'host' || (f.startsWith('attribute:') && f.length > 'attribute:'.length);
      if (!ok) throw new PlacementError(`The spread placement strategy takes the field instanceId (or host) or attribute:NAME (for example attribute:ecs.availability-zone); got '${f}'.`);
    } else if (s.type === 'random') {
      if (s.field) throw new PlacementError('The random placement strategy takes no field.');
    } else {
      throw new PlacementError(`Placement strategy type '${s.type}' is not valid; use random, spread or binpack.`);
    }
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// What the host takes

/** Why the host takes no more tasks, in the words ECS reports ("encountered error ..."). */
export type Unsatisfied = 'MemberOf placement constraint unsatisfied.' | 'DistinctInstance placement constraint unsatisfied.';

/** What the host can hold of a task group under its constraints. */
export interface HostRoom {
  /** How many tasks of the group the host holds in total (live ones included); Infinity when unlimited. */
  holds: number;
  /** Set when a constraint limits the host: why. */
  unsatisfied?: Unsatisfied;
}

/**
 * How many tasks of one group (a service, or RunTask's group) Berth's host holds under the
 * constraints: 0 when a memberOf expression does not admit the host, 1 with distinctInstance
 * (each task of the group on a different instance), else unlimited. `expressions` are the parsed
 * memberOf expressions from {@link checkPlacementRules}.
 */
export function hostRoom(constraints: readonly PlacementConstraintInput[], expressions: readonly Expression[], host: HostView): HostRoom {
  if (!expressions.every((e) => evaluate(e, host))) return { holds: 0, unsatisfied: 'MemberOf placement constraint unsatisfied.' };
  if (constraints.some((c) => c.type === 'distinctInstance')) return { holds: 1, unsatisfied: 'DistinctInstance placement constraint unsatisfied.' };
  return { holds: Infinity };
}

/** A host view over plain values (tests, and callers that already know the counts). */
export function staticHost(attributes: readonly { name: string; value?: string }[], runningTasks = 0, groups: readonly string[] = []): HostView {
  return {
    attributes: new Map(attributes.map((a) => [a.name, a.value ?? ''])),
    runningTasksCount: () => runningTasks,
    hasTaskGroup: (g) => groups.includes(g),
  };
}
