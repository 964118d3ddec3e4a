/** ECS's modelled exceptions, as thrown by the ECS operations. */
import { ServiceError } from '../../errors/index.js';

/** `InvalidParameterException`: a parameter is not valid. */
export const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
/** `ClientException`: the request is not valid for the resource's state or the caller's rights. */
export const clientException = (message: string) => new ServiceError('ClientException', message);
/** `ClusterNotFoundException`, with ECS's own message. */
export const clusterNotFound = () => new ServiceError('ClusterNotFoundException', 'Cluster not found.');
/** `ServiceNotFoundException`, with ECS's own message. */
export const serviceNotFound = () => new ServiceError('ServiceNotFoundException', 'Service not found.');
/** `ServiceNotActiveException`, with ECS's own message. */
export const serviceNotActive = () => new ServiceError('ServiceNotActiveException', 'Service was not ACTIVE.');
/** `ResourceNotFoundException`: an ARN names nothing Berth has. */
export const resourceNotFound = (message = 'The specified resource could not be found.') => new ServiceError('ResourceNotFoundException', message);
/** `LimitExceededException`: a per-resource limit (tags, ...) would be exceeded. */
export const limitExceeded = (message: string) => new ServiceError('LimitExceededException', message);
/** A modelled exception by code, for the rarer ones. */
export const ecsError = (code: string, message: string) => new ServiceError(code, message);
