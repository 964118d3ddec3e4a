/**
 * For services' unit tests: calls an operation the way api/ does after the wire (the model's input
 * check, the handler in its own transaction unless it is asynchronous, the output shaped by the
 * model), without HTTP; and a real ApiServer on an ephemeral port for protocol tests.
 */
import { checkInput, formatConstraintErrors, shapeOutput } from '../model/index.js';
import { Store } from '../state/index.js';
import { ApiServer } from './server.js';
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

/** A real ApiServer on 127.0.0.1 and an ephemeral port serving `services` over an in-memory store. */
export interface TestApiServer {
  endpoint: string;
  store: Store;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

/** Starts a {@link TestApiServer} that accepts requests signed with `credentials`. */
export async function serveForTest(
  services: ServiceDefinition[],
  credentials: { accessKeyId: string; secretAccessKey: string },
  scope: { accountId: string; region: string } = { accountId: '123456789012', region: 'us-east-1' },
): Promise<TestApiServer> {
  const store = Store.openFile(':memory:');
  const server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    region: scope.region,
    accountId: scope.accountId,
    services,
    store,
    secrets: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined),
  });
  const stop = new AbortController();
  const running = server.start(stop.signal);
  await server.listening();
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    store,
    async close() {
      stop.abort();
      await running;
      store.db.close();
    },
  };
}
