/**
 * The one CloudWatch client configuration the metrics bench uses against every target: the
 * same SDK, the same wire protocol, keep-alive sockets, no retries.
 */
import http from 'node:http';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import type { TargetEndpoint } from '../shared/ecs-client.js';
import type { Protocol } from './options.js';

/** What each protocol is called on the wire, for the report. */
export const PROTOCOL_NAMES: Record<Protocol, string> = {
  json: 'awsJson1_0 (application/x-amz-json-1.0, the SDK default in this version)',
  query: 'awsQuery (form-encoded request, XML answer)',
  cbor: 'rpcv2Cbor (application/cbor)',
};

/**
 * A client for `t`: `maxSockets` keep-alive sockets, `maxAttempts: 1` (an error is counted, not
 * retried), calls abandoned after `callTimeoutS`. `protocol` picks the wire format; the SDK's own
 * default (json) is left untouched so that run is what an application gets, except for one thing:
 * request compression is off. The SDK gzips PutMetricData bodies over 10 KB (each of the bench's
 * calls), and moto_server 5.2 cannot read them (it decompresses the body twice and answers 500),
 * so both targets get plain bodies.
 */
export function cloudWatchClient(t: TargetEndpoint, maxSockets: number, callTimeoutS: number, protocol: Protocol): CloudWatchClient {
  return new CloudWatchClient({
    endpoint: t.endpoint,
    region: t.region,
    credentials: t.credentials,
    maxAttempts: 1,
    disableRequestCompression: true,
    ...(protocol === 'query' ? { protocol: AwsQueryProtocol } : protocol === 'cbor' ? { protocol: AwsSmithyRpcV2CborProtocol } : {}),
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }),
      requestTimeout: callTimeoutS * 1000,
      connectionTimeout: 5_000,
    },
  });
}
