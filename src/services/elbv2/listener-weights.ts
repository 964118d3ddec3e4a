/**
 * The internal door CodeDeploy's deployment engine shifts traffic through (not HTTP): set the
 * weights of a listener's forwards between the target groups of a blue/green pair, and read them.
 *
 * A change rewrites, in one ELBv2 transaction under the same lock as ModifyListener and
 * ModifyRule ({@link Committer}), every forward action of the listener (its default actions and
 * its rules) that forwards to any of the given groups; then the data plane gets the full snapshot.
 * The data plane swaps snapshots between requests, so requests in flight finish where they were
 * sent and the next request on a kept-alive connection already follows the new weights.
 *
 * Actions are normalized by the same code as ModifyListener's ({@link checkActions}), so
 * DescribeListeners and DescribeRules show the forward exactly as after a ModifyListener with a
 * weighted ForwardConfig.
 */
import { checkActions, MAX_FORWARD_TARGET_GROUPS } from './actions.js';
import { checkArn } from './arns.js';
import type { Elbv2Deps } from './deps.js';
import { targetGroupNotFound, validationError } from './errors.js';
import { requireListener } from './listeners.js';
import { Records, type RuleRecord, type WireAction } from './records.js';

/** One target group of a weighted forward. */
export interface ForwardWeight {
  targetGroupArn: string;
  /** 0-999, as ELBv2 allows; the share of a group is its weight over the sum. */
  weight: number;
}

/** A rule (the default rule included) whose actions a change rewrites. */
interface RuleEdit {
  rule: RuleRecord;
  targetGroupArns: string[];
}

/** Sets and reads the weights of a listener's forwards. */
export class ListenerWeights {
  private readonly records: Records;

  constructor(private readonly deps: Elbv2Deps) {
    this.records = new Records(deps.store);
  }

  /**
   * Makes every forward of the listener that involves any of `weights`' groups a forward to
   * exactly those groups with those weights (group stickiness kept). `changed` is false when every
   * such forward already was that; nothing is committed then and the data plane is not touched.
   *
   * Errors (ServiceError, ELBv2's codes): `ValidationError` for malformed ARNs, weights outside
   * 0-999, no or too many or repeated groups, and for a listener none of whose forwards involves
   * any of the groups (nothing to shift: the caller named the wrong listener or pair);
   * `ListenerNotFound`; `TargetGroupNotFound`; and whatever ModifyListener would answer for the
   * resulting action (e.g. `TargetGroupAssociationLimit` for a group of another load balancer).
   */
  async setForwardWeights(listenerArn: string, weights: readonly ForwardWeight[]): Promise<{ changed: boolean }> {
    checkWeights(weights);
    // Decided first on a read: a no-op takes neither the lock nor a snapshot.
    const planned = this.deps.store.db.transaction(() => this.plan(listenerArn, weights))();
    if (planned.length === 0) return { changed: false };
    return this.deps.commit.run(() => {
      // Planned again under the lock: another change may have come in between.
      const edits = this.plan(listenerArn, weights);
      for (const { rule, targetGroupArns } of edits) {
        this.records.saveRule(rule, targetGroupArns);
        if (rule.priority === null) {
          const listener = this.records.listener(listenerArn)!;
          this.records.saveListener({ ...listener, defaultActions: rule.actions });
        }
      }
      return { changed: edits.length > 0 };
    });
  }

  /**
   * The groups and weights of the listener's default forward, in its order; undefined when the
   * listener does not exist or its default action is not a forward.
   */
  forwardWeights(listenerArn: string): ForwardWeight[] | undefined {
    const forward = this.records.listener(listenerArn)?.defaultActions.find((a) => a.Type === 'forward');
    const groups = forward?.ForwardConfig?.TargetGroups;
    if (!groups) return undefined;
    return groups.map((g) => ({ targetGroupArn: g.TargetGroupArn!, weight: g.Weight ?? 1 }));
  }

  /** The rules whose actions change, with their new actions; throws the errors above. */
  private plan(listenerArn: string, weights: readonly ForwardWeight[]): RuleEdit[] {
    const listener = requireListener(this.records, listenerArn);
    for (const w of weights) {
      checkArn(w.targetGroupArn, 'targetgroup');
      if (!this.records.targetGroup(w.targetGroupArn)) throw targetGroupNotFound(`Target group '${w.targetGroupArn}' not found`);
    }
    const pair = new Set(weights.map((w) => w.targetGroupArn));
    const involves = (a: WireAction) => a.Type === 'forward' && (a.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: a.TargetGroupArn }]).some((g) => pair.has(g.TargetGroupArn!));
    const edits: RuleEdit[] = [];
    let involved = false;
    for (const rule of this.records.rulesOf(listenerArn)) {
      if (!rule.actions.some(involves)) continue;
      involved = true;
      const rewritten = rule.actions.map((a) => (involves(a) ? weightedForward(a, weights) : a));
      const checked = checkActions(this.records, listener.loadBalancerArn, rewritten);
      if (JSON.stringify(checked.actions) === JSON.stringify(rule.actions)) continue;
      edits.push({ rule: { ...rule, actions: checked.actions }, targetGroupArns: checked.targetGroupArns });
    }
    if (!involved) {
      const names = weights.map((w) => `'${w.targetGroupArn}'`).join(' or ');
      throw validationError(`Listener '${listenerArn}' does not forward to target group ${names}`);
    }
    return edits;
  }
}

/** `action` as a forward to exactly `weights`, keeping its order and group stickiness (normalized by checkActions). */
function weightedForward(action: WireAction, weights: readonly ForwardWeight[]): WireAction {
  const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
  return {
    Type: 'forward',
    ...(action.Order !== undefined ? { Order: action.Order } : {}),
    ForwardConfig: {
      TargetGroups: weights.map((w) => ({ TargetGroupArn: w.targetGroupArn, Weight: w.weight })),
      ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
    },
  };
}

/** The checks ModifyListener's model and ELBv2 make on a ForwardConfig's weights. */
function checkWeights(weights: readonly ForwardWeight[]): void {
  if (weights.length === 0) throw validationError('At least one target group must be given a weight');
  if (weights.length > MAX_FORWARD_TARGET_GROUPS) {
    throw validationError(`A forward action can have at most ${MAX_FORWARD_TARGET_GROUPS} target groups; ${weights.length} were specified`);
  }
  const seen = new Set<string>();
  for (const w of weights) {
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 999) throw validationError(`Target group weight '${w.weight}' must be an integer between 0 and 999`);
    if (seen.has(w.targetGroupArn)) throw validationError(`Target group '${w.targetGroupArn}' is specified more than once`);
    seen.add(w.targetGroupArn);
  }
}
