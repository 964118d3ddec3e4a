/**
 * CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction and ListFunctions. Functions are .zip packages
 * only, and only $LATEST: Publish and qualifiers other than $LATEST are refused.
 */
import { randomUUID } from 'node:crypto';
import { asyncOperation, type Operation } from '../../api/index.js';
import { functionArn, parseFunctionName } from './arns.js';
import { removeCode, storeCode } from './code.js';
import type { LambdaDeps } from './deps.js';
import { codeStorageExceeded, functionNotFound, invalidParameter, preconditionFailed, requestTooLarge, resourceConflict, validationError } from './errors.js';
import { deleteFunction, findFunction, insertFunction, listFunctions, totalCodeSize, updateFunction, type FunctionRecord } from './records.js';
import { RESERVED_ENV } from './runner.js';
import { runtimeCommand } from './runtimes.js';

/** The largest .zip CreateFunction/UpdateFunctionCode take in the request (Lambda's figure: 50 MB, base64-encoded). */
export const MAX_ZIP_REQUEST_BYTES = 69_905_067;
/** Lambda's limits on Timeout (seconds) and MemorySize (MB). */
export const MAX_TIMEOUT = 900;
export const MAX_MEMORY = 10_240;
/** The most bytes of environment variables (keys and values) a function may have. */
export const MAX_ENV_BYTES = 4096;
/** Functions per ListFunctions page at most. */
export const LIST_PAGE_MAX = 50;

interface ConfigInput {
  Layers?: string[];
  FileSystemConfigs?: unknown[];
  ImageConfig?: unknown;
  CodeSigningConfigArn?: string;
  DeadLetterConfig?: { TargetArn?: string };
  VpcConfig?: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  SnapStart?: { ApplyOn?: string };
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  Runtime?: string;
}

const ROLE = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-/]+$/;

/**
 * Settings that would change what the function does or can reach, which Berth does not provide:
 * refused rather than stored and ignored.
 */
function refuseUnbuilt(c: ConfigInput): void {
  const unbuilt: string[] = [];
  if (c.Layers?.length) unbuilt.push('Layers');
  if (c.FileSystemConfigs?.length) unbuilt.push('FileSystemConfigs');
  if (c.ImageConfig !== undefined) unbuilt.push('ImageConfig');
  if (c.CodeSigningConfigArn !== undefined) unbuilt.push('CodeSigningConfigArn');
  if (c.DeadLetterConfig?.TargetArn) unbuilt.push('DeadLetterConfig');
  if (c.VpcConfig?.SubnetIds?.length || c.VpcConfig?.SecurityGroupIds?.length) unbuilt.push('VpcConfig');
  if (c.SnapStart?.ApplyOn && c.SnapStart.ApplyOn !== 'None') unbuilt.push('SnapStart');
  if (unbuilt.length) throw invalidParameter(`Berth does not support ${unbuilt.join(', ')} for Lambda functions: functions run on this machine with their .zip code only.`);
}

/** Checks the configuration members Lambda checks beyond the model. */
function checkConfig(c: ConfigInput): void {
  refuseUnbuilt(c);
  const problems: string[] = [];
  if (c.Role !== undefined && !ROLE.test(c.Role)) problems.push(`Value '${c.Role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`);
  if (c.Timeout !== undefined && c.Timeout > MAX_TIMEOUT) problems.push(`Value '${c.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to ${MAX_TIMEOUT}`);
  if (c.MemorySize !== undefined && c.MemorySize > MAX_MEMORY) problems.push(`Value '${c.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to ${MAX_MEMORY}`);
  if (problems.length) throw validationError(`${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`);
  if (c.Runtime !== undefined) runtimeCommand(c.Runtime);
  const vars = c.Environment?.Variables;
  if (vars) {
    const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.has(k));
    if (reserved.length) {
      throw invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
    }
    const bad = Object.keys(vars).find((k) => !/^[a-zA-Z][a-zA-Z0-9_]+$/.test(k));
    if (bad !== undefined) throw invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided contains an invalid key: '${bad}'. Keys start with a letter and contain only letters, digits and _, at least 2 characters.`);
    const size = Buffer.byteLength(JSON.stringify(vars));
    if (size > MAX_ENV_BYTES) throw invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${size} bytes`);
  }
  if (c.Handler !== undefined && c.Handler.length === 0) throw invalidParameter('Handler must not be empty for a .zip file archive.');
}

/** Lambda's LastModified format: `2024-01-31T12:34:56.789+0000`. */
export const lastModified = (d: Date) => d.toISOString().replace('Z', '+0000');

/** The wire FunctionConfiguration of a record. */
export function configuration(f: FunctionRecord) {
  return {
    FunctionName: f.name,
    FunctionArn: f.arn,
    Runtime: f.runtime,
    Role: f.role,
    Handler: f.handler,
    CodeSize: f.codeSize,
    Description: f.description,
    Timeout: f.timeout,
    MemorySize: f.memorySize,
    LastModified: f.lastModified,
    CodeSha256: f.codeSha256,
    Version: '$LATEST',
    Environment: Object.keys(f.environment).length ? { Variables: f.environment } : undefined,
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: f.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${f.name}` },
  };
}

/** Resolves a FunctionName (+ Qualifier) to a stored function; only $LATEST exists. */
export function resolveFunction(deps: LambdaDeps, functionName: string, qualifier?: string): FunctionRecord {
  const ref = parseFunctionName(deps.scope, functionName);
  if (ref.qualifier !== undefined && qualifier !== undefined && ref.qualifier !== qualifier) {
    throw invalidParameter(`The derived qualifier from the function name does not match the specified qualifier.`);
  }
  const q = qualifier ?? ref.qualifier;
  const f = findFunction(deps.store, ref.name);
  const arn = functionArn(deps.scope, ref.name);
  if (!f) throw functionNotFound(q !== undefined && q !== '$LATEST' ? `${arn}:${q}` : arn);
  // Berth keeps $LATEST only: any other version or alias does not exist.
  if (q !== undefined && q !== '$LATEST') throw functionNotFound(`${arn}:${q}`);
  return f;
}

/** A zip from the request, refusing sources Berth does not take and oversized uploads. */
function zipOf(input: { ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; ImageUri?: string }, operation: string): Buffer {
  if (input.ImageUri !== undefined) throw invalidParameter('Berth runs .zip file archives only: container image functions (ImageUri, PackageType Image) are not supported.');
  if (input.S3Bucket !== undefined || input.S3Key !== undefined) throw invalidParameter('Berth takes the deployment package in Code.ZipFile only: S3Bucket/S3Key need S3, which Berth does not serve.');
  if (!input.ZipFile || input.ZipFile.length === 0) throw invalidParameter('Please provide a source for function code.');
  if (Math.ceil(input.ZipFile.length / 3) * 4 > MAX_ZIP_REQUEST_BYTES) throw requestTooLarge(MAX_ZIP_REQUEST_BYTES, operation);
  return input.ZipFile;
}

function refusePublish(input: { Publish?: boolean }): void {
  if (input.Publish) throw invalidParameter('Berth does not publish function versions: call without Publish (every function has $LATEST only).');
}

function checkStorage(deps: LambdaDeps, adding: number, replacing = 0): void {
  const used = totalCodeSize(deps.store);
  if (used - replacing + adding > deps.codeStorageLimit) throw codeStorageExceeded(`Code storage limit exceeded: ${used - replacing + adding} bytes would pass the limit of ${deps.codeStorageLimit} bytes.`);
}

/** Runs `fn` under the function's current RevisionId, refusing when `expected` names another. */
function checkRevision(f: FunctionRecord, expected?: string): void {
  if (expected !== undefined && expected !== f.revisionId) throw preconditionFailed();
}

interface CreateFunctionInput extends ConfigInput {
  FunctionName: string;
  Code: { ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; ImageUri?: string };
  Publish?: boolean;
  PackageType?: string;
  Tags?: Record<string, string>;
  Architectures?: string[];
}

/** The function operations. */
export function functionOperations(deps: LambdaDeps): Record<string, Operation> {
  return {
    CreateFunction: asyncOperation(async (input: CreateFunctionInput) => {
      const ref = parseFunctionName(deps.scope, input.FunctionName);
      if (ref.qualifier !== undefined) throw invalidParameter(`The function name ${input.FunctionName} may not carry a qualifier.`);
      if (input.PackageType === 'Image') zipOf({ ImageUri: '' }, 'CreateFunction');
      if (input.Architectures?.some((a) => a !== 'x86_64')) throw invalidParameter(`Berth runs functions on this machine as x86_64; Architectures ${JSON.stringify(input.Architectures)} is not supported.`);
      refusePublish(input);
      if (input.Runtime === undefined) throw invalidParameter('Runtime is required for a .zip file archive.');
      if (input.Handler === undefined) throw invalidParameter('Handler is required for a .zip file archive.');
      checkConfig(input);
      const zip = zipOf(input.Code, 'CreateFunction');
      const arn = functionArn(deps.scope, ref.name);
      const exists = () => {
        if (findFunction(deps.store, ref.name)) throw resourceConflict(`Function already exist: ${ref.name}`);
      };
      exists();
      checkStorage(deps, zip.length);
      const code = await storeCode(deps.root, ref.name, zip);
      const record: FunctionRecord = {
        name: ref.name,
        arn,
        runtime: input.Runtime,
        role: input.Role!,
        handler: input.Handler,
        description: input.Description ?? '',
        timeout: input.Timeout ?? 3,
        memorySize: input.MemorySize ?? 128,
        environment: input.Environment?.Variables ?? {},
        ...code,
        revisionId: randomUUID(),
        lastModified: lastModified(deps.now()),
        tags: input.Tags ?? {},
      };
      try {
        deps.store.transaction(() => {
          exists();
          insertFunction(deps.store, record);
        });
      } catch (err) {
        await removeCode(deps.root, ref.name, code.codeDir);
        throw err;
      }
      return configuration(record);
    }),

    GetFunction: (input: { FunctionName: string; Qualifier?: string }) => {
      const f = resolveFunction(deps, input.FunctionName, input.Qualifier);
      // No Code.Location: Berth keeps the unpacked code, not a downloadable package.
      return { Configuration: configuration(f), Code: { RepositoryType: 'S3' }, Tags: Object.keys(f.tags).length ? f.tags : undefined };
    },

    GetFunctionConfiguration: (input: { FunctionName: string; Qualifier?: string }) => configuration(resolveFunction(deps, input.FunctionName, input.Qualifier)),

    UpdateFunctionCode: asyncOperation(async (input: { FunctionName: string; ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; ImageUri?: string; Publish?: boolean; DryRun?: boolean; RevisionId?: string; Architectures?: string[] }) => {
      const f = resolveFunction(deps, input.FunctionName);
      checkRevision(f, input.RevisionId);
      refusePublish(input);
      const zip = zipOf(input, 'UpdateFunctionCode');
      checkStorage(deps, zip.length, f.codeSize);
      if (input.DryRun) return configuration(f);
      const code = await storeCode(deps.root, f.name, zip);
      let updated: FunctionRecord | undefined;
      let replaced = code.codeDir;
      try {
        updated = deps.store.transaction(() => {
          const now = findFunction(deps.store, f.name);
          if (!now) throw functionNotFound(f.arn);
          checkRevision(now, input.RevisionId);
          replaced = now.codeDir;
          const next = { ...now, ...code, revisionId: randomUUID(), lastModified: lastModified(deps.now()) };
          updateFunction(deps.store, next);
          return next;
        });
      } finally {
        // Whichever upload is no longer named goes (a running invocation keeps its open files).
        await removeCode(deps.root, f.name, updated ? replaced : code.codeDir);
      }
      return configuration(updated);
    }),

    UpdateFunctionConfiguration: (input: ConfigInput & { FunctionName: string; RevisionId?: string }) => {
      const f = resolveFunction(deps, input.FunctionName);
      checkRevision(f, input.RevisionId);
      checkConfig(input);
      const next: FunctionRecord = {
        ...f,
        role: input.Role ?? f.role,
        handler: input.Handler ?? f.handler,
        description: input.Description ?? f.description,
        timeout: input.Timeout ?? f.timeout,
        memorySize: input.MemorySize ?? f.memorySize,
        environment: input.Environment ? (input.Environment.Variables ?? {}) : f.environment,
        runtime: input.Runtime ?? f.runtime,
        revisionId: randomUUID(),
        lastModified: lastModified(deps.now()),
      };
      updateFunction(deps.store, next);
      return configuration(next);
    },

    DeleteFunction: asyncOperation(async (input: { FunctionName: string; Qualifier?: string }) => {
      const f = resolveFunction(deps, input.FunctionName, input.Qualifier);
      if (input.Qualifier === '$LATEST') throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      deps.store.transaction(() => deleteFunction(deps.store, f.name));
      await removeCode(deps.root, f.name);
      return { StatusCode: 204 };
    }),

    ListFunctions: (input: { Marker?: string; MaxItems?: number; FunctionVersion?: string; MasterRegion?: string }) => {
      if (input.MasterRegion !== undefined) throw invalidParameter('Berth has no Lambda@Edge replicas: MasterRegion is not supported.');
      let after = '';
      if (input.Marker !== undefined) {
        const decoded = Buffer.from(input.Marker, 'base64url').toString('utf8');
        if (!decoded.startsWith('fn:')) throw invalidParameter(`The marker ${input.Marker} is not valid: pass the NextMarker of a previous ListFunctions response.`);
        after = decoded.slice(3);
      }
      const limit = Math.min(input.MaxItems ?? LIST_PAGE_MAX, LIST_PAGE_MAX);
      const page = listFunctions(deps.store, after, limit + 1);
      const more = page.length > limit;
      const shown = page.slice(0, limit);
      return { Functions: shown.map(configuration), NextMarker: more ? Buffer.from(`fn:${shown.at(-1)!.name}`).toString('base64url') : undefined };
    },
  };
}
