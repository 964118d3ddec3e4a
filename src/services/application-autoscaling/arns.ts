/** ARNs of Application Auto Scaling resources, in AWS's forms. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ArnScope } from './deps.js';
import type { TargetKey } from './records.js';

/** `arn:aws:application-autoscaling:REGION:ACCOUNT:scalable-target/<36 hex>`. */
export const scalableTargetArn = (s: ArnScope) => `arn:aws:application-autoscaling:${s.region}:${s.accountId}:scalable-target/${randomBytes(18).toString('hex')}`;

/** `arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:<uuid>:resource/ecs/service/C/S:policyName/NAME`. */
export const scalingPolicyArn = (s: ArnScope, k: TargetKey, name: string) =>
  `arn:aws:autoscaling:${s.region}:${s.accountId}:scalingPolicy:${randomUUID()}:resource/${k.ServiceNamespace}/${k.ResourceId}:policyName/${name}`;

/** `arn:aws:autoscaling:REGION:ACCOUNT:scheduledAction:<uuid>:resource/ecs/service/C/S:scheduledActionName/NAME`. */
export const scheduledActionArn = (s: ArnScope, k: TargetKey, name: string) =>
  `arn:aws:autoscaling:${s.region}:${s.accountId}:scheduledAction:${randomUUID()}:resource/${k.ServiceNamespace}/${k.ResourceId}:scheduledActionName/${name}`;

/** Whether an alarm action ARN names a scaling policy (what the alarm hook hands to execute.ts). */
export const isScalingPolicyArn = (arn: string) => /^arn:aws:autoscaling:[^:]*:[^:]*:scalingPolicy:/.test(arn);
