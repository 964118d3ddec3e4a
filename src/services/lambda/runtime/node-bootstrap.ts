/**
 * The Node.js runtime bootstrap: the program each Node invocation's child process runs (compiled
 * to JS, started as `node node-bootstrap.js`). It reads one invocation from stdin, loads the
 * handler `file.export` from LAMBDA_TASK_ROOT (ESM or CommonJS, async or callback style), calls it
 * with the event and a Lambda context, and writes the outcome as one JSON line to fd 3. Console
 * output is formatted as Lambda's Node runtime formats it (time, request id, level, message).
 */
import { existsSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

interface Invocation {
  payload: string;
  requestId: string;
  invokedFunctionArn: string;
  deadlineMs: number;
}

/** An error as the runtime reports it in the response payload. */
function errorPayload(err: unknown, type?: string) {
  const e = err instanceof Error ? err : new Error(String(err));
  return { errorType: type ?? (e.name || 'Error'), errorMessage: e.message, trace: String(e.stack ?? '').split('\n') };
}

function finish(outcome: { ok: true; payload: string } | { ok: false; error: object }) {
  writeSync(3, JSON.stringify({ ...outcome, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
  process.exit(0);
}

async function main() {
  const inv = JSON.parse(readFileSync(0, 'utf8')) as Invocation;
  const env = process.env;
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const name = level === 'log' ? 'INFO' : level.toUpperCase();
    const stream = level === 'error' || level === 'warn' ? process.stderr : process.stdout;
    console[level] = (...args: unknown[]) => {
      stream.write(`${new Date().toISOString()}\t${inv.requestId}\t${name}\t${format(...args).replace(/\n/g, '\r')}\n`);
    };
  }
  const failInit = (err: unknown, type: string) => {
    const error = errorPayload(err, type);
    console.error(JSON.stringify(error));
    finish({ ok: false, error });
  };

  const handlerSpec = env._HANDLER ?? '';
  const dot = handlerSpec.lastIndexOf('.');
  if (dot <= 0) return failInit(new Error(`Bad handler ${handlerSpec}: the handler must be file.export`), 'Runtime.MalformedHandlerName');
  const modulePath = handlerSpec.slice(0, dot);
  const exportPath = handlerSpec.slice(dot + 1);
  const root = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.resolve(root, modulePath + ext)).find((f) => existsSync(f));
  if (!file) return failInit(new Error(`Error: Cannot find module '${path.basename(modulePath)}'\nRequire stack:\n- ${root}`), 'Runtime.ImportModuleError');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    return failInit(err, 'Runtime.UserCodeSyntaxError' === (err as Error)?.name ? 'Runtime.UserCodeSyntaxError' : err instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError');
  }
  const handler = (mod[exportPath] ?? (mod.default as Record<string, unknown> | undefined)?.[exportPath]) as ((...a: unknown[]) => unknown) | undefined;
  if (typeof handler !== 'function') return failInit(new Error(`${handlerSpec} is undefined or not exported`), 'Runtime.HandlerNotFound');

  let event: unknown;
  try {
    event = JSON.parse(inv.payload);
  } catch (err) {
    return failInit(err, 'Runtime.UnmarshalError');
  }

  const succeed = (value: unknown) => finish({ ok: true, payload: value === undefined ? 'null' : JSON.stringify(value) ?? 'null' });
  const fail = (err: unknown) => {
    const error = errorPayload(err);
    console.error('Invoke Error \t' + JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace }));
    finish({ ok: false, error });
  };
  const callback = (err: unknown, value?: unknown) => (err !== null && err !== undefined ? fail(err) : succeed(value));
  const context = {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: inv.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: inv.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, inv.deadlineMs - Date.now()),
    succeed,
    fail,
    done: callback,
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    const result = handler(event, context, callback) as { then?: unknown } | undefined;
    // An async handler answers with its promise; a callback-style one (three parameters) calls back.
    if (result && typeof result.then === 'function') succeed(await (result as Promise<unknown>));
    else if (handler.length < 3) succeed(result);
  } catch (err) {
    fail(err);
  }
}

main().catch((err) => {
  writeSync(3, JSON.stringify({ ok: false, error: errorPayload(err, 'Runtime.Unknown') }) + '\n');
  process.exit(1);
});
