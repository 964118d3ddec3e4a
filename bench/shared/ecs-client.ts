/** The one ECS client configuration the benchmarks use against every target. */
import http from 'node:http';
import { ECSClient } from '@aws-sdk/client-ecs';

/** Where a target answers and how to sign for it. */
export interface TargetEndpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The one client configuration every target gets: keep-alive, a socket per call in flight, no retries. */
export function benchClient(t: TargetEndpoint, concurrency: number): ECSClient {
  return new ECSClient({
    endpoint: t.endpoint,
    region: t.region,
    credentials: t.credentials,
    maxAttempts: 1,
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency }),
      requestTimeout: 30_000,
      connectionTimeout: 5_000,
    },
  });
}
