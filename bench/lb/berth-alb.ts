/**
 * Berth's side: a real Berth (`berth up --port 0`, fresh data dir, the task agent off: only the
 * control plane and the load balancer run) with an Application Load Balancer built through the
 * ELBv2 API the way a user would: two target groups on the backend's two ports (one `ip` target
 * 127.0.0.1, one `instance` target: Berth's host), a listener whose default action is a
 * fixed-response 404 (so a request that misses the rule shows up as an error), and a path rule
 * on the bench path forwarding to both groups 50/50 (a weighted ForwardConfig). Resolves once
 * DescribeTargetHealth shows both targets healthy.
 */
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { hostInstanceId } from '../../src/services/elbv2/index.js';
import { until } from '../../test/fixtures/http.js';
import { startManagedBerth, type ManagedBerth } from '../shared/lifecycle.js';
import { cpuProfileEnv, freePort } from './processes.js';

/** A Berth serving the benchmark's load balancer. */
export interface BerthAlb {
  managed: ManagedBerth;
  pid: number;
  /** The load balancer's own loopback address and the listener's port. */
  address: string;
  port: number;
  dnsName: string;
}

/** Starts Berth and builds the load balancer described above, forwarding `benchPath`'s prefix to `backendPorts`. */
export async function startBerthAlb(o: { backendPorts: [number, number]; pathPattern: string; cpuProfDir?: string; lbWorkers?: number }): Promise<BerthAlb> {
  const env: NodeJS.ProcessEnv = { BERTH_AGENT: 'off', BERTH_LB_WORKERS: String(o.lbWorkers ?? 0), ...(o.cpuProfDir ? cpuProfileEnv(o.cpuProfDir, 'berth-lb') : {}) };
  const managed = await startManagedBerth({ env });
  const { berth } = managed;
  const elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  try {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'bench-lb', Type: 'application' }))).LoadBalancers![0];
    const address = lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    const account = lb.LoadBalancerArn!.split(':')[4];
    // Checks often enough that the targets turn healthy quickly; one passing check suffices for a new target.
    const hc = { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthCheckPath: '/health' };
    const tgA = (await elb.send(new CreateTargetGroupCommand({ Name: 'bench-a', Protocol: 'HTTP', Port: o.backendPorts[0], VpcId: lb.VpcId, TargetType: 'ip', ...hc })))
      .TargetGroups![0].TargetGroupArn!;
    const tgB = (await elb.send(new CreateTargetGroupCommand({ Name: 'bench-b', Protocol: 'HTTP', Port: o.backendPorts[1], VpcId: lb.VpcId, TargetType: 'instance', ...hc })))
      .TargetGroups![0].TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgA, Targets: [{ Id: '127.0.0.1' }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgB, Targets: [{ Id: hostInstanceId(account) }] }));
    const port = await freePort(address);
    const listener = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: port,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no rule matched' } }],
        }),
      )
    ).Listeners![0];
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener.ListenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [o.pathPattern] } }],
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: tgA, Weight: 50 },
                { TargetGroupArn: tgB, Weight: 50 },
              ],
            },
          },
        ],
      }),
    );
    for (const tg of [tgA, tgB]) {
      await until(
        `the target of ${tg.split('/')[1]} to be healthy`,
        async () => {
          const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
          return d.length > 0 && d.every((t) => t.TargetHealth?.State === 'healthy') ? true : undefined;
        },
        60_000,
      );
    }
    return { managed, pid: berth.process.pid ?? 0, address, port, dnsName: lb.DNSName ?? '' };
  } finally {
    elb.destroy();
  }
}
