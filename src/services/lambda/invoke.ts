/**
 * Invoke: RequestResponse runs the function and answers with its payload (200, FunctionError
 * `Unhandled` when it failed, the log tail with LogType Tail); Event starts it and answers 202 at
 * once; DryRun only checks (204). Event invocations are not queued durably: one accepted just
 * before Berth stops is lost, and a failed one is not retried.
 */
import { randomUUID } from 'node:crypto';
import { asyncOperation, type Operation } from '../../api/index.js';
import type { LambdaDeps } from './deps.js';
import { invalidRequestContent, requestTooLarge, tooManyRequests } from './errors.js';
import { resolveFunction } from './functions.js';
import { logTail } from './runner.js';

/** The largest synchronous request payload (6 MB) and asynchronous one (256 KB), as Lambda. */
export const MAX_SYNC_PAYLOAD = 6_291_456;
export const MAX_ASYNC_PAYLOAD = 262_144;

interface InvokeInput {
  FunctionName: string;
  InvocationType?: 'RequestResponse' | 'Event' | 'DryRun';
  LogType?: 'None' | 'Tail';
  Payload?: Buffer;
  Qualifier?: string;
}

/** The Invoke operation. */
export function invokeOperations(deps: LambdaDeps): Record<string, Operation> {
  return {
    Invoke: asyncOperation(async (input: InvokeInput) => {
      const type = input.InvocationType ?? 'RequestResponse';
      const f = resolveFunction(deps, input.FunctionName, input.Qualifier);
      const raw = input.Payload ?? Buffer.alloc(0);
      if (type === 'Event' && raw.length > MAX_ASYNC_PAYLOAD) throw requestTooLarge(MAX_ASYNC_PAYLOAD, 'Invoke');
      if (raw.length > MAX_SYNC_PAYLOAD) throw requestTooLarge(MAX_SYNC_PAYLOAD, 'Invoke');
      // No payload is the empty event `{}`, as Lambda takes it.
      const text = raw.length === 0 ? '{}' : raw.toString('utf8');
      try {
        JSON.parse(text);
      } catch (err) {
        throw invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`);
      }
      if (type === 'DryRun') return { StatusCode: 204 };
      if (deps.runner.running >= deps.maxConcurrency) throw tooManyRequests(`Rate Exceeded. Berth runs at most ${deps.maxConcurrency} invocations at once.`);
      const requestId = randomUUID();
      if (type === 'Event') {
        deps.runner.invoke(f, text, requestId).then(
          (r) => r.functionError && deps.log(`lambda: event invocation ${requestId} of ${f.name} failed: ${r.payload.toString('utf8').slice(0, 500)}`),
          (err) => deps.log(`lambda: event invocation ${requestId} of ${f.name} could not run: ${(err as Error).message}`),
        );
        return { StatusCode: 202 };
      }
      const r = await deps.runner.invoke(f, text, requestId);
      return {
        StatusCode: 200,
        Payload: r.payload,
        FunctionError: r.functionError,
        LogResult: input.LogType === 'Tail' ? logTail(r.logs) : undefined,
        ExecutedVersion: '$LATEST',
      };
    }),
  };
}
