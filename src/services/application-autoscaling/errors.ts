/** Application Auto Scaling's modelled exceptions, as the operations throw them. */
import { ServiceError } from '../../errors/index.js';

export const aasError = (code: string, message: string) => new ServiceError(code, message);

/** Input that breaks the model's constraints, or a rule Application Auto Scaling checks itself. */
export const validationError = (message: string) => aasError('ValidationException', message);

/** The words AWS uses to name a scalable target in its not-found messages. */
const targetWords = (ns: string, id: string, dim: string) => `service namespace: ${ns}, resource ID: ${id}, scalable dimension: ${dim}`;

export const noScalableTarget = (ns: string, id: string, dim: string) => aasError('ObjectNotFoundException', `No scalable target registered for ${targetWords(ns, id, dim)}`);
export const noScalableTargetFound = (ns: string, id: string, dim: string) => aasError('ObjectNotFoundException', `No scalable target found for ${targetWords(ns, id, dim)}`);
export const noScalingPolicy = (ns: string, id: string, dim: string, name: string) =>
  aasError('ObjectNotFoundException', `No scaling policy found for ${targetWords(ns, id, dim)}, policy name: ${name}`);
export const noScheduledAction = (ns: string, id: string, dim: string, name: string) =>
  aasError('ObjectNotFoundException', `No scheduled action found for ${targetWords(ns, id, dim)}, scheduled action name: ${name}`);
