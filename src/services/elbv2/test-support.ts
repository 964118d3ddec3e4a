/**
 * Unit-test support: an ELBv2 service over an in-memory (or given) store, called the way api/
 * calls it (input checked against the model, output shaped by the model), without HTTP.
 */
import assert from 'node:assert/strict';
import { callOperation, testContext } from '../../api/test-support.js';
import type { LoadBalancerEngine } from '../../lb/config.js';
import { Store } from '../../state/index.js';
import { hostInstanceId } from './addresses.js';
import { createElbv2, type Elbv2 } from './index.js';

/** The account and region unit tests mint ARNs in. */
export const TEST_SCOPE = { accountId: '123456789012', region: 'us-east-1' };
/** The one instance id `instance` targets may name in {@link TEST_SCOPE}. */
export const TEST_INSTANCE = hostInstanceId(TEST_SCOPE.accountId);

/** A harness around one ELBv2 service. */
export interface Harness {
  store: Store;
  elbv2: Elbv2;
  /** Calls an operation as api/ would; resolves to its shaped output. */
  call(op: string, input: object): Promise<any>;
  /** Asserts the call fails with `code` and a message matching `message`. */
  fails(op: string, input: object, code: string, message?: RegExp): Promise<void>;
  /** Creates an application load balancer; returns its wire form. */
  lb(name?: string, extra?: object): Promise<any>;
  /** Creates an HTTP target group; returns its wire form. */
  tg(name?: string, extra?: object): Promise<any>;
  /** Creates an HTTP listener forwarding to `tgArn` (a fixed 404 when absent); returns its wire form. */
  listener(lbArn: string, port: number, tgArn?: string): Promise<any>;
}

const ctx = testContext(TEST_SCOPE);

/** A harness over `store` (a new in-memory one by default). */
export function harness(opts: { store?: Store; engine?: LoadBalancerEngine; hostsFile?: string } = {}): Harness {
  const store = opts.store ?? Store.openFile(':memory:');
  const elbv2 = createElbv2({ store, scope: TEST_SCOPE, engine: opts.engine, hostsFile: opts.hostsFile });
  const { service } = elbv2;
  const call = (op: string, input: object) => callOperation(store, service, ctx, op, input);
  const h: Harness = {
    store,
    elbv2,
    call,
    async fails(op, input, code, message) {
      let caught: any;
      await call(op, input).catch((e) => (caught = e));
      assert.ok(caught, `expected ${op} to fail with ${code}`);
      assert.equal(caught.code, code, caught.message);
      if (message) assert.match(caught.message, message);
    },
    async lb(name = 'web', extra = {}) {
      return (await call('CreateLoadBalancer', { Name: name, ...extra })).LoadBalancers[0];
    },
    async tg(name = 'app', extra = {}) {
      return (await call('CreateTargetGroup', { Name: name, Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-0abc', ...extra })).TargetGroups[0];
    },
    async listener(lbArn, port, tgArn) {
      const action = tgArn ? { Type: 'forward', TargetGroupArn: tgArn } : { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } };
      return (await call('CreateListener', { LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [action] })).Listeners[0];
    },
  };
  return h;
}
