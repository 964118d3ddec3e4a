/**
 * The checks every operation makes of a namespace, resource ID and dimension: Berth scales ECS
 * services only, named `service/CLUSTER/SERVICE` with the dimension `ecs:service:DesiredCount`.
 * And the paging the Describe calls share.
 */
import { paginate } from '../../pagination/index.js';
import { aasError, validationError } from './errors.js';
import type { TargetKey } from './records.js';

export const ECS_DIMENSION = 'ecs:service:DesiredCount';

/** Throws unless `namespace` is `ecs`. */
export function checkNamespace(namespace: string): void {
  if (namespace !== 'ecs') {
    throw validationError(`Berth scales ECS services only: ServiceNamespace must be ecs (with ScalableDimension ${ECS_DIMENSION}); got ${namespace}.`);
  }
}

/** Throws unless the dimension is ECS's. */
export function checkDimension(dimension: string | undefined): void {
  if (dimension !== undefined && dimension !== ECS_DIMENSION) {
    throw validationError(`Unsupported service namespace, resource type or scalable dimension: ScalableDimension ${dimension} does not belong to namespace ecs (use ${ECS_DIMENSION}).`);
  }
}

/** Describe filters: AWS takes a scalable dimension only together with a resource ID. */
export function checkFilter(dimension: string | undefined, resourceIds: readonly string[] | string | undefined): void {
  checkDimension(dimension);
  const none = resourceIds === undefined || resourceIds.length === 0;
  if (dimension !== undefined && none) throw validationError('If you specify a scalable dimension, you must also specify a resource ID.');
}

/** The cluster and service names of `service/CLUSTER/SERVICE`. */
export function parseResourceId(resourceId: string): { cluster: string; service: string } {
  const m = /^service\/([^/]+)\/([^/]+)$/.exec(resourceId);
  if (!m) throw validationError(`Unsupported resource ID ${resourceId}: an ECS service's resource ID is service/CLUSTER_NAME/SERVICE_NAME.`);
  return { cluster: m[1], service: m[2] };
}

/** Checks a full target key; answers the cluster and service it names. */
export function checkKey(k: TargetKey): { cluster: string; service: string } {
  checkNamespace(k.ServiceNamespace);
  checkDimension(k.ScalableDimension);
  return parseResourceId(k.ResourceId);
}

/** Application Auto Scaling's Describe page size and its largest MaxResults. */
export const MAX_RESULTS = 50;

/** One page of a Describe call. */
export function page<T>(items: readonly T[], input: { MaxResults?: number; NextToken?: string }, scope: string): { items: T[]; nextToken?: string } {
  if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > MAX_RESULTS)) {
    throw validationError(`MaxResults must be between 1 and ${MAX_RESULTS}; got ${input.MaxResults}.`);
  }
  return paginate(items, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: MAX_RESULTS, limit: MAX_RESULTS, scope }, () =>
    aasError('InvalidNextTokenException', `Invalid NextToken: ${input.NextToken} was not returned by this call with the same parameters.`),
  );
}
