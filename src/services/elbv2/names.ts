/** Load balancer and target group names: at most 32 alphanumerics or hyphens, no hyphen at either end. */
import { validationError } from './errors.js';

/** Checks a load balancer name as CreateLoadBalancer does. */
export function checkLoadBalancerName(name: string): void {
  if (name.length === 0) throw validationError('Load balancer name cannot be empty');
  if (name.length > 32) throw validationError(`Load balancer name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validationError(`Load balancer name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw validationError(`Load balancer name '${name}' cannot begin or end with '-'`);
  if (name.toLowerCase().startsWith('internal-')) throw validationError(`Load balancer name '${name}' cannot begin with 'internal-'`);
}

/** Checks a target group name as CreateTargetGroup does. */
export function checkTargetGroupName(name: string): void {
  if (name.length === 0) throw validationError('Target group name cannot be empty');
  if (name.length > 32) throw validationError(`Target group name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validationError(`Target group name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw validationError(`Target group name '${name}' cannot begin or end with '-'`);
}
