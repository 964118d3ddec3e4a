/**
 * A request body as the client meant it: undone from a gzip `Content-Encoding` when the client
 * compressed it (the SDKs and botocore gzip CloudWatch PutMetricData bodies over 10 KiB, in every
 * protocol, as the operation's `requestcompression` trait asks), within a size limit.
 */
import { gunzipSync } from 'node:zlib';
import type { BerthError } from '../../errors/index.js';
import type { IncomingCall } from './protocol.js';

/**
 * The body of `call`, inflated when gzip-encoded; at most `maxInflated` bytes once inflated.
 * `refuse` makes the protocol's error for an encoding it cannot read or a body that will not inflate.
 */
export function decodedBody(call: IncomingCall, maxInflated: number, refuse: (message: string) => BerthError): Buffer {
  const encoding = (call.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (encoding === '' || encoding === 'identity' || call.body.length === 0) return call.body;
  if (encoding !== 'gzip') throw refuse(`Content-Encoding '${encoding}' is not supported: send the body uncompressed or gzip-compressed.`);
  try {
    return gunzipSync(call.body, { maxOutputLength: maxInflated });
  } catch (err) {
    throw refuse(`The gzip-compressed request body could not be inflated (at most ${maxInflated} bytes): ${(err as Error).message}`);
  }
}
