import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import { hostInstanceId } from '../../src/services/elbv2/index.js';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { freePort, getFrom as get } from '../fixtures/http.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;

describe('ELBv2 through the AWS CLI v2', { skip: skipCli }, () => {
  let berth: TestBerth;
  let server: http.Server;
  let backendPort: number;
  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI_V2, ['elbv2', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 120_000 });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  /** Runs a command that must fail; returns its stderr. */
  const awsFails = async (...args: string[]) => {
    const err: any = await run(AWS_CLI_V2, ['elbv2', ...args, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: 120_000 }).then(
      () => assert.fail(`aws elbv2 ${args[0]} should have failed`),
      (e) => e,
    );
    assert.equal(err.code, 254, err.stderr);
    return String(err.stderr);
  };
  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off' } });
    server = http.createServer((req, res) => res.end(`backend ${req.headers.host} ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    backendPort = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await berth?.cleanup();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('sets up an internal ALB with host and path rules, waits for it and its target, and routes real requests', async () => {
    const lb = (await aws('create-load-balancer', '--name', 'cli-alb', '--scheme', 'internal', '--subnets', 'subnet-0a', 'subnet-0b', '--security-groups', 'sg-0123')).LoadBalancers[0];
    assert.match(lb.DNSName, /^internal-cli-alb-\d{10}\.us-east-1\.elb\.localhost$/);
    await aws('wait', 'load-balancer-available', '--names', 'cli-alb');
    const address = lb.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress;
    const tg = (await aws('create-target-group', '--name', 'cli-app', '--protocol', 'HTTP', '--port', String(backendPort), '--vpc-id', lb.VpcId,
      '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2', '--matcher', 'HttpCode=200-299')).TargetGroups[0];
    assert.equal(tg.Matcher.HttpCode, '200-299');
    const instance = hostInstanceId(lb.LoadBalancerArn.split(':')[4]);
    await aws('register-targets', '--target-group-arn', tg.TargetGroupArn, '--targets', `Id=${instance}`);
    const port = await freePort(address);
    const listener = (await aws('create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(port),
      '--default-actions', 'Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=nothing here}')).Listeners[0];
    await aws('create-rule', '--listener-arn', listener.ListenerArn, '--priority', '5', '--conditions', 'Field=path-pattern,Values=/app/*', '--actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`);
    await aws('create-rule', '--listener-arn', listener.ListenerArn, '--priority', '7',
      '--conditions', JSON.stringify([{ Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } }]),
      '--actions', JSON.stringify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg.TargetGroupArn, Weight: 10 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } } }]));
    const rules = (await aws('describe-rules', '--listener-arn', listener.ListenerArn)).Rules;
    assert.deepEqual(rules.map((r: any) => [r.Priority, r.IsDefault]), [['5', false], ['7', false], ['default', true]]);
    assert.deepEqual(rules[1].Conditions[0].HostHeaderConfig.Values, ['*.example.com']);
    await aws('wait', 'target-in-service', '--target-group-arn', tg.TargetGroupArn);
    const health = (await aws('describe-target-health', '--target-group-arn', tg.TargetGroupArn)).TargetHealthDescriptions;
    assert.deepEqual(health.map((h: any) => [h.Target.Id, h.Target.Port, h.TargetHealth.State]), [[instance, backendPort, 'healthy']]);
    assert.deepEqual(await get(address, port, '/app/page'), { status: 200, body: `backend ${address}:${port} /app/page` });
    assert.deepEqual(await get(address, port, '/x', { host: 'shop.example.com' }), { status: 200, body: 'backend shop.example.com /x' });
    assert.deepEqual(await get(address, port, '/x'), { status: 404, body: 'nothing here' });
    const attrs = (await aws('modify-load-balancer-attributes', '--load-balancer-arn', lb.LoadBalancerArn, '--attributes', 'Key=idle_timeout.timeout_seconds,Value=30')).Attributes;
    assert.ok(attrs.some((a: any) => a.Key === 'idle_timeout.timeout_seconds' && a.Value === '30'));
    const tgAttrs = (await aws('modify-target-group-attributes', '--target-group-arn', tg.TargetGroupArn, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=0')).Attributes;
    assert.ok(tgAttrs.some((a: any) => a.Key === 'deregistration_delay.timeout_seconds' && a.Value === '0'));

    // AWS's errors, as the CLI prints them.
    assert.match(await awsFails('create-rule', '--listener-arn', listener.ListenerArn, '--priority', '5', '--conditions', 'Field=path-pattern,Values=/b', '--actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`),
      /An error occurred \(PriorityInUse\) when calling the CreateRule operation(?: \(reached max retries: \d+\))?: Priority '5' is currently in use/);
    assert.match(await awsFails('delete-target-group', '--target-group-arn', tg.TargetGroupArn), /\(ResourceInUse\).*currently in use by a listener or a rule/);
    assert.match(await awsFails('create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(port), '--default-actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`), /\(DuplicateListener\)/);
    assert.match(await awsFails('create-target-group', '--name=-bad', '--protocol', 'HTTP', '--port', '80', '--vpc-id', 'vpc-1'), /\(ValidationError\).*cannot begin or end with '-'/);
    assert.match(await awsFails('register-targets', '--target-group-arn', tg.TargetGroupArn, '--targets', 'Id=i-0fffffffffffffff0'), /\(InvalidTarget\)/);

    await aws('delete-load-balancer', '--load-balancer-arn', lb.LoadBalancerArn);
    assert.match(await awsFails('describe-load-balancers', '--names', 'cli-alb'), /\(LoadBalancerNotFound\)/);
    await assert.rejects(get(address, port, '/app/page'));
    await aws('delete-target-group', '--target-group-arn', tg.TargetGroupArn);
  });
});
