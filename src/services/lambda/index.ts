/**
 * AWS Lambda: a subset for functions that really run (.zip packages on Node.js and Python, one
 * child process per invocation); see README.md.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDefinition } from '../../api/index.js';
import type { Runnable } from '../../berth/manager.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import type { LogWriter } from '../logs/writer.js';
import type { ArnScope } from './arns.js';
import { linkSdk, sweepCode } from './code.js';
import type { LambdaDeps } from './deps.js';
import { validationError } from './errors.js';
import { functionOperations } from './functions.js';
import { invokeOperations } from './invoke.js';
import { allFunctions } from './records.js';
import { Runner } from './runner.js';
import { lambdaMigrations } from './schema.js';

export type { LambdaDeps } from './deps.js';
export { lambdaMigrations } from './schema.js';

/** Options for {@link createLambda}. */
export interface LambdaOptions {
  store: Store;
  scope: ArnScope;
  /** Berth's data dir; function code lives in `<dataDir>/lambda`. */
  dataDir: string;
  /** Where function output goes (CloudWatch Logs group /aws/lambda/NAME). */
  logWriter?: Pick<LogWriter, 'append'>;
  /** Berth's API endpoint once it listens: functions get it as AWS_ENDPOINT_URL. */
  endpoint?: () => string | undefined;
  /** The key pair functions get as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Most invocations running at once (default 32, or BERTH_LAMBDA_MAX_CONCURRENCY). */
  maxConcurrency?: number;
  /** Most bytes of code stored (default Lambda's 75 GB). */
  codeStorageLimit?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

/** The outcome of {@link Lambda.invoke}. */
export interface InvokeOutcome {
  /** 200 (RequestResponse) or 202 (Event). */
  statusCode: number;
  /** The function's answer as JSON text (RequestResponse only). */
  payload?: string;
  /** `Unhandled` when the function failed. */
  functionError?: string;
}

/** The Lambda service and the component that tidies code on start and ends invocations on stop. */
export interface Lambda {
  service: ServiceDefinition;
  runnable: Runnable;
  /**
   * Other services' door (CodeDeploy's lifecycle hooks): invokes a function by name or ARN exactly
   * as the Invoke operation does, throwing Lambda's errors (ResourceNotFoundException, ...).
   */
  invoke(functionName: string, event: unknown, type?: 'RequestResponse' | 'Event'): Promise<InvokeOutcome>;
}

/** Migrates the Lambda tables and builds the Lambda service. */
export function createLambda(opts: LambdaOptions): Lambda {
  opts.store.migrate('lambda', lambdaMigrations);
  const root = path.join(opts.dataDir, 'lambda');
  mkdirSync(root, { recursive: true });
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runner = new Runner({ root, region: opts.scope.region, logWriter: opts.logWriter, endpoint: opts.endpoint, credentials: opts.credentials, log });
  const envLimit = Number(process.env.BERTH_LAMBDA_MAX_CONCURRENCY);
  const deps: LambdaDeps = {
    store: opts.store,
    scope: opts.scope,
    root,
    runner,
    now: opts.now ?? (() => new Date()),
    maxConcurrency: opts.maxConcurrency ?? (Number.isInteger(envLimit) && envLimit > 0 ? envLimit : 32),
    codeStorageLimit: opts.codeStorageLimit ?? 75 * 1024 ** 3,
    log,
  };
  // Code folders no record names (a crash mid-upload) go; functions find Berth's AWS SDK as Lambda's Node runtime provides one.
  sweepCode(root, new Map(allFunctions(opts.store).map((f) => [f.name, f.codeDir])));
  linkSdk(root);
  const service: ServiceDefinition = {
    model: loadServiceModel('lambda'),
    operations: { ...functionOperations(deps), ...invokeOperations(deps) },
    validationError,
    isReadOnly: (operation) => operation.startsWith('Get') || operation.startsWith('List'),
    unsupportedCode: 'InvalidParameterValueException',
  };
  const runnable: Runnable = {
    async start(signal: AbortSignal) {
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      runner.stop();
    },
  };
  const invoke = service.operations.Invoke;
  const ctx = { requestId: 'internal', accountId: opts.scope.accountId, region: opts.scope.region, accessKeyId: opts.credentials?.accessKeyId ?? '' };
  return {
    service,
    runnable,
    async invoke(functionName, event, type = 'RequestResponse') {
      const out = (await invoke({ FunctionName: functionName, InvocationType: type, Payload: Buffer.from(JSON.stringify(event ?? {})) }, ctx)) as { StatusCode: number; Payload?: Buffer; FunctionError?: string };
      return { statusCode: out.StatusCode, payload: out.Payload?.toString('utf8'), functionError: out.FunctionError };
    },
  };
}
