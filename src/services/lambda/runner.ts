/**
 * Runs invocations for real: each one is a fresh child process (no warm reuse) started in the
 * function's task root with the runtime bootstrap (runtime/), Lambda's environment variables,
 * Berth's credentials and `AWS_ENDPOINT_URL`. The runner enforces the function's timeout and
 * memory (Node's heap limit, and a watch on the process's resident memory), sends its output to
 * CloudWatch Logs group /aws/lambda/NAME with START/END/REPORT lines, and answers with the
 * payload or the runtime's error.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogWriter } from '../logs/writer.js';
import { taskRoot } from './code.js';
import type { FunctionRecord } from './records.js';
import { PYTHON_BOOTSTRAP } from './runtime/python-bootstrap.js';
import { runtimeCommand } from './runtimes.js';

/** The largest response payload of a synchronous invocation (6 MB, as Lambda). */
export const MAX_RESPONSE_BYTES = 6_291_456;
/** The log tail Invoke returns with LogType Tail: the last 4 KB. */
export const LOG_TAIL_BYTES = 4096;

const NODE_BOOTSTRAP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runtime', 'node-bootstrap.js');

/** What the runner needs from Berth. */
export interface RunnerOptions {
  /** The Lambda data folder (code.ts). */
  root: string;
  region: string;
  /** Where function output goes; without one, output is only in the log tail. */
  logWriter?: Pick<LogWriter, 'append'>;
  /** Berth's API endpoint (`http://host:port`), once it listens. */
  endpoint?: () => string | undefined;
  /** The key pair functions call Berth with. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  log?: (line: string) => void;
}

/** The outcome of one invocation. */
export interface InvocationResult {
  payload: Buffer;
  /** `Unhandled` when the function failed. */
  functionError?: string;
  /** The invocation's log lines (START to REPORT). */
  logs: string;
}

/** Reserved environment variables a function may not set (Lambda's list). */
export const RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

/** A log stream name as Lambda names one execution environment's: `YYYY/MM/DD/[$LATEST]hex`. */
function streamName(now: Date): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${d}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/** Resident memory of a process in MB, from /proc (undefined where there is none). */
function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Starts and watches function processes. */
export class Runner {
  private readonly children = new Set<import('node:child_process').ChildProcess>();
  private stopped = false;

  constructor(private readonly opts: RunnerOptions) {}

  /** Invocations running now. */
  get running(): number {
    return this.children.size;
  }

  /** Runs one invocation of `fn` with `payload` (JSON text) to its end. */
  invoke(fn: FunctionRecord, payload: string, requestId: string): Promise<InvocationResult> {
    const { kind, command } = runtimeCommand(fn.runtime);
    const started = new Date();
    const stream = streamName(started);
    const group = `/aws/lambda/${fn.name}`;
    const root = taskRoot(this.opts.root, fn.name, fn.codeDir);
    const endpoint = this.opts.endpoint?.();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      ...(endpoint ? { AWS_ENDPOINT_URL: endpoint } : {}),
      ...fn.environment,
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_REGION: this.opts.region,
      AWS_DEFAULT_REGION: this.opts.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: group,
      AWS_LAMBDA_LOG_STREAM_NAME: stream,
      LAMBDA_TASK_ROOT: root,
      LAMBDA_RUNTIME_DIR: path.dirname(NODE_BOOTSTRAP),
      ...(this.opts.credentials ? { AWS_ACCESS_KEY_ID: this.opts.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: this.opts.credentials.secretAccessKey } : {}),
    };
    if (kind === 'python') env.PYTHONUNBUFFERED = '1';
    const args = kind === 'node' ? [`--max-old-space-size=${Math.max(16, Math.floor(fn.memorySize * 0.9))}`, NODE_BOOTSTRAP] : ['-u', '-c', PYTHON_BOOTSTRAP];

    const lines: string[] = [];
    const emit = (message: string) => {
      lines.push(message);
      this.opts.logWriter?.append({ group, stream, createGroup: true }, [{ timestamp: Date.now(), message }]);
    };
    emit(`START RequestId: ${requestId} Version: $LATEST`);

    return new Promise<InvocationResult>((resolve) => {
      // Its own process group, so a timeout or memory kill also ends what the function started.
      const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
      this.children.add(child);
      const t0 = performance.now();
      let outcome = '';
      let killedFor: 'timeout' | 'memory' | 'stop' | undefined;
      let maxRss = 0;
      const kill = (why: typeof killedFor) => {
        killedFor ??= why;
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      if (this.stopped) kill('stop');
      const first = child.pid ? rssMb(child.pid) : undefined;
      if (first !== undefined) maxRss = first;
      const timer = setTimeout(() => kill('timeout'), fn.timeout * 1000);
      const watch = setInterval(() => {
        const rss = child.pid ? rssMb(child.pid) : undefined;
        if (rss === undefined) return;
        maxRss = Math.max(maxRss, rss);
        if (rss > fn.memorySize) kill('memory');
      }, 100);
      const lineReader = (source: NodeJS.ReadableStream) => {
        let partial = '';
        source.setEncoding('utf8');
        source.on('data', (chunk: string) => {
          const parts = (partial + chunk).split('\n');
          partial = parts.pop()!;
          for (const p of parts) if (p !== '') emit(p);
        });
        source.on('end', () => {
          if (partial !== '') emit(partial);
        });
      };
      lineReader(child.stdout!);
      lineReader(child.stderr!);
      const result = child.stdio[3] as NodeJS.ReadableStream;
      result.setEncoding('utf8');
      result.on('data', (c: string) => {
        if (outcome.length <= MAX_RESPONSE_BYTES * 2) outcome += c;
      });
      child.stdin!.on('error', () => {}); // the child may exit before reading it all
      child.stdin!.end(JSON.stringify({ payload, requestId, invokedFunctionArn: fn.arn, deadlineMs: Date.now() + fn.timeout * 1000 }));

      let spawnError: Error | undefined;
      let settled = false;
      const settle = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        this.children.delete(child);
        const ms = performance.now() - t0;
        let body: string;
        let functionError: string | undefined;
        const parsed = (() => {
          try {
            return JSON.parse(outcome.trim().split('\n')[0]) as { ok: boolean; payload?: string; error?: object; maxRssKb?: number };
          } catch {
            return undefined;
          }
        })();
        // The runtime's own peak (getrusage) catches what the 100 ms watch missed in a short run.
        if (typeof parsed?.maxRssKb === 'number') maxRss = Math.max(maxRss, parsed.maxRssKb / 1024);
        if (killedFor === 'timeout') {
          const secs = fn.timeout.toFixed(2);
          emit(`${new Date().toISOString()} ${requestId} Task timed out after ${secs} seconds`);
          body = JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${secs} seconds` });
          functionError = 'Unhandled';
        } else if (killedFor === 'memory') {
          body = JSON.stringify({ errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed` });
          emit(body);
          functionError = 'Unhandled';
        } else if (parsed?.ok && typeof parsed.payload === 'string') {
          body = parsed.payload;
          if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
            body = JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).` });
            functionError = 'Unhandled';
          }
        } else if (parsed && !parsed.ok && parsed.error) {
          body = JSON.stringify(parsed.error);
          functionError = 'Unhandled';
        } else {
          const how = spawnError ? `could not start: ${spawnError.message}` : signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code}`;
          body = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}` });
          emit(body);
          functionError = 'Unhandled';
        }
        emit(`END RequestId: ${requestId}`);
        const status = killedFor === 'timeout' ? '\tStatus: timeout' : killedFor === 'memory' ? '\tStatus: error\tError Type: Runtime.OutOfMemory' : '';
        emit(
          `REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(ms))} ms\tMemory Size: ${fn.memorySize} MB\tMax Memory Used: ${Math.ceil(maxRss)} MB${status}\t`,
        );
        resolve({ payload: Buffer.from(body), functionError, logs: lines.join('\n') + '\n' });
      };
      child.on('close', settle);
      // A process that never started (the interpreter went away) may not emit 'close'.
      child.on('error', (err) => {
        spawnError = err;
        if (child.pid === undefined) settle(null, null);
      });
    });
  }

  /** Kills every running invocation (Berth is stopping). */
  stop(): void {
    this.stopped = true;
    for (const c of this.children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
  }
}

/** The last {@link LOG_TAIL_BYTES} of `logs`, base64 (Invoke's X-Amz-Log-Result). */
export function logTail(logs: string): string {
  const b = Buffer.from(logs);
  return b.subarray(Math.max(0, b.length - LOG_TAIL_BYTES)).toString('base64');
}
