/**
 * Targets: RegisterTargets, DeregisterTargets, DescribeTargetHealth.
 *
 * `instance` targets name Berth's host, the one instance there is ({@link hostInstanceId}); the
 * data plane reaches them at 127.0.0.1 on the target's port. `ip` targets are any IPv4 address.
 * Health comes from the data plane when one is attached; otherwise (and for targets it has not
 * picked up yet) a target reads `initial` (Elb.RegistrationInProgress), or `unused`
 * (Target.NotInUse) when no load balancer forwards to its group.
 */
import { isIPv4 } from 'node:net';
import { asyncOperation } from '../../api/index.js';
import type { TargetHealthReport } from '../../lb/config.js';
import { hostInstanceId } from './addresses.js';
import { checkArn } from './arns.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, validationError } from './errors.js';
import { Records, type TargetGroupRecord, type TargetRecord } from './records.js';
import { requireTargetGroup } from './target-groups.js';

/** The most targets one target group may have (ELB's default quota). */
export const MAX_TARGETS = 1000;

/** ELBv2's descriptions of each TargetHealthReasonEnum value. */
export const REASON_DESCRIPTIONS: Record<string, string> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.ResponseCodeMismatch': 'Health checks failed',
  'Target.Timeout': 'Request timed out',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.InvalidState': 'Target is in the stopped state',
  'Target.IpUnusable': 'The target IP address is reserved for use by a load balancer',
  'Target.HealthCheckDisabled': 'Health checks are disabled',
  'Elb.InternalError': 'Health checks failed due to an internal error',
};

interface WireTarget {
  Id: string;
  Port?: number;
  AvailabilityZone?: string;
}

/** Checks the targets of a Register/DeregisterTargets call against the group; returns them with their ports. */
function checkTargets(deps: Elbv2Deps, tg: TargetGroupRecord, targets: readonly WireTarget[], registering: boolean): { id: string; port: number; availabilityZone?: string }[] {
  if (targets.length === 0) throw validationError('At least one target must be specified');
  const instance = hostInstanceId(deps.scope.accountId);
  const bad: string[] = [];
  const out = targets.map((t) => {
    if (tg.targetType === 'instance') {
      if (t.Id !== instance) bad.push(t.Id);
      if (registering && t.AvailabilityZone !== undefined) throw validationError('An Availability Zone cannot be specified for targets of type instance');
    } else if (!isIPv4(t.Id)) {
      bad.push(t.Id);
    }
    return { id: t.Id, port: t.Port ?? tg.port, ...(registering && t.AvailabilityZone !== undefined ? { availabilityZone: t.AvailabilityZone } : {}) };
  });
  if (bad.length) {
    const quoted = bad.map((b) => `'${b}'`).join(', ');
    throw elbError(
      'InvalidTarget',
      tg.targetType === 'instance'
        ? `The following targets are not valid instances: ${quoted}. Berth's host is the one instance, '${instance}'`
        : `The following targets are not valid IPv4 addresses: ${quoted}`,
    );
  }
  if (registering) {
    for (const t of out) {
      const az = t.availabilityZone;
      if (az !== undefined && az !== 'all' && !az.startsWith(deps.scope.region)) {
        throw validationError(`Availability Zone '${az}' is not valid: it must be 'all' or a zone of ${deps.scope.region}`);
      }
    }
  }
  return out;
}

/** The state of a target the data plane has no report for. */
function assumedHealth(tg: TargetGroupRecord, inUse: boolean): Pick<TargetHealthReport, 'state' | 'reason'> {
  if (!inUse) return { state: 'unused', reason: 'Target.NotInUse' };
  if (!tg.healthCheck.enabled) return { state: 'unavailable', reason: 'Target.HealthCheckDisabled' };
  return { state: 'initial', reason: 'Elb.RegistrationInProgress' };
}

/** Builds the target operations. */
export function targetOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    RegisterTargets: asyncOperation(async (input: { TargetGroupArn: string; Targets: WireTarget[] }) => {
      checkArn(input.TargetGroupArn, 'targetgroup');
      const registeredAt = deps.now().toISOString();
      return deps.commit.run(() => {
        const tg = requireTargetGroup(records, input.TargetGroupArn);
        for (const t of checkTargets(deps, tg, input.Targets, true)) records.putTarget(tg.arn, { ...t, registeredAt });
        const count = records.countTargets(tg.arn);
        if (count > MAX_TARGETS) {
          throw elbError('TooManyTargets', `You have reached the maximum number of targets per target group (${MAX_TARGETS}); this request would make it ${count}`);
        }
        return {};
      });
    }),

    DeregisterTargets: asyncOperation(async (input: { TargetGroupArn: string; Targets: WireTarget[] }) => {
      checkArn(input.TargetGroupArn, 'targetgroup');
      return deps.commit.run(() => {
        const tg = requireTargetGroup(records, input.TargetGroupArn);
        const targets = checkTargets(deps, tg, input.Targets, false);
        const registered = new Set(records.targets(tg.arn).map((t) => `${t.id}:${t.port}`));
        const missing = targets.filter((t) => !registered.has(`${t.id}:${t.port}`));
        if (missing.length) {
          throw elbError('InvalidTarget', `The following targets are not registered in target group '${tg.name}': ${missing.map((t) => `'${t.id}:${t.port}'`).join(', ')}`);
        }
        for (const t of targets) records.deleteTarget(tg.arn, t.id, t.port);
        return {};
      });
    }),

    DescribeTargetHealth(input: { TargetGroupArn: string; Targets?: WireTarget[] }) {
      const tg = requireTargetGroup(records, input.TargetGroupArn);
      const inUse = records.loadBalancersOfTargetGroup(tg.arn).length > 0;
      const reports = new Map((deps.engine?.targetHealth(tg.arn) ?? []).map((r) => [`${r.id}:${r.port}`, r]));
      const registered = records.targets(tg.arn);
      const known = new Map(registered.map((t) => [`${t.id}:${t.port}`, t]));
      let wanted: { id: string; port: number; availabilityZone?: string }[];
      if (input.Targets?.length) {
        wanted = checkTargets(deps, tg, input.Targets, false).map((t) => known.get(`${t.id}:${t.port}`) ?? t);
      } else {
        // Every registered target, then targets the data plane still drains after deregistration.
        wanted = [...registered, ...[...reports.values()].filter((r) => !known.has(`${r.id}:${r.port}`)).map((r) => ({ id: r.id, port: r.port }))];
      }
      return {
        TargetHealthDescriptions: wanted.map((t) => {
          const key = `${t.id}:${t.port}`;
          const report = reports.get(key);
          let health: { State: string; Reason?: string; Description?: string };
          if (report && (inUse || !known.has(key))) {
            health = { State: report.state, Reason: report.reason, Description: report.description ?? (report.reason ? REASON_DESCRIPTIONS[report.reason] : undefined) };
          } else if (!known.has(key)) {
            health = { State: 'unused', Reason: 'Target.NotRegistered', Description: REASON_DESCRIPTIONS['Target.NotRegistered'] };
          } else {
            const a = assumedHealth(tg, inUse);
            health = { State: a.state, Reason: a.reason, Description: REASON_DESCRIPTIONS[a.reason!] };
          }
          if (health.State === 'healthy') health = { State: 'healthy' };
          const target = known.get(key) as TargetRecord | undefined;
          return {
            Target: { Id: t.id, Port: t.port, ...(target?.availabilityZone ? { AvailabilityZone: target.availabilityZone } : {}) },
            HealthCheckPort: tg.healthCheck.port === 'traffic-port' ? String(t.port) : tg.healthCheck.port,
            TargetHealth: health,
          };
        }),
      };
    },
  };
}
