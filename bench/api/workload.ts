/**
 * The calls the benchmark makes, identical for every target: a realistic Fargate task
 * definition (the one from issue 2), a family with a few hundred revisions to list and
 * describe, and a smoke workload on clusters.
 */
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListClustersCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { runAll, type Call } from './load.js';
import { tutorialTaskDefinition } from '../../test/fixtures/task-definitions.js';

export { benchClient, type TargetEndpoint } from '../shared/ecs-client.js';

/** The task definition of issue 2 (a real ECS tutorial's, placeholders filled), in a given family. */
export function taskDefinition(family: string): RegisterTaskDefinitionCommandInput {
  return tutorialTaskDefinition(family);
}

/** One measured operation. */
export interface BenchOperation {
  /** The AWS operation name, as printed. */
  name: string;
  /** True for calls that write (the ones BERTH_SYNC affects). */
  writes: boolean;
  call: Call;
  /** A short description of the call, for the report. */
  shape: string;
}

/** A workload: seeds a target, then offers its operations (measured reads first, writes last). */
export interface Workload {
  /** Prepares the state the operations read; returns notes for the report. */
  seed(client: ECSClient, concurrency: number): Promise<void>;
  /** Checks one call of each operation answers what it should; returns a line per check. */
  verify(client: ECSClient): Promise<string[]>;
  operations(client: ECSClient): BenchOperation[];
}

/** Families that only make the account realistic (ListTaskDefinitions must filter them out). */
const OTHER_FAMILIES = ['bench-web', 'bench-worker', 'bench-cron', 'bench-admin'];
const OTHER_REVISIONS = 25;

/** RegisterTaskDefinition, DescribeTaskDefinition and ListTaskDefinitions over a family with `revisions` revisions. */
export function taskDefinitionWorkload(revisions: number): Workload {
  const listed = 'bench-list';
  const registered = 'bench-register';
  return {
    async seed(client, concurrency) {
      const register = (family: string) => () => client.send(new RegisterTaskDefinitionCommand(taskDefinition(family)));
      await runAll(register(listed), revisions, concurrency);
      for (const f of OTHER_FAMILIES) await runAll(register(f), OTHER_REVISIONS, concurrency);
    },
    async verify(client) {
      const mid = Math.ceil(revisions / 2);
      const d = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${listed}:${mid}` }));
      const td = d.taskDefinition;
      const want = taskDefinition(listed).containerDefinitions![0];
      const got = td?.containerDefinitions?.[0];
      if (td?.revision !== mid || got?.secrets?.[0]?.name !== want.secrets![0].name || got?.logConfiguration?.logDriver !== 'awslogs') {
        throw new Error(`DescribeTaskDefinition ${listed}:${mid} answered ${JSON.stringify(td)}`);
      }
      const l = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: listed }));
      const arns = l.taskDefinitionArns ?? [];
      if (arns.length === 0 || arns.some((a) => !a.includes(`:task-definition/${listed}:`))) {
        throw new Error(`ListTaskDefinitions --family-prefix ${listed} answered ${JSON.stringify(arns.slice(0, 5))}...`);
      }
      return [
        `DescribeTaskDefinition ${listed}:${mid}: ${JSON.stringify(td).length} bytes of taskDefinition`,
        `ListTaskDefinitions --family-prefix ${listed}: ${arns.length} ARNs in the first page${l.nextToken ? ' (+ nextToken)' : ', no nextToken'}`,
      ];
    },
    operations(client) {
      return [
        {
          name: 'DescribeTaskDefinition',
          writes: false,
          shape: `taskDefinition ${listed}:<1..${revisions}, round robin>`,
          call: (i) => client.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${listed}:${1 + (i % revisions)}` })),
        },
        {
          name: 'ListTaskDefinitions',
          writes: false,
          shape: `familyPrefix ${listed} (${revisions} revisions; ${OTHER_FAMILIES.length * OTHER_REVISIONS} in other families), first page`,
          call: () => client.send(new ListTaskDefinitionsCommand({ familyPrefix: listed })),
        },
        {
          name: 'RegisterTaskDefinition',
          writes: true,
          shape: `issue 2's Fargate awsvpc definition, family ${registered} (a new revision per call)`,
          call: () => client.send(new RegisterTaskDefinitionCommand(taskDefinition(registered))),
        },
      ];
    },
  };
}

/** CreateCluster, DescribeClusters, ListClusters: a smoke workload for the harness itself. */
export function clusterWorkload(): Workload {
  const seeded = 50;
  return {
    async seed(client, concurrency) {
      await runAll((i) => client.send(new CreateClusterCommand({ clusterName: `bench-seed-${i}` })), seeded, concurrency);
    },
    async verify(client) {
      const d = await client.send(new DescribeClustersCommand({ clusters: ['bench-seed-7'] }));
      if (d.clusters?.[0]?.clusterName !== 'bench-seed-7') throw new Error(`DescribeClusters answered ${JSON.stringify(d)}`);
      const l = await client.send(new ListClustersCommand({}));
      return [`ListClusters: ${l.clusterArns?.length ?? 0} ARNs in the first page`];
    },
    operations(client) {
      return [
        {
          name: 'DescribeClusters',
          writes: false,
          shape: 'one seeded cluster by name',
          call: (i) => client.send(new DescribeClustersCommand({ clusters: [`bench-seed-${i % seeded}`] })),
        },
        { name: 'ListClusters', writes: false, shape: `${seeded} clusters, first page`, call: () => client.send(new ListClustersCommand({})) },
        {
          name: 'CreateCluster',
          writes: true,
          shape: 'a new cluster per call',
          call: (i) => client.send(new CreateClusterCommand({ clusterName: `bench-new-${process.pid}-${Date.now()}-${i}` })),
        },
      ];
    },
  };
}
