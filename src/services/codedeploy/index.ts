/**
 * AWS CodeDeploy: blue/green ECS deployments — applications, deployment configurations,
 * deployment groups, tags, and the deployment API (deployments.ts), whose records the deployment
 * engine drives; README.md says how they are stored and driven.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { applicationOperations } from './applications.js';
import type { ArnScope } from './arns.js';
import type { CodeDeployDeps, CodeDeployPeers } from './deps.js';
import { deploymentConfigOperations } from './deployment-configs.js';
import { deploymentGroupOperations } from './deployment-groups.js';
import { deploymentOperations } from './deployments.js';
import { validationError } from './errors.js';
import { storePeers } from './peers.js';
import { Records } from './records.js';
import { codedeployMigrations } from './schema.js';
import { tagOperations } from './tags.js';

export type { CodeDeployDeps, CodeDeployPeers, PeerTaskSet } from './deps.js';
export { parseAppSpec } from './appspec.js';
export { codedeployMigrations } from './schema.js';
export { PREDEFINED_CONFIGS, DEFAULT_ECS_CONFIG } from './predefined.js';
export type { ApplicationRecord, DeploymentConfigRecord, DeploymentGroupRecord, TrafficRoutingConfig } from './records.js';

/** Options for {@link createCodeDeployService}. */
export interface CodeDeployOptions {
  store: Store;
  scope: ArnScope;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** What CodeDeploy reads of ECS and ELBv2; defaults to their tables in `store`. */
  peers?: CodeDeployPeers;
  /** Called after CreateDeployment, StopDeployment, ContinueDeployment or a hook's report committed (wakes the deployment engine). */
  onDeploymentChange?: () => void;
  /** Random bytes for deployment ids; defaults to crypto.randomBytes. */
  random?: (n: number) => Buffer;
}

/** Migrates the CodeDeploy tables and builds the CodeDeploy service for api/. */
export function createCodeDeployService(opts: CodeDeployOptions): ServiceDefinition {
  opts.store.migrate('codedeploy', codedeployMigrations);
  const deps: CodeDeployDeps = {
    store: opts.store,
    records: new Records(opts.store),
    tags: new TagStore(opts.store),
    scope: opts.scope,
    now: opts.now ?? (() => new Date()),
    peers: opts.peers ?? storePeers(opts.store, opts.scope),
    onDeploymentChange: opts.onDeploymentChange,
    random: opts.random ?? randomBytes,
  };
  return {
    model: loadServiceModel('codedeploy'),
    operations: {
      ...applicationOperations(deps),
      ...deploymentConfigOperations(deps),
      ...deploymentGroupOperations(deps),
      ...deploymentOperations(deps),
      ...tagOperations(deps),
    },
    validationError,
    isReadOnly: (operation) => operation.startsWith('Get') || operation.startsWith('List') || operation.startsWith('BatchGet'),
    unsupportedCode: 'UnsupportedOperation',
  };
}
