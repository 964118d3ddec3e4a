/**
 * The alarms door over CloudWatch's own alarm operations (PutMetricAlarm, DeleteAlarms,
 * DescribeAlarms), called in-process inside the caller's transaction, so a target tracking
 * policy's alarms are validated, stored and evaluated exactly as any alarm is.
 */
import type { CallContext, ServiceDefinition } from '../../api/index.js';
import { ServiceError } from '../../errors/index.js';
import type { AlarmsDoor, AlarmView, ArnScope } from './deps.js';
import { validationError } from './errors.js';

/** The door over `cloudwatch` (the CloudWatch ServiceDefinition) in `scope`. */
export function cloudWatchAlarmsDoor(cloudwatch: ServiceDefinition, scope: ArnScope): AlarmsDoor {
  const ctx: CallContext = { requestId: 'application-autoscaling', accountId: scope.accountId, region: scope.region, accessKeyId: 'application-autoscaling' };
  const op = (name: string) => {
    const handler = cloudwatch.operations[name];
    if (!handler) throw new Error(`CloudWatch has no ${name} operation`);
    return (input: object) => handler(input, ctx) as any;
  };
  const describe = (names: string[]) => (op('DescribeAlarms')({ AlarmNames: names, AlarmTypes: ['MetricAlarm'] }).MetricAlarms ?? []) as any[];
  return {
    put(alarm) {
      try {
        op('PutMetricAlarm')(alarm);
      } catch (err) {
        // CloudWatch's refusal (a customized metric it will not alarm on) is the policy's ValidationException.
        if (err instanceof ServiceError) throw validationError(`CloudWatch refused the policy's alarm ${alarm.AlarmName}: ${err.message}`);
        throw err;
      }
      return `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${alarm.AlarmName}`;
    },
    delete(names) {
      const present = describe(names).map((a) => a.AlarmName as string);
      if (present.length) op('DeleteAlarms')({ AlarmNames: present });
    },
    describe(name) {
      return describe([name])[0];
    },
    inAlarmFor(actionArn) {
      const out: AlarmView[] = [];
      let NextToken: string | undefined;
      do {
        const page = op('DescribeAlarms')({ ActionPrefix: actionArn, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], NextToken });
        out.push(...((page.MetricAlarms ?? []) as AlarmView[]));
        NextToken = page.NextToken;
      } while (NextToken);
      return out.filter((a) => a.ActionsEnabled !== false && (a.AlarmActions ?? []).includes(actionArn));
    },
  };
}
