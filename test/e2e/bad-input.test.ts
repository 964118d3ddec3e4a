/**
 * Bad input for every ECS operation of issue 2, sent as raw signed HTTP: each case is derived
 * from the ECS model (member types, enums, required members), so it holds for operations Berth
 * has not built yet too: api/ refuses such input before any operation runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadServiceModel, type ServiceModel, type Shape } from '../../src/model/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { callEcs, health, type RawResponse } from '../fixtures/sign.js';

/** The ECS operations of issue 2. */
const OPERATIONS = [
  'CreateCluster', 'DescribeClusters', 'ListClusters', 'UpdateCluster', 'UpdateClusterSettings', 'DeleteCluster',
  'RegisterTaskDefinition', 'DescribeTaskDefinition', 'ListTaskDefinitions', 'ListTaskDefinitionFamilies',
  'DeregisterTaskDefinition', 'DeleteTaskDefinitions',
  'TagResource', 'UntagResource', 'ListTagsForResource',
  'CreateService', 'DescribeServices', 'ListServices', 'UpdateService', 'DeleteService',
  'RunTask', 'StartTask', 'StopTask', 'DescribeTasks', 'ListTasks',
] as const;

const model: ServiceModel = loadServiceModel('ecs');

function inputShape(operation: string): Shape {
  return model.shapes[model.operations[operation].input!.shape];
}

/** The first top-level member of the input whose shape has one of `types` (and no enum). */
function memberOfType(operation: string, types: Shape['type'][]): string | undefined {
  const members = inputShape(operation).members ?? {};
  return Object.keys(members).find((name) => {
    const s = model.shapes[members[name].shape];
    return types.includes(s.type) && !s.enum;
  });
}

/**
 * The shallowest enum-typed value reachable in the input (through structures and lists), as
 * an input that holds an unknown value there, and the Coral path of that value.
 */
function enumCase(operation: string): { input: unknown; path: string } | undefined {
  type Node = { shape: string; path: string; wrap: (v: unknown) => unknown };
  let frontier: Node[] = [{ shape: model.operations[operation].input!.shape, path: '', wrap: (v) => v }];
  for (let depth = 0; depth < 4 && frontier.length; depth++) {
    const next: Node[] = [];
    for (const node of frontier) {
      const s = model.shapes[node.shape];
      if (s.type === 'string' && s.enum) return { input: node.wrap('NOT_A_REAL_VALUE'), path: node.path };
      if (s.type === 'structure') {
        for (const [name, ref] of Object.entries(s.members ?? {})) {
          next.push({ shape: ref.shape, path: node.path ? `${node.path}.${name}` : name, wrap: (v) => node.wrap({ [name]: v }) });
        }
      } else if (s.type === 'list') {
        next.push({ shape: s.member!.shape, path: `${node.path}.1.member`, wrap: (v) => node.wrap([v]) });
      }
    }
    frontier = next;
  }
  return undefined;
}

function assertError(res: RawResponse, code: string, ...mentions: string[]): void {
  assert.equal(res.status, 400, res.body);
  assert.equal(res.headers['x-amzn-errortype'], code, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['__type', 'message']);
  assert.equal(body.__type, code);
  for (const m of mentions) assert.ok(body.message.includes(m), `message names ${m}: ${body.message}`);
}

describe('bad input to every ECS operation', () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => berth.cleanup());

  it('the list of operations is the model\'s', () => {
    for (const op of OPERATIONS) assert.ok(model.operations[op]?.input, `${op} is modelled with an input`);
  });

  for (const op of OPERATIONS) {
    describe(op, () => {
      it('malformed JSON -> SerializationException', async () => {
        for (const body of ['{"cluster":', '{cluster: 1}', '\u0000\u0001', '{"a":1}}']) {
          assertError(await callEcs(berth.endpoint, op, body), 'SerializationException');
        }
      });

      it('a body that is not a JSON object -> SerializationException', async () => {
        for (const body of ['[]', '[{}]', '"text"', '42', 'true', 'null']) {
          assertError(await callEcs(berth.endpoint, op, body), 'SerializationException', 'object');
        }
      });

      const str = memberOfType(op, ['string']);
      const int = memberOfType(op, ['integer', 'long']);
      const list = memberOfType(op, ['list']);
      const struct = memberOfType(op, ['structure']);
      it(`wrong member types -> SerializationException naming the member (${[str, int, list, struct].filter(Boolean).join(', ')})`, async () => {
        assert.ok(str || int || list || struct, `${op} has a member to mistype`);
        if (str) {
          assertError(await callEcs(berth.endpoint, op, { [str]: 12345 }), 'SerializationException', `'${str}'`, 'String');
          assertError(await callEcs(berth.endpoint, op, { [str]: ['a'] }), 'SerializationException', `'${str}'`);
        }
        if (int) {
          assertError(await callEcs(berth.endpoint, op, { [int]: 'ten' }), 'SerializationException', `'${int}'`, 'Integer');
          assertError(await callEcs(berth.endpoint, op, { [int]: 1.5 }), 'SerializationException', `'${int}'`);
        }
        if (list) assertError(await callEcs(berth.endpoint, op, { [list]: { not: 'a list' } }), 'SerializationException', `'${list}'`);
        if (struct) assertError(await callEcs(berth.endpoint, op, { [struct]: 'not an object' }), 'SerializationException', `'${struct}'`);
      });

      const en = enumCase(op);
      if (en) {
        it(`unknown enum value at '${en.path}' -> InvalidParameterException`, async () => {
          const res = await callEcs(berth.endpoint, op, en.input as object);
          assertError(res, 'InvalidParameterException', `'NOT_A_REAL_VALUE' at '${en.path}'`, 'Member must satisfy enum value set: [');
          assert.match(res.json().message, /^\d+ validation errors? detected: /);
        });
      }

      const required = inputShape(op).required ?? [];
      if (required.length) {
        it(`missing required members (${required.join(', ')}) -> InvalidParameterException naming each`, async () => {
          for (const body of ['{}', '', JSON.stringify(Object.fromEntries(required.map((r) => [r, null])))]) {
            const res = await callEcs(berth.endpoint, op, body);
            assertError(res, 'InvalidParameterException', ...required.map((r) => `Value null at '${r}' failed to satisfy constraint: Member must not be null`));
            const n = required.length;
            assert.ok(res.json().message.startsWith(`${n} validation error${n === 1 ? '' : 's'} detected: `), res.json().message);
          }
        });
      }
    });
  }

  describe('over-long names', () => {
    const long = 'n'.repeat(256);
    it('CreateCluster with a 256-character clusterName -> InvalidParameterException', async () => {
      assertError(await callEcs(berth.endpoint, 'CreateCluster', { clusterName: long }), 'InvalidParameterException', '255');
      assertError(await callEcs(berth.endpoint, 'CreateCluster', { clusterName: 'n'.repeat(100_000) }), 'InvalidParameterException');
    });
    it('RegisterTaskDefinition with a 256-character family -> ClientException', async () => {
      const res = await callEcs(berth.endpoint, 'RegisterTaskDefinition', { family: long, containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }] });
      assertError(res, 'ClientException', '255');
      const res2 = await callEcs(berth.endpoint, 'RegisterTaskDefinition', { family: 'ok', containerDefinitions: [{ name: long, image: 'nginx', memory: 128 }] });
      assertError(res2, 'ClientException', '255');
    });
    it('CreateService with a 256-character serviceName -> InvalidParameterException', async () => {
      assert.equal((await callEcs(berth.endpoint, 'CreateCluster', { clusterName: 'svc-host' })).status, 200);
      const td = await callEcs(berth.endpoint, 'RegisterTaskDefinition', { family: 'svc', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }] });
      assert.equal(td.status, 200, td.body);
      const res = await callEcs(berth.endpoint, 'CreateService', { cluster: 'svc-host', serviceName: long, taskDefinition: 'svc:1', desiredCount: 1 });
      assertError(res, 'InvalidParameterException', '255');
    });
    it('nothing over-long was stored', async () => {
      const clusters = (await callEcs(berth.endpoint, 'ListClusters', {})).json();
      assert.ok(!JSON.stringify(clusters).includes(long));
      const families = (await callEcs(berth.endpoint, 'ListTaskDefinitionFamilies', {})).json();
      assert.ok(!JSON.stringify(families).includes(long));
    });
  });

  it('an oversized body is refused and Berth stays up', async () => {
    const res = await callEcs(berth.endpoint, 'CreateCluster', JSON.stringify({ clusterName: 'big', tags: [{ key: 'k', value: 'v'.repeat(17 * 1024 * 1024) }] }));
    assert.equal(res.status, 413);
    assert.equal(res.headers['x-amzn-errortype'], 'RequestEntityTooLarge');
  });

  it('Berth is still up and serving after all of it', async () => {
    const h = await health(berth.endpoint);
    assert.equal(h.status, 200);
    assert.deepEqual(h.json(), { status: 'ok' });
    const created = await callEcs(berth.endpoint, 'CreateCluster', { clusterName: 'after-the-storm' });
    assert.equal(created.status, 200, created.body);
    const list = await callEcs(berth.endpoint, 'ListClusters', {});
    assert.equal(list.status, 200);
    assert.ok(list.json().clusterArns.some((a: string) => a.endsWith('/after-the-storm')));
    assert.ok(!/InternalFailure|TypeError|stack/i.test(berth.output()), `no internal failures were logged:\n${berth.output()}`);
  });
});
