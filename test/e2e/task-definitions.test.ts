import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const web = (family: string, over: Partial<RegisterTaskDefinitionCommandInput> = {}): RegisterTaskDefinitionCommandInput => ({
  family,
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27', memory: 128, portMappings: [{ containerPort: 80 }] }],
  ...over,
});

describe('ECS task definitions through @aws-sdk/client-ecs', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  before(async () => {
    berth = await startBerthProcess();
    ecs = berth.ecs();
  });
  after(async () => berth.cleanup());

  it('registers a Fargate definition and describes it by family, family:revision and ARN', async () => {
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'shop',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '0.5 vCPU',
        memory: '1 GB',
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
        containerDefinitions: [
          {
            name: 'app',
            image: 'public.ecr.aws/nginx/nginx:1.27',
            portMappings: [{ containerPort: 8080, name: 'http', appProtocol: 'http' }],
            environment: [{ name: 'MODE', value: 'prod' }],
            healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/ || exit 1'], retries: 5 },
            dockerLabels: { team: 'shop' },
          },
        ],
        tags: [{ key: 'env', value: 'dev' }],
      }),
    );
    const td = registered.taskDefinition!;
    assert.match(td.taskDefinitionArn!, /^arn:aws:ecs:us-east-1:\d{12}:task-definition\/shop:1$/);
    assert.equal(td.revision, 1);
    assert.equal(td.status, 'ACTIVE');
    assert.equal(td.cpu, '512');
    assert.equal(td.memory, '1024');
    assert.deepEqual(td.compatibilities, ['EC2', 'FARGATE']);
    assert.ok(td.registeredAt instanceof Date);
    assert.match(td.registeredBy!, /^arn:aws:iam::\d{12}:root$/);
    assert.ok(td.requiresAttributes!.some((a) => a.name === 'ecs.capability.task-eni'));
    const app = td.containerDefinitions![0];
    assert.deepEqual(app.portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }]);
    assert.deepEqual(app.healthCheck, { command: ['CMD-SHELL', 'curl -f http://localhost:8080/ || exit 1'], interval: 30, timeout: 5, retries: 5 });
    assert.deepEqual(app.dockerLabels, { team: 'shop' });
    assert.equal(app.essential, true);
    assert.deepEqual(registered.tags, [{ key: 'env', value: 'dev' }]);

    for (const ref of ['shop', 'shop:1', td.taskDefinitionArn!]) {
      const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      assert.deepEqual(described.taskDefinition, td, `describe ${ref}`);
      assert.equal(described.tags, undefined, 'tags only with include TAGS');
    }
    const withTags = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop', include: ['TAGS'] }));
    assert.deepEqual(withTags.tags, [{ key: 'env', value: 'dev' }]);
  });

  it('tags a task definition ARN with TagResource and reads them back', async () => {
    const { taskDefinition } = await ecs.send(new RegisterTaskDefinitionCommand(web('tagged')));
    const arn = taskDefinition!.taskDefinitionArn!;
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'owner', value: 'ops' }, { key: 'tier', value: 'web' }] }));
    await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['tier'] }));
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ key: 'owner', value: 'ops' }]);
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    assert.deepEqual(described.tags, [{ key: 'owner', value: 'ops' }]);
  });

  it('numbers revisions per family, contiguously, and never reuses one after delete', async () => {
    const arns: string[] = [];
    for (let i = 0; i < 3; i++) arns.push((await ecs.send(new RegisterTaskDefinitionCommand(web('counter')))).taskDefinition!.taskDefinitionArn!);
    assert.deepEqual(arns.map((a) => a.split(':').pop()), ['1', '2', '3']);
    assert.equal((await ecs.send(new RegisterTaskDefinitionCommand(web('other')))).taskDefinition!.revision, 1);

    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'counter:3' }));
    const deleted = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['counter:3'] }));
    assert.equal(deleted.taskDefinitions![0].status, 'DELETE_IN_PROGRESS');
    const next = await ecs.send(new RegisterTaskDefinitionCommand(web('counter')));
    assert.equal(next.taskDefinition!.revision, 4);
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'counter' }));
    assert.equal(latest.taskDefinition!.revision, 4);
  });

  it('deregisters (ACTIVE -> INACTIVE) and deletes (INACTIVE -> DELETE_IN_PROGRESS) with AWS failures', async () => {
    await ecs.send(new RegisterTaskDefinitionCommand(web('life')));
    await ecs.send(new RegisterTaskDefinitionCommand(web('life')));
    await assert.rejects(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'life' })), { name: 'ClientException' });
    await assert.rejects(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'life:9' })), { name: 'ClientException' });

    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'life:2' }));
    assert.equal(dereg.taskDefinition!.status, 'INACTIVE');
    assert.ok(dereg.taskDefinition!.deregisteredAt instanceof Date);
    const again = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'life:2' }));
    assert.deepEqual(again.taskDefinition!.deregisteredAt, dereg.taskDefinition!.deregisteredAt, 'deregistering an INACTIVE revision changes nothing');
    assert.equal((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life' }))).taskDefinition!.revision, 1, 'a bare family names the latest ACTIVE revision');

    const arn1 = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life:1' }))).taskDefinition!.taskDefinitionArn!;
    const del = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['life:2', arn1, 'life:7', 'life'] }));
    assert.deepEqual(del.taskDefinitions!.map((t) => [t.revision, t.status]), [[2, 'DELETE_IN_PROGRESS']]);
    assert.ok(del.taskDefinitions![0].deleteRequestedAt instanceof Date);
    assert.deepEqual(del.failures!.map((f) => f.arn), [arn1, arn1.replace(/:1$/, ':7'), 'life']);
    assert.match(del.failures![0].reason!, /still in ACTIVE status/);
    assert.match(del.failures![1].reason!, /does not exist/);
    assert.match(del.failures![2].reason!, /does not have a revision/);

    const deleting = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life:2' }));
    assert.equal(deleting.taskDefinition!.status, 'DELETE_IN_PROGRESS', 'a revision being deleted is still describable');
    await assert.rejects(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'life:2' })), { name: 'ClientException' });
    await assert.rejects(ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: Array.from({ length: 11 }, (_, i) => `life:${i + 1}`) })), {
      name: 'InvalidParameterException',
    });
    await assert.rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'never' })), { name: 'ClientException', message: 'Unable to describe task definition.' });
  });

  it('lists task definitions by family and status, sorted, with paging', async () => {
    for (const f of ['zeta', 'alpha', 'alpha', 'alpha-two']) await ecs.send(new RegisterTaskDefinitionCommand(web(f)));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'alpha:1' }));
    const tail = (arns: string[] | undefined) => arns!.map((a) => a.split('/')[1]);

    const alpha = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'alpha' }));
    assert.deepEqual(tail(alpha.taskDefinitionArns), ['alpha:2'], 'familyPrefix is the exact family; ACTIVE by default');
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'alpha', status: 'INACTIVE' }));
    assert.deepEqual(tail(inactive.taskDefinitionArns), ['alpha:1']);

    const all: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 2, nextToken }));
      assert.ok(page.taskDefinitionArns!.length <= 2);
      all.push(...tail(page.taskDefinitionArns));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.ok(pages > 1);
    const sorted = [...all].sort((a, b) => {
      const [fa, ra] = a.split(':');
      const [fb, rb] = b.split(':');
      return fa < fb ? -1 : fa > fb ? 1 : Number(ra) - Number(rb);
    });
    assert.deepEqual(all, sorted, 'ASC: family, then revision');
    assert.ok(all.includes('zeta:1') && all.includes('alpha-two:1') && !all.includes('alpha:1'));

    const desc = await ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC' }));
    assert.deepEqual(tail(desc.taskDefinitionArns), [...all].reverse());

    await assert.rejects(ecs.send(new ListTaskDefinitionsCommand({ maxResults: 101 })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new ListTaskDefinitionsCommand({ status: 'GONE' as never })), { name: 'InvalidParameterException' });
    const first = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
    await assert.rejects(ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1, status: 'INACTIVE', nextToken: first.nextToken })), {
      name: 'InvalidParameterException',
    });
  });

  it('lists task definition families by prefix and status, with paging', async () => {
    for (const f of ['fam-a', 'fam-b', 'fam-c']) await ecs.send(new RegisterTaskDefinitionCommand(web(f)));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam-b:1' }));

    const active = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam-', status: 'ACTIVE' }));
    assert.deepEqual(active.families, ['fam-a', 'fam-c']);
    const inactive = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam-', status: 'INACTIVE' }));
    assert.deepEqual(inactive.families, ['fam-b']);
    const both = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam' }));
    assert.deepEqual(both.families, ['fam-a', 'fam-b', 'fam-c'], 'both ACTIVE and INACTIVE families by default');

    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam-', status: 'ALL', maxResults: 2, nextToken }));
      paged.push(...page.families!);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(paged, ['fam-a', 'fam-b', 'fam-c']);
  });

  it('refuses invalid definitions with AWS error codes and leaves nothing behind', async () => {
    await assert.rejects(
      ecs.send(new RegisterTaskDefinitionCommand({ ...web('bad'), requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '4096' })),
      { name: 'ClientException', message: /No Fargate configuration exists for given values: 256 CPU, 4096 memory/ },
    );
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [{ name: 'c', image: 'i' }] })), {
      name: 'ClientException',
      message: "Invalid setting for container 'c'. At least one of 'memory' or 'memoryReservation' must be specified.",
    });
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad family', containerDefinitions: [{ name: 'c', image: 'i', memory: 64 }] })), {
      name: 'ClientException',
    });
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: undefined as never })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand({ ...web('bad'), tags: [{ key: 'aws:x', value: 'y' }] })), { name: 'InvalidParameterException' });
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'bad', status: 'ALL' }));
    assert.deepEqual(families.families, []);
    assert.equal((await ecs.send(new RegisterTaskDefinitionCommand(web('bad')))).taskDefinition!.revision, 1, 'refused registrations use up no revision');
  });
});
