/** What every ECS operation module is built from. */
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';
import type { TargetGroupLookup } from './load-balancers.js';

/** Shared dependencies of the ECS operations. */
export interface EcsDeps {
  store: Store;
  tags: TagStore;
  /** The account and region ARNs are minted in. */
  scope: ArnScope;
  /** The clock (tests may pin it). */
  now(): Date;
  /** Called after a task is created or asked to stop, so the task agent looks at it now. */
  onTaskChange?: () => void;
  /** Called after CreateService, UpdateService or DeleteService, with the service, so the service scheduler looks at it now. */
  onServiceChange?: (service: { clusterArn: string; serviceName: string }) => void;
  /** ELBv2's target groups, for a service's `loadBalancers` (load-balancers.ts); absent: not checked. */
  targetGroups?: TargetGroupLookup;
}
