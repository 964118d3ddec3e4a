/** DescribeAccountLimits: the Application Load Balancer quotas Berth enforces, under ELB's limit names. */
import { MAX_FORWARD_TARGET_GROUPS, MAX_TARGET_GROUPS_PER_LOAD_BALANCER } from './actions.js';
import { MAX_CONDITION_VALUES, MAX_CONDITION_WILDCARDS } from './conditions.js';
import { MAX_LISTENERS } from './listeners.js';
import { MAX_LOAD_BALANCERS } from './load-balancers.js';
import { page } from './paging.js';
import { MAX_RULES } from './rules.js';
import { MAX_TARGET_GROUPS } from './target-groups.js';

const LIMITS: [string, number][] = [
  ['application-load-balancers', MAX_LOAD_BALANCERS],
  ['condition-values-per-alb-rule', MAX_CONDITION_VALUES],
  ['condition-wildcards-per-alb-rule', MAX_CONDITION_WILDCARDS],
  ['listeners-per-application-load-balancer', MAX_LISTENERS],
  ['rules-per-application-load-balancer', MAX_RULES],
  ['target-groups', MAX_TARGET_GROUPS],
  ['target-groups-per-action-on-application-load-balancer', MAX_FORWARD_TARGET_GROUPS],
  ['target-groups-per-application-load-balancer', MAX_TARGET_GROUPS_PER_LOAD_BALANCER],
];

/** Builds the account limits operation. */
export function limitOperations() {
  return {
    DescribeAccountLimits(input: { Marker?: string; PageSize?: number }) {
      const p = page(LIMITS, input, 'limits');
      return { Limits: p.items.map(([Name, max]) => ({ Name, Max: String(max) })), NextMarker: p.nextMarker };
    },
  };
}
