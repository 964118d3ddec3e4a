/**
 * AWS CodeDeploy: the control plane of blue/green ECS deployments (applications, deployment
 * configurations, deployment groups, tags). Deployments themselves are not built yet and answer
 * `UnsupportedOperation`; README.md says how they will be stored and driven.
 */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { applicationOperations } from './applications.js';
import type { ArnScope } from './arns.js';
import type { CodeDeployDeps, CodeDeployPeers } from './deps.js';
import { deploymentConfigOperations } from './deployment-configs.js';
import { deploymentGroupOperations } from './deployment-groups.js';
import { validationError } from './errors.js';
import { storePeers } from './peers.js';
import { Records } from './records.js';
import { codedeployMigrations } from './schema.js';
import { tagOperations } from './tags.js';

export type { CodeDeployDeps, CodeDeployPeers } from './deps.js';
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
  };
  return {
    model: loadServiceModel('codedeploy'),
    operations: {
      ...applicationOperations(deps),
      ...deploymentConfigOperations(deps),
      ...deploymentGroupOperations(deps),
      ...tagOperations(deps),
    },
    validationError,
    isReadOnly: (operation) => operation.startsWith('Get') || operation.startsWith('List') || operation.startsWith('BatchGet'),
    unsupportedCode: 'UnsupportedOperation',
  };
}
