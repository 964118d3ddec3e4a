/** ELBv2's modelled exceptions (codes from the model's error shapes), as the operations throw them. */
import { ServiceError } from '../../errors/index.js';

/** A modelled ELBv2 error by its wire code (`DuplicateListener`, `PriorityInUse`, ...). */
export const elbError = (code: string, message: string) => new ServiceError(code, message);
/** `ValidationError`: the input breaks a rule of the API (also what api/ answers for model violations). */
export const validationError = (message: string) => new ServiceError('ValidationError', message);
/** `InvalidConfigurationRequest`: the request is well-formed but the configuration is not allowed. */
export const invalidConfiguration = (message: string) => new ServiceError('InvalidConfigurationRequest', message);
/** `LoadBalancerNotFound`, with ELBv2's message. */
export const loadBalancerNotFound = (message = 'One or more load balancers not found') => new ServiceError('LoadBalancerNotFound', message);
/** `TargetGroupNotFound`, with ELBv2's message. */
export const targetGroupNotFound = (message = 'One or more target groups not found') => new ServiceError('TargetGroupNotFound', message);
/** `ListenerNotFound`, with ELBv2's message. */
export const listenerNotFound = (message = 'One or more listeners not found') => new ServiceError('ListenerNotFound', message);
/** `RuleNotFound`, with ELBv2's message. */
export const ruleNotFound = (message = 'One or more rules not found') => new ServiceError('RuleNotFound', message);
/** `OperationNotPermitted`: the operation is not allowed on this resource (default rules, deletion protection). */
export const operationNotPermitted = (message: string) => new ServiceError('OperationNotPermitted', message);
/** `InvalidLoadBalancerAction`: an action list breaks ELBv2's rules. */
export const invalidAction = (message: string) => new ServiceError('InvalidLoadBalancerAction', message);
