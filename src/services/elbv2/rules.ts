/**
 * Listener rules: CreateRule, DescribeRules, ModifyRule, DeleteRule, SetRulePriorities.
 * Priorities are 1-50000 and unique per listener (PriorityInUse); a load balancer has at most
 * 100 rules besides its listeners' default rules (ELB's quota counts per load balancer).
 */
import { asyncOperation } from '../../api/index.js';
import { checkActions } from './actions.js';
import { checkArn, newResourceId, ruleArn } from './arns.js';
import { checkConditions } from './conditions.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, operationNotPermitted, ruleNotFound, validationError } from './errors.js';
import { requireListener } from './listeners.js';
import { page } from './paging.js';
import { Records, type RuleRecord, type WireAction, type WireCondition } from './records.js';
import { checkTags, putTags, type WireTag } from './tags.js';

/** The most rules per load balancer, not counting default rules (ELB's default quota). */
export const MAX_RULES = 100;

/** A rule in ELBv2's wire form. */
export const ruleToWire = (r: RuleRecord) => ({
  RuleArn: r.arn,
  Priority: r.priority === null ? 'default' : String(r.priority),
  Conditions: r.conditions,
  Actions: r.actions,
  IsDefault: r.priority === null,
});

/** The rule an ARN names, or RuleNotFound (ValidationError for a malformed ARN). */
export function requireRule(records: Records, arn: string): RuleRecord {
  checkArn(arn, 'listener-rule');
  const r = records.rule(arn);
  if (!r) throw ruleNotFound();
  return r;
}

const priorityInUse = (p: number) => elbError('PriorityInUse', `Priority '${p}' is currently in use`);

function refuseTransforms(transforms: unknown[] | undefined): void {
  if (transforms?.length) throw validationError('Rule transforms (host header and URL rewrites) are not supported by Berth yet');
}

/** Builds the rule operations. */
export function ruleOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    CreateRule: asyncOperation(async (input: { ListenerArn: string; Conditions: WireCondition[]; Priority: number; Actions: WireAction[]; Tags?: WireTag[]; Transforms?: unknown[] }) => {
      checkArn(input.ListenerArn, 'listener');
      refuseTransforms(input.Transforms);
      const conditions = checkConditions(input.Conditions);
      const tags = checkTags(input.Tags);
      const id = newResourceId();
      const created = deps.now().toISOString();
      return deps.commit.run(() => {
        const listener = requireListener(records, input.ListenerArn);
        const { actions, targetGroupArns } = checkActions(records, listener.loadBalancerArn, input.Actions);
        if (records.ruleAtPriority(listener.arn, input.Priority)) throw priorityInUse(input.Priority);
        if (records.countRulesOfLoadBalancer(listener.loadBalancerArn) >= MAX_RULES) {
          throw elbError('TooManyRules', `The quota for the number of rules per load balancer (${MAX_RULES}) has been reached`);
        }
        const rule: RuleRecord = { arn: ruleArn(listener.arn, id), listenerArn: listener.arn, priority: input.Priority, conditions, actions, createdTime: created };
        records.saveRule(rule, targetGroupArns);
        putTags(deps, rule.arn, tags);
        return { Rules: [ruleToWire(rule)] };
      });
    }),

    DescribeRules(input: { ListenerArn?: string; RuleArns?: string[]; Marker?: string; PageSize?: number }) {
      let found: RuleRecord[];
      if (input.ListenerArn !== undefined && input.RuleArns?.length) {
        throw validationError('Rule ARNs and a listener ARN cannot be specified at the same time');
      }
      if (input.ListenerArn !== undefined) {
        found = records.rulesOf(requireListener(records, input.ListenerArn).arn);
      } else if (input.RuleArns?.length) {
        found = [...new Set(input.RuleArns)].map((arn) => requireRule(records, arn));
      } else {
        throw validationError('You must specify either rule ARNs or a listener ARN');
      }
      const p = page(found, input, `rules:${JSON.stringify([input.ListenerArn, input.RuleArns])}`);
      return { Rules: p.items.map(ruleToWire), NextMarker: p.nextMarker };
    },

    ModifyRule: asyncOperation(async (input: { RuleArn: string; Conditions?: WireCondition[]; Actions?: WireAction[]; Transforms?: unknown[]; ResetTransforms?: boolean }) => {
      checkArn(input.RuleArn, 'listener-rule');
      refuseTransforms(input.Transforms);
      return deps.commit.run(() => {
        const rule = requireRule(records, input.RuleArn);
        const listener = records.listener(rule.listenerArn)!;
        if (rule.priority === null && input.Conditions !== undefined) {
          throw operationNotPermitted('Conditions cannot be specified for the default rule');
        }
        const conditions = input.Conditions !== undefined ? checkConditions(input.Conditions) : rule.conditions;
        let actions = rule.actions;
        let targetGroupArns = records.targetGroupsOfRule(rule.arn);
        if (input.Actions !== undefined) {
          const checked = checkActions(records, listener.loadBalancerArn, input.Actions);
          actions = checked.actions;
          targetGroupArns = checked.targetGroupArns;
        }
        const next: RuleRecord = { ...rule, conditions, actions };
        records.saveRule(next, targetGroupArns);
        // The default rule and the listener's default actions are one thing seen twice.
        if (rule.priority === null) records.saveListener({ ...listener, defaultActions: actions });
        return { Rules: [ruleToWire(next)] };
      });
    }),

    DeleteRule: asyncOperation(async (input: { RuleArn: string }) => {
      checkArn(input.RuleArn, 'listener-rule');
      return deps.commit.run(() => {
        const rule = requireRule(records, input.RuleArn);
        if (rule.priority === null) throw operationNotPermitted('The default rule cannot be deleted');
        deps.tags.clear(rule.arn);
        records.deleteRule(rule.arn);
        return {};
      });
    }),

    SetRulePriorities: asyncOperation(async (input: { RulePriorities: { RuleArn?: string; Priority?: number }[] }) => {
      if (input.RulePriorities.length === 0) throw validationError('At least one rule priority must be specified');
      const pairs = input.RulePriorities.map((p) => {
        if (p.RuleArn === undefined || p.Priority === undefined) throw validationError('Each rule priority pair must have a rule ARN and a priority');
        checkArn(p.RuleArn, 'listener-rule');
        return { arn: p.RuleArn, priority: p.Priority };
      });
      if (new Set(pairs.map((p) => p.arn)).size !== pairs.length) throw validationError('A rule can be given only one priority per request');
      return deps.commit.run(() => {
        const rules = pairs.map((p) => ({ rule: requireRule(records, p.arn), priority: p.priority }));
        for (const { rule } of rules) if (rule.priority === null) throw operationNotPermitted('The default rule priority cannot be changed');
        // Every listener's priorities must stay unique once all pairs apply.
        const moving = new Set(rules.map((r) => r.rule.arn));
        const claimed = new Map<string, number>();
        for (const { rule, priority } of rules) {
          const key = `${rule.listenerArn} ${priority}`;
          const holder = records.ruleAtPriority(rule.listenerArn, priority);
          if ((holder && !moving.has(holder.arn)) || claimed.has(key)) throw priorityInUse(priority);
          claimed.set(key, priority);
        }
        // Two steps, so swapping priorities never collides in the unique index on the way.
        rules.forEach(({ rule }, i) => records.setPriority(rule, -(i + 1)));
        for (const { rule, priority } of rules) records.setPriority(rule, priority);
        return { Rules: rules.map(({ rule, priority }) => ruleToWire({ ...rule, priority })) };
      });
    }),
  };
}
