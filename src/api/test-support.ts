/**
 * For services' unit tests: calls an operation the way api/ does after the wire (the model's input
 * check, the handler in its own transaction unless it is asynchronous, the output shaped by the
 * model), without HTTP. Wire tests go through a real ApiServer instead.
 */
import { checkInput, formatConstraintErrors, shapeOutput } from '../model/index.js';
import type { Store } from '../state/index.js';
import type { CallContext, ServiceDefinition } from './service.js';

/** A call context for `scope` (request id 'r', access key 'k'). */
export const testContext = (scope: { accountId: string; region: string }): CallContext => ({ requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'k' });

/** Calls `op` of `service` as api/ would; resolves to its shaped output (timestamps as ISO strings). */
export async function callOperation(store: Store, service: ServiceDefinition, ctx: CallContext, op: string, input: object): Promise<any> {
  const model = service.model.operations[op];
  const { value, problems } = checkInput(service.model, model.input!.shape, input);
  if (problems.typeErrors.length) throw new Error(`type error: ${problems.typeErrors[0]}`);
  if (problems.constraintErrors.length) throw service.validationError(formatConstraintErrors(problems.constraintErrors));
  const handler = service.operations[op];
  if (!handler) throw Object.assign(new Error(`${op} is not built`), { code: service.unsupportedCode });
  const result = handler.async ? await handler(value, ctx) : store.db.transaction(() => handler(value, ctx))();
  if (!model.output) return {};
  return JSON.parse(JSON.stringify(shapeOutput(service.model, model.output.shape, result ?? {}, (d) => d.toISOString()) ?? {}));
}
