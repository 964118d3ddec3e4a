/** What every CodeDeploy operation module is built from, and the doors into ECS and ELBv2 it reads through. */
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';
import type { Records } from './records.js';

/** An ECS service as a deployment group checks it. */
export interface PeerEcsService {
  arn: string;
  status: string;
  deploymentControllerType: string;
  /** The target groups of the service's `loadBalancers`. */
  targetGroupArns: string[];
}

/** What CodeDeploy reads of ECS and ELBv2 (peers.ts reads them from the same store). */
export interface CodeDeployPeers {
  /** The service `serviceName` in the cluster `clusterName`; undefined when either does not exist. */
  ecsService(clusterName: string, serviceName: string): PeerEcsService | undefined;
  /** The ELBv2 target group named `name`. */
  targetGroupByName(name: string): { arn: string; name: string } | undefined;
  /** The ELBv2 listener `arn`. */
  listener(arn: string): { arn: string; loadBalancerArn: string } | undefined;
  /** The service's PRIMARY task set (what serves production when a deployment starts); undefined when there is none. */
  ecsPrimaryTaskSet(clusterName: string, serviceName: string): { id: string; taskSetArn: string; taskDefinition: string; targetGroupArns: string[] } | undefined;
  /** The service's task sets with their live task counts (empty when the service is gone). */
  ecsTaskSets(clusterName: string, serviceName: string): PeerTaskSet[];
}

/** A task set as the deployment target shows it. */
export interface PeerTaskSet {
  id: string;
  status: string;
  computedDesiredCount: number;
  runningCount: number;
  pendingCount: number;
}

/** Shared dependencies of the CodeDeploy operations. */
export interface CodeDeployDeps {
  store: Store;
  records: Records;
  tags: TagStore;
  /** The account and region ARNs are minted in. */
  scope: ArnScope;
  /** The clock (tests may pin it). */
  now(): Date;
  peers: CodeDeployPeers;
  /** Called after a change the deployment engine acts on (CreateDeployment, Stop, Continue, a hook's report): wakes it. */
  onDeploymentChange?: () => void;
  /** Random bytes for deployment ids (tests may pin them). */
  random: (n: number) => Buffer;
}
