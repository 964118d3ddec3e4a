import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlacementRules, evaluate, hostAttributes, hostRoom, parseExpression, PlacementError, staticHost } from './placement.js';

const host = staticHost(
  [...hostAttributes('eu-west-1', 'x64'), { name: 'stack', value: 'prod' }, { name: 'tier', value: '3' }, { name: 'flag' }],
  4,
  ['service:db', 'family:batch'],
);
const matches = (expression: string) => evaluate(parseExpression(expression), host);

describe('hostAttributes', () => {
  it('gives the documented Linux attributes with the machine architecture and the region zone', () => {
    assert.deepEqual(hostAttributes('us-east-2', 'arm64'), [
      { name: 'ecs.os-type', value: 'linux' },
      { name: 'ecs.os-family', value: 'LINUX' },
      { name: 'ecs.cpu-architecture', value: 'arm64' },
      { name: 'ecs.availability-zone', value: 'us-east-2a' },
    ]);
    assert.equal(hostAttributes('us-east-2', 'x64')[2].value, 'x86_64');
  });
});

describe('cluster query language: evaluation against the host', () => {
  const table: [string, boolean][] = [
    ['attribute:ecs.os-type == linux', true],
    ['attribute:ecs.os-type equals windows', false],
    ['attribute:ecs.os-type != windows', true],
    ['attribute:ecs.availability-zone in [eu-west-1a, eu-west-1b]', true],
    ['attribute:ecs.availability-zone not_in [eu-west-1a]', false],
    ['attribute:ecs.availability-zone !in [us-east-1a]', true],
    ['attribute:ecs.cpu-architecture =~ x86.*', true],
    ['attribute:ecs.cpu-architecture =~ x86', false], // a whole-value match, as Java's Pattern.matches
    ['attribute:ecs.cpu-architecture !~ arm.*', true],
    ['attribute:ecs.instance-type =~ t2.*', false], // the host is no EC2 instance: no instance type
    ['attribute:ecs.instance-type not_matches t2.*', true],
    ['attribute:stack exists', true],
    ['attribute:flag exists', true],
    ['attribute:missing exists', false],
    ['attribute:missing !exists', true],
    ['attribute:missing not_exists', true],
    ['attribute:missing == x', false],
    ['attribute:missing != x', true],
    ['attribute:tier > 2', true],
    ['attribute:tier >= 3', true],
    ['attribute:tier less_than 10', true], // numbers compare as numbers, not as text
    ['attribute:tier <= 2', false],
    ["attribute:stack == 'prod'", true],
    ['attribute:stack == prod and attribute:ecs.os-type == linux', true],
    ['attribute:stack == prod && attribute:ecs.os-type == windows', false],
    ['attribute:stack == dev or attribute:ecs.os-type == linux', true],
    ['attribute:stack == dev || attribute:ecs.os-type == windows', false],
    ['attribute:stack == dev or attribute:stack == prod and attribute:tier == 9', false], // and binds tighter
    ['(attribute:stack == dev or attribute:stack == prod) and attribute:tier == 3', true],
    ['not attribute:stack == prod', false],
    ['!(attribute:stack == dev)', true],
    ['not(attribute:stack == dev or attribute:tier == 3)', false],
    ['task:group == service:db', true],
    ['task:group != service:db', false],
    ['task:group in [service:web, family:batch]', true],
    ['not(task:group == service:web)', true],
    ['runningTasksCount < 5', true],
    ['runningTasksCount == 4', true],
    ['agentConnected == true', true],
    ['ec2InstanceId == i-123', false],
  ];
  for (const [expression, expected] of table) {
    it(`${expression} -> ${expected}`, () => assert.equal(matches(expression), expected));
  }
});

describe('cluster query language: malformed expressions are refused', () => {
  const table: [string, RegExp][] = [
    ['', /empty/],
    ['attribute:stack', /expected an operator/],
    ['attribute:stack ==', /expected an argument/],
    ['attribute:stack ~~ x', /expected an operator/],
    ['stack == prod', /unknown subject 'stack'/],
    ['attribute: == x', /expected an attribute name/],
    ['attribute:stack in prod', /argument list/],
    ['attribute:stack in [a b]', /expected ',' or '\]'/],
    ['attribute:stack in [a,', /expected a value/],
    ['(attribute:stack == prod', /expected '\)'/],
    ['attribute:stack == prod)', /unexpected text/],
    ['attribute:stack == prod and', /expected a subject/],
    ['attribute:stack == prod attribute:tier == 3', /unexpected text/],
    ['attribute:stack =~ (', /not a valid regular expression|expected an argument/],
    ["attribute:stack == 'prod", /unterminated/],
  ];
  for (const [expression, message] of table) {
    it(`'${expression}' -> ${message}`, () => assert.throws(() => parseExpression(expression), (e: unknown) => e instanceof PlacementError && message.test(e.message)));
  }
});

describe('checkPlacementRules', () => {
  const refused = (re: RegExp) => (e: unknown) => e instanceof PlacementError && re.test(e.message);
  const ok: [Parameters<typeof checkPlacementRules>[1], Parameters<typeof checkPlacementRules>[2]][] = [
    [[{ type: 'distinctInstance' }], []],
    [[{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }], [{ type: 'spread', field: 'attribute:ecs.availability-zone' }]],
    [[], [{ type: 'spread', field: 'instanceId' }, { type: 'spread', field: 'host' }, { type: 'binpack', field: 'memory' }, { type: 'binpack', field: 'cpu' }, { type: 'random' }]],
  ];
  for (const [c, s] of ok) {
    it(`accepts ${JSON.stringify([c, s])}`, () => {
      checkPlacementRules('EC2', c, s);
    });
  }

  const bad: [Parameters<typeof checkPlacementRules>[0], Parameters<typeof checkPlacementRules>[1], Parameters<typeof checkPlacementRules>[2], RegExp][] = [
    ['FARGATE', [{ type: 'distinctInstance' }], [], /constraints are not supported with the FARGATE launch type/],
    ['FARGATE', [], [{ type: 'random' }], /strategies are not supported with the FARGATE launch type/],
    ['EC2', Array(11).fill({ type: 'distinctInstance' }), [], /at most 10 placement constraints/],
    ['EC2', [], Array(6).fill({ type: 'random' }), /at most 5 placement strategy rules/],
    ['EC2', [{}], [], /must have a type/],
    ['EC2', [{ type: 'sameZone' }], [], /type 'sameZone' is not valid/],
    ['EC2', [{ type: 'distinctInstance', expression: 'attribute:a exists' }], [], /cannot specify an expression for a distinctInstance/],
    ['EC2', [{ type: 'memberOf' }], [], /must have an expression/],
    ['EC2', [{ type: 'memberOf', expression: 'attribute:a == ' + 'x'.repeat(2000) }], [], /at most 2000 characters/],
    ['EC2', [{ type: 'memberOf', expression: 'attribute:a = b' }], [], /Invalid memberOf placement constraint expression 'attribute:a = b': expected an operator/],
    ['EC2', [{ type: 'memberOf', expression: 'task:group =~ service:.*' }], [], /not valid for task:group/],
    ['EC2', [], [{ type: 'binpack', field: 'disk' }], /binpack placement strategy takes the field cpu or memory/],
    ['EC2', [], [{ type: 'spread' }], /spread placement strategy takes the field/],
    ['EC2', [], [{ type: 'spread', field: 'zone' }], /spread placement strategy takes the field/],
    ['EC2', [], [{ type: 'random', field: 'cpu' }], /random placement strategy takes no field/],
    ['EC2', [], [{ type: 'roundRobin' }], /type 'roundRobin' is not valid/],
    ['EC2', [{}], [], /must have a type/],
  ];
  for (const [launch, c, s, re] of bad) it(`refuses ${launch} ${JSON.stringify([c, s]).slice(0, 80)}`, () => assert.throws(() => checkPlacementRules(launch, c, s), refused(re)));

  it("counts and parses the task definition's constraints too", () => {
    assert.throws(() => checkPlacementRules('EC2', Array(6).fill({ type: 'distinctInstance' }), [], Array(5).fill({ type: 'memberOf', expression: 'attribute:a exists' })), refused(/got 11/));
    assert.throws(() => checkPlacementRules('EC2', [], [], [{ type: 'memberOf', expression: 'nope' }]), refused(/Invalid memberOf/));
    assert.equal(checkPlacementRules('EC2', [{ type: 'memberOf', expression: 'attribute:a exists' }], [], [{ type: 'memberOf', expression: 'attribute:b exists' }]).length, 2);
  });
});

describe('hostRoom', () => {
  const room = (constraints: Parameters<typeof checkPlacementRules>[1]) => hostRoom(constraints, checkPlacementRules('EC2', constraints, []), host);
  const table: [Parameters<typeof checkPlacementRules>[1], number, string | undefined][] = [
    [[], Infinity, undefined],
    [[{ type: 'distinctInstance' }], 1, 'DistinctInstance placement constraint unsatisfied.'],
    [[{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }], Infinity, undefined],
    [[{ type: 'memberOf', expression: 'attribute:ecs.os-type == windows' }], 0, 'MemberOf placement constraint unsatisfied.'],
    [[{ type: 'memberOf', expression: 'attribute:ecs.os-type == windows' }, { type: 'distinctInstance' }], 0, 'MemberOf placement constraint unsatisfied.'],
    [[{ type: 'memberOf', expression: 'attribute:stack == prod' }, { type: 'distinctInstance' }], 1, 'DistinctInstance placement constraint unsatisfied.'],
  ];
  for (const [constraints, holds, why] of table) {
    it(`${JSON.stringify(constraints)} -> ${holds}`, () => {
      const r = room(constraints);
      assert.equal(r.holds, holds);
      assert.equal(r.unsatisfied, why);
    });
  }
});
