/**
 * The one HTTP endpoint for every AWS service Berth serves: reads the request, verifies SigV4,
 * resolves the protocol, service and operation, checks input against the model, runs the
 * operation (in one transaction), shapes the output, and encodes errors at this one boundary.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  BerthError,
  MissingAuthenticationTokenError,
  RequestEntityTooLargeError,
  SerializationError,
  SignatureDoesNotMatchError,
  UnknownServiceError,
  UnsupportedOperationError,
  toBerthError,
} from '../errors/index.js';
import { checkInput, formatConstraintErrors, shapeOutput } from '../model/index.js';
import type { Store } from '../state/index.js';
import { GroupCommit } from './group-commit.js';
import { createJsonProtocol } from './protocols/json.js';
import { createQueryProtocol } from './protocols/query.js';
import { createRestJsonProtocol } from './protocols/rest-json.js';
import { createRpcV2CborProtocol } from './protocols/rpcv2-cbor.js';
import type { IncomingCall, OutgoingResponse, Protocol, ResolvedCall } from './protocols/protocol.js';
import type { CallContext, ServiceDefinition } from './service.js';
import { hasSignature, verifySigV4, type SecretLookup } from './sigv4.js';

/** Options for {@link ApiServer}. */
export interface ApiServerOptions {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  region: string;
  accountId: string;
  services: readonly ServiceDefinition[];
  store: Store;
  /** The secret of an access key id, or undefined when unknown. */
  secrets: SecretLookup;
  /** Largest request body accepted, in bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Where request failures inside Berth are reported (never request bodies). */
  log?: (line: string) => void;
  /** Berth's own metrics in the Prometheus text format, served unsigned at `GET /metrics` (services/cloudwatch/producers.ts). */
  metricsText?: () => string;
}

/** The API endpoint as a long-running component. */
export class ApiServer {
  private readonly server: http.Server;
  private readonly protocols: Protocol[];
  /** Answers failures no protocol claimed (awsJson, as AWS's front end does). */
  private readonly fallback: Protocol;
  private readonly maxBody: number;
  private ready = false;
  /** Synchronous operations commit in batches (one fsync per batch), each call in its own savepoint. */
  private readonly commits: GroupCommit;

  constructor(private readonly opts: ApiServerOptions) {
    this.maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
    // rpcv2Cbor first: its path (`/service/X/operation/Y`) and smithy-protocol header say so alone.
    // restJson before awsQuery: a call signed for a restJson service is restJson whatever its body.
    this.fallback = createJsonProtocol(opts.services, { maxInflatedBytes: this.maxBody });
    this.protocols = [
      createRpcV2CborProtocol(opts.services, { maxInflatedBytes: this.maxBody }),
      this.fallback,
      createRestJsonProtocol(opts.services),
      createQueryProtocol(opts.services, { maxInflatedBytes: this.maxBody }),
    ];
    this.commits = new GroupCommit(opts.store);
    this.server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 120_000 }, (req, res) => this.onRequest(req, res));
  }

  /** Listens until `signal` aborts, then closes gracefully (in-flight calls finish). */
  async start(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.ready = true;
    if (signal.aborted) return this.close();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  /** Waits until the server listens. */
  async listening(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve) => this.server.once('listening', () => resolve()));
  }

  /** The address actually bound (useful with port 0). */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  private async close(): Promise<void> {
    this.ready = false;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = randomUUID();
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      this.handle(req, tooLarge ? null : Buffer.concat(chunks), requestId)
        .catch((err) => this.fail(err, requestId, undefined, undefined))
        .then((out) => send(res, out, requestId));
    });
  }

  private async handle(req: http.IncomingMessage, body: Buffer | null, requestId: string): Promise<OutgoingResponse> {
    const url = new URL(req.url ?? '/', 'http://berth');
    if (req.method === 'GET' && url.pathname === '/_berth/health') {
      return { statusCode: this.ready ? 200 : 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: this.ready ? 'ok' : 'starting' }) };
    }
    if (req.method === 'GET' && url.pathname === '/metrics' && this.opts.metricsText) {
      return { statusCode: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, body: this.opts.metricsText() };
    }
    const call: IncomingCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: queryOf(url),
      headers: headersOf(req),
      body: body ?? Buffer.alloc(0),
    };
    const protocol = this.protocols.find((p) => p.matches(call));
    let resolved: ResolvedCall | undefined;
    try {
      if (body === null) throw new RequestEntityTooLargeError(`Request body is larger than ${this.maxBody} bytes.`);
      if (!hasSignature(call)) throw new MissingAuthenticationTokenError();
      const signer = await verifySigV4(call, this.opts.secrets);
      if (!protocol) {
        throw new UnknownServiceError('The request does not name an AWS service operation Berth serves (no X-Amz-Target header, no Action parameter, not signed for a REST service).');
      }
      resolved = protocol.resolve(call, signer);
      const signingName = resolved.service.model.metadata.signingName ?? resolved.service.model.metadata.endpointPrefix;
      // AWS answers a credential scoped to another region or service as a signature mismatch
      // (InvalidSignatureException / SignatureDoesNotMatch, 403), with these messages.
      if (signer.region !== this.opts.region) {
        throw new SignatureDoesNotMatchError(`Credential should be scoped to a valid region, not '${signer.region}'. This endpoint serves '${this.opts.region}'.`);
      }
      if (signer.service !== signingName) {
        throw new SignatureDoesNotMatchError(`Credential should be scoped to correct service: '${signingName}'.`);
      }
      const ctx: CallContext = { requestId, accountId: this.opts.accountId, region: this.opts.region, accessKeyId: signer.accessKeyId };
      const output = await this.invoke(resolved, ctx, protocol);
      return protocol.encodeOutput(resolved, output, requestId);
    } catch (err) {
      return this.fail(err, requestId, protocol, resolved?.service ?? protocol?.serviceOf?.(call));
    }
  }

  private async invoke(call: ResolvedCall, ctx: CallContext, protocol: Protocol): Promise<unknown> {
    const { service, operation } = call;
    const opModel = service.model.operations[operation];
    let input: unknown = {};
    if (opModel.input) {
      const { value, problems } = checkInput(service.model, opModel.input.shape, call.input);
      if (problems.typeErrors.length) throw new SerializationError(problems.typeErrors[0]);
      if (problems.constraintErrors.length) {
        const reword = protocol.rewordConstraintError;
        throw service.validationError(formatConstraintErrors(reword ? problems.constraintErrors.map(reword) : problems.constraintErrors));
      }
      input = value;
    }
    // Input is checked against the model first, as AWS's front end does, so bad input gets the
    // same answer whether or not Berth has built the operation.
    const handler = service.operations[operation];
    if (!handler) throw new UnsupportedOperationError(service.model.metadata.serviceId, operation, service.unsupportedCode);
    const result = handler.async
      ? await handler(input, ctx)
      : service.isReadOnly?.(operation)
        ? this.opts.store.db.transaction(() => handler(input, ctx))()
        : await this.commits.run(() => handler(input, ctx));
    return opModel.output ? shapeOutput(service.model, opModel.output.shape, result ?? {}, protocol.encodeTimestamp) : {};
  }

  private fail(err: unknown, requestId: string, protocol: Protocol | undefined, service: ServiceDefinition | undefined): OutgoingResponse {
    const error = toBerthError(err);
    if (!(err instanceof BerthError) || error.statusCode >= 500) {
      this.opts.log?.(`request ${requestId} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    return (protocol ?? this.fallback).encodeError(error, requestId, service);
  }
}

function send(res: http.ServerResponse, out: OutgoingResponse, requestId: string): void {
  if (res.destroyed) return;
  const body = typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
  res.writeHead(out.statusCode, {
    ...out.headers,
    'x-amzn-requestid': requestId,
    date: new Date().toUTCString(),
    'content-length': String(body.length),
  });
  res.end(body);
}

function headersOf(req: http.IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
