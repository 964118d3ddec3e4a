/**
 * ELBv2 resources as Berth keeps them (one JSON document per row, see schema.ts), and reading
 * and writing them. Actions and conditions are kept in their normalized wire form (what the
 * Describe calls return), since that is what users see and what the snapshot is built from.
 */
import type { Store } from '../../state/index.js';

/** An action in ELBv2's wire form. */
export interface WireAction {
  Type: string;
  TargetGroupArn?: string;
  Order?: number;
  ForwardConfig?: {
    TargetGroups?: { TargetGroupArn?: string; Weight?: number }[];
    TargetGroupStickinessConfig?: { Enabled?: boolean; DurationSeconds?: number };
  };
  RedirectConfig?: { Protocol?: string; Port?: string; Host?: string; Path?: string; Query?: string; StatusCode: string };
  FixedResponseConfig?: { MessageBody?: string; StatusCode: string; ContentType?: string };
  [other: string]: unknown;
}

/** A rule condition in ELBv2's wire form. */
export interface WireCondition {
  Field?: string;
  Values?: string[];
  HostHeaderConfig?: { Values?: string[]; RegexValues?: string[] };
  PathPatternConfig?: { Values?: string[]; RegexValues?: string[] };
  HttpHeaderConfig?: { HttpHeaderName?: string; Values?: string[]; RegexValues?: string[] };
  QueryStringConfig?: { Values?: { Key?: string; Value?: string }[] };
  HttpRequestMethodConfig?: { Values?: string[] };
  SourceIpConfig?: { Values?: string[] };
  RegexValues?: string[];
}

/** An Application Load Balancer. */
export interface LoadBalancerRecord {
  arn: string;
  name: string;
  dnsName: string;
  /** The loopback address its listeners bind (see addresses.ts). */
  address: string;
  scheme: 'internet-facing' | 'internal';
  type: 'application';
  ipAddressType: string;
  vpcId: string;
  securityGroups: string[];
  availabilityZones: { ZoneName: string; SubnetId: string }[];
  createdTime: string;
  /** Attributes the user set; the rest take their defaults (attributes.ts). */
  attributes: Record<string, string>;
}

/** A target group's health check settings. */
export interface HealthCheckRecord {
  enabled: boolean;
  protocol: 'HTTP';
  port: string;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  matcher: string;
}

/** A target group. */
export interface TargetGroupRecord {
  arn: string;
  name: string;
  protocol: 'HTTP';
  protocolVersion: 'HTTP1';
  port: number;
  vpcId: string;
  targetType: 'instance' | 'ip';
  ipAddressType: 'ipv4';
  healthCheck: HealthCheckRecord;
  createdTime: string;
  /** Attributes the user set; the rest take their defaults. */
  attributes: Record<string, string>;
}

/** A listener. */
export interface ListenerRecord {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: 'HTTP';
  defaultActions: WireAction[];
  createdTime: string;
}

/** A listener rule; the default rule has priority null and mirrors the listener's default actions. */
export interface RuleRecord {
  arn: string;
  listenerArn: string;
  priority: number | null;
  conditions: WireCondition[];
  actions: WireAction[];
  createdTime: string;
}

/** A registered target. */
export interface TargetRecord {
  id: string;
  port: number;
  availabilityZone?: string;
  registeredAt: string;
}

const parse = <T>(doc: unknown): T | undefined => (doc === undefined ? undefined : (JSON.parse(doc as string) as T));
const parseAll = <T>(docs: unknown[]): T[] => docs.map((d) => JSON.parse(d as string) as T);

/** Reads and writes ELBv2 records. */
export class Records {
  constructor(private readonly store: Store) {}

  loadBalancer(arn: string): LoadBalancerRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_load_balancers WHERE arn = ?').pluck().get(arn));
  }
  loadBalancerByName(name: string): LoadBalancerRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_load_balancers WHERE name = ?').pluck().get(name));
  }
  loadBalancers(): LoadBalancerRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM elbv2_load_balancers ORDER BY created_at, arn').pluck().all());
  }
  saveLoadBalancer(lb: LoadBalancerRecord): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_load_balancers (arn, name, address, created_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc`,
      )
      .run(lb.arn, lb.name, lb.address, lb.createdTime, JSON.stringify(lb));
  }
  deleteLoadBalancer(arn: string): void {
    // Rules and listeners go by ON DELETE CASCADE; their tags are cleared by the caller.
    this.store.prepare('DELETE FROM elbv2_load_balancers WHERE arn = ?').run(arn);
  }
  /** Every loopback address already given to a load balancer. */
  addressInUse(address: string): boolean {
    return this.store.prepare('SELECT 1 FROM elbv2_load_balancers WHERE address = ?').get(address) !== undefined;
  }

  targetGroup(arn: string): TargetGroupRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_target_groups WHERE arn = ?').pluck().get(arn));
  }
  targetGroupByName(name: string): TargetGroupRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_target_groups WHERE name = ?').pluck().get(name));
  }
  targetGroups(): TargetGroupRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM elbv2_target_groups ORDER BY created_at, arn').pluck().all());
  }
  countTargetGroups(): number {
    return this.store.prepare('SELECT count(*) FROM elbv2_target_groups').pluck().get() as number;
  }
  saveTargetGroup(tg: TargetGroupRecord): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_target_groups (arn, name, created_at, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc`,
      )
      .run(tg.arn, tg.name, tg.createdTime, JSON.stringify(tg));
  }
  deleteTargetGroup(arn: string): void {
    this.store.prepare('DELETE FROM elbv2_target_groups WHERE arn = ?').run(arn);
  }
  /** The load balancers whose listeners or rules forward to a target group. */
  loadBalancersOfTargetGroup(tgArn: string): string[] {
    return this.store
      .prepare(
        `SELECT DISTINCT l.load_balancer_arn FROM elbv2_rule_target_groups rt
           JOIN elbv2_rules r ON r.arn = rt.rule_arn JOIN elbv2_listeners l ON l.arn = r.listener_arn
          WHERE rt.target_group_arn = ? ORDER BY l.load_balancer_arn`,
      )
      .pluck()
      .all(tgArn) as string[];
  }
  /** The target groups a load balancer's listeners and rules forward to. */
  targetGroupsOfLoadBalancer(lbArn: string): string[] {
    return this.store
      .prepare(
        `SELECT DISTINCT rt.target_group_arn FROM elbv2_rule_target_groups rt
           JOIN elbv2_rules r ON r.arn = rt.rule_arn JOIN elbv2_listeners l ON l.arn = r.listener_arn
          WHERE l.load_balancer_arn = ? ORDER BY rt.target_group_arn`,
      )
      .pluck()
      .all(lbArn) as string[];
  }

  targets(tgArn: string): TargetRecord[] {
    return this.store
      .prepare('SELECT id, port, availability_zone AS availabilityZone, registered_at AS registeredAt FROM elbv2_targets WHERE target_group_arn = ? ORDER BY registered_at, id, port')
      .all(tgArn)
      .map((r: any) => (r.availabilityZone === null ? { id: r.id, port: r.port, registeredAt: r.registeredAt } : r)) as TargetRecord[];
  }
  countTargets(tgArn: string): number {
    return this.store.prepare('SELECT count(*) FROM elbv2_targets WHERE target_group_arn = ?').pluck().get(tgArn) as number;
  }
  /** Registers a target; an already registered one keeps its registration time. */
  putTarget(tgArn: string, t: TargetRecord): void {
    this.store
      .prepare('INSERT INTO elbv2_targets (target_group_arn, id, port, availability_zone, registered_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(tgArn, t.id, t.port, t.availabilityZone ?? null, t.registeredAt);
  }
  deleteTarget(tgArn: string, id: string, port: number): void {
    this.store.prepare('DELETE FROM elbv2_targets WHERE target_group_arn = ? AND id = ? AND port = ?').run(tgArn, id, port);
  }

  listener(arn: string): ListenerRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_listeners WHERE arn = ?').pluck().get(arn));
  }
  listenersOf(lbArn: string): ListenerRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM elbv2_listeners WHERE load_balancer_arn = ? ORDER BY port').pluck().all(lbArn));
  }
  listenerOnPort(lbArn: string, port: number): ListenerRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_listeners WHERE load_balancer_arn = ? AND port = ?').pluck().get(lbArn, port));
  }
  saveListener(l: ListenerRecord): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_listeners (arn, load_balancer_arn, port, created_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET port = excluded.port, doc = excluded.doc`,
      )
      .run(l.arn, l.loadBalancerArn, l.port, l.createdTime, JSON.stringify(l));
  }
  deleteListener(arn: string): void {
    this.store.prepare('DELETE FROM elbv2_listeners WHERE arn = ?').run(arn);
  }

  rule(arn: string): RuleRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_rules WHERE arn = ?').pluck().get(arn));
  }
  /** A listener's rules by ascending priority, the default rule last. */
  rulesOf(listenerArn: string): RuleRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM elbv2_rules WHERE listener_arn = ? ORDER BY priority IS NULL, priority').pluck().all(listenerArn));
  }
  defaultRuleOf(listenerArn: string): RuleRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_rules WHERE listener_arn = ? AND priority IS NULL').pluck().get(listenerArn));
  }
  ruleAtPriority(listenerArn: string, priority: number): RuleRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM elbv2_rules WHERE listener_arn = ? AND priority = ?').pluck().get(listenerArn, priority));
  }
  /** Non-default rules on all listeners of a load balancer. */
  countRulesOfLoadBalancer(lbArn: string): number {
    return this.store
      .prepare('SELECT count(*) FROM elbv2_rules r JOIN elbv2_listeners l ON l.arn = r.listener_arn WHERE l.load_balancer_arn = ? AND r.priority IS NOT NULL')
      .pluck()
      .get(lbArn) as number;
  }
  /** Saves a rule and the index of the target groups its actions forward to. */
  saveRule(r: RuleRecord, targetGroupArns: readonly string[]): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_rules (arn, listener_arn, priority, created_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET priority = excluded.priority, doc = excluded.doc`,
      )
      .run(r.arn, r.listenerArn, r.priority, r.createdTime, JSON.stringify(r));
    this.store.prepare('DELETE FROM elbv2_rule_target_groups WHERE rule_arn = ?').run(r.arn);
    const ins = this.store.prepare('INSERT OR IGNORE INTO elbv2_rule_target_groups (rule_arn, target_group_arn) VALUES (?, ?)');
    for (const tg of targetGroupArns) ins.run(r.arn, tg);
  }
  /** The target groups a rule's actions forward to. */
  targetGroupsOfRule(ruleArn: string): string[] {
    return this.store.prepare('SELECT target_group_arn FROM elbv2_rule_target_groups WHERE rule_arn = ? ORDER BY rowid').pluck().all(ruleArn) as string[];
  }
  /** Changes only a rule's priority (SetRulePriorities). */
  setPriority(r: RuleRecord, priority: number): void {
    const updated = { ...r, priority };
    this.store.prepare('UPDATE elbv2_rules SET priority = ?, doc = ? WHERE arn = ?').run(priority, JSON.stringify(updated), r.arn);
  }
  deleteRule(arn: string): void {
    this.store.prepare('DELETE FROM elbv2_rules WHERE arn = ?').run(arn);
  }
  /** ARNs of every listener and rule below a load balancer (to clear their tags). */
  childArns(lbArn: string): string[] {
    return this.store
      .prepare(
        `SELECT arn FROM elbv2_listeners WHERE load_balancer_arn = @lb
         UNION ALL SELECT r.arn FROM elbv2_rules r JOIN elbv2_listeners l ON l.arn = r.listener_arn WHERE l.load_balancer_arn = @lb`,
      )
      .pluck()
      .all({ lb: lbArn }) as string[];
  }
}
