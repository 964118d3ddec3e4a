import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLoadBalancerEngine } from '../../lb/index.js';
import { Store } from '../../state/index.js';
import { harness, TEST_INSTANCE } from './test-support.js';
import { namedBackend as backend, freePort, getFrom as get, until } from '../../../test/fixtures/http.js';

/** A real backend on 127.0.0.1 answering with its name. */

/** A port free on `address` right now. */

async function isFree(address: string, port: number): Promise<boolean> {
  const s = net.createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(port, address, () => r(true));
  });
  if (ok) await new Promise((r) => s.close(r));
  return ok;
}

const addressOf = (lb: any) => lb.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress as string;

describe('ELBv2 driving the data plane', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('serves real HTTP through a listener: forward to a healthy target, a path rule, and health from the engine', async () => {
    const engine = createLoadBalancerEngine({ timeScale: 0.1 });
    cleanups.push(() => engine.close());
    const h = harness({ engine });
    const be = await backend('one');
    cleanups.push(() => be.close());
    const lb = await h.lb('web');
    const tg = (await h.tg('app', { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 })).TargetGroupArn;
    await h.call('RegisterTargets', { TargetGroupArn: tg, Targets: [{ Id: TEST_INSTANCE, Port: be.port }] });
    const port = await freePort(addressOf(lb));
    const l = await h.listener(lb.LoadBalancerArn, port, tg);
    await h.call('CreateRule', { ListenerArn: l.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/teapot*'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain', MessageBody: 'short and stout' } }] });
    const healthy = await until('a healthy target', async () => {
      const d = (await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions;
      return d[0]?.TargetHealth.State === 'healthy' ? d : undefined;
    });
    assert.deepEqual(healthy[0].TargetHealth, { State: 'healthy' });
    assert.deepEqual(await get(addressOf(lb), port, '/hello'), { status: 200, body: 'one /hello' });
    assert.deepEqual(await get(addressOf(lb), port, '/teapot/1'), { status: 418, body: 'short and stout' });
    // Deleting the load balancer closes its listener.
    await h.call('DeleteLoadBalancer', { LoadBalancerArn: lb.LoadBalancerArn });
    await assert.rejects(get(addressOf(lb), port, '/hello'));
  });

  it('gives each load balancer its own address, so two can listen on the same port', async () => {
    const engine = createLoadBalancerEngine({ timeScale: 0.1 });
    cleanups.push(() => engine.close());
    const h = harness({ engine });
    const [a, b] = [await h.lb('alpha'), await h.lb('beta')];
    assert.notEqual(addressOf(a), addressOf(b));
    const port = await until('a port free on both addresses', async () => {
      const p = await freePort(addressOf(a));
      return (await freePort(addressOf(b)).then(() => true)) && (await isFree(addressOf(b), p)) ? p : undefined;
    });
    for (const [lb, body] of [[a, 'from alpha'], [b, 'from beta']] as const) {
      await h.call('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: body } }] });
    }
    assert.deepEqual(await get(addressOf(a), port, '/'), { status: 200, body: 'from alpha' });
    assert.deepEqual(await get(addressOf(b), port, '/'), { status: 200, body: 'from beta' });
  });

  it('reports a deregistered target with a request in flight as draining (Target.DeregistrationInProgress) until it finishes', async () => {
    const engine = createLoadBalancerEngine({ timeScale: 0.1 });
    cleanups.push(() => engine.close());
    const h = harness({ engine });
    // A backend that holds /slow until released.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const server = http.createServer((req, res) => (req.url === '/slow' ? void held.then(() => res.end('slow done')) : res.end('ok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => { release(); server.closeAllConnections(); server.close(r); }));
    const bePort = (server.address() as net.AddressInfo).port;
    const lb = await h.lb('web');
    const tg = (await h.tg('app', { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 })).TargetGroupArn;
    await h.call('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '600' }] });
    await h.call('RegisterTargets', { TargetGroupArn: tg, Targets: [{ Id: TEST_INSTANCE, Port: bePort }] });
    const port = await freePort(addressOf(lb));
    await h.listener(lb.LoadBalancerArn, port, tg);
    await until('a healthy target', async () => ((await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions[0]?.TargetHealth.State === 'healthy' ? true : undefined));
    const slow = get(addressOf(lb), port, '/slow');
    await until('the request in flight', async () => ((engine.counters(tg)?.requests ?? 0) > 0 ? true : undefined));
    await h.call('DeregisterTargets', { TargetGroupArn: tg, Targets: [{ Id: TEST_INSTANCE, Port: bePort }] });
    const draining = (await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions;
    assert.deepEqual(
      draining.map((d: any) => [d.Target.Id, d.Target.Port, d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description]),
      [[TEST_INSTANCE, bePort, 'draining', 'Target.DeregistrationInProgress', 'Target deregistration is in progress']],
    );
    release();
    assert.deepEqual(await slow, { status: 200, body: 'slow done' });
    await until('the drained target gone', async () => ((await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions.length === 0 ? true : undefined));
  });

  it('does not create a listener whose socket cannot bind, and leaves nothing half-made', async () => {
    const engine = createLoadBalancerEngine({ timeScale: 0.1 });
    cleanups.push(() => engine.close());
    const h = harness({ engine });
    const lb = await h.lb('web');
    const tg = (await h.tg('app')).TargetGroupArn;
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, addressOf(lb), r));
    cleanups.push(() => new Promise((r) => squatter.close(r)));
    const taken = (squatter.address() as net.AddressInfo).port;
    await h.fails('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: taken, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }, 'InvalidConfigurationRequest', new RegExp(`could not listen on ${addressOf(lb).replace(/\./g, '\\.')}:${taken}.*EADDRINUSE`));
    assert.deepEqual((await h.call('DescribeListeners', { LoadBalancerArn: lb.LoadBalancerArn })).Listeners, []);
    assert.deepEqual((await h.call('DescribeTargetGroups', { TargetGroupArns: [tg] })).TargetGroups[0].LoadBalancerArns, []);
    // Moving a working listener onto the taken port is refused too, and it keeps serving where it was.
    const port = await freePort(addressOf(lb));
    const l = await h.listener(lb.LoadBalancerArn, port);
    await h.fails('ModifyListener', { ListenerArn: l.ListenerArn, Port: taken }, 'InvalidConfigurationRequest', /EADDRINUSE/);
    assert.equal((await h.call('DescribeListeners', { ListenerArns: [l.ListenerArn] })).Listeners[0].Port, port);
    assert.equal((await get(addressOf(lb), port, '/')).status, 404);
  });

  it('keeps everything in SQLite: after a restart the listener serves again at the same address', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-elbv2-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const be = await backend('kept');
    cleanups.push(() => be.close());
    let store = Store.open(dir);
    let engine = createLoadBalancerEngine({ timeScale: 0.1 });
    let h = harness({ store, engine });
    const lb = await h.lb('web', { Tags: [{ Key: 'env', Value: 'test' }] });
    const tg = (await h.tg('app', { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 })).TargetGroupArn;
    await h.call('RegisterTargets', { TargetGroupArn: tg, Targets: [{ Id: TEST_INSTANCE, Port: be.port }] });
    const port = await freePort(addressOf(lb));
    await h.listener(lb.LoadBalancerArn, port, tg);
    await h.call('ModifyLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }] });
    await until('served before restart', async () => ((await get(addressOf(lb), port, '/a')).body === 'kept /a' ? true : undefined));
    await engine.close();
    store.close();

    store = Store.open(dir);
    engine = createLoadBalancerEngine({ timeScale: 0.1 });
    h = harness({ store, engine });
    const abort = new AbortController();
    const running = h.elbv2.runnable.start(abort.signal);
    cleanups.push(async () => { abort.abort(); await running; store.close(); });
    const again = (await h.call('DescribeLoadBalancers', { Names: ['web'] })).LoadBalancers[0];
    assert.equal(again.LoadBalancerArn, lb.LoadBalancerArn);
    assert.equal(addressOf(again), addressOf(lb));
    assert.equal(again.DNSName, lb.DNSName);
    const attrs = (await h.call('DescribeLoadBalancerAttributes', { LoadBalancerArn: lb.LoadBalancerArn })).Attributes;
    assert.ok(attrs.some((a: any) => a.Key === 'idle_timeout.timeout_seconds' && a.Value === '30'));
    assert.deepEqual((await h.call('DescribeTags', { ResourceArns: [lb.LoadBalancerArn] })).TagDescriptions[0].Tags, [{ Key: 'env', Value: 'test' }]);
    assert.equal((await h.call('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions[0].Target.Port, be.port);
    assert.equal(await until('served after restart', async () => { const r = await get(addressOf(lb), port, '/b'); return r.body === 'kept /b' ? r.body : undefined; }), 'kept /b');
  });

  it('keeps DNSName -> address lines in a managed hosts-file block and removes them on delete and on stop', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hosts-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const hosts = path.join(dir, 'hosts');
    writeFileSync(hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
    const h = harness({ hostsFile: hosts });
    const abort = new AbortController();
    const running = h.elbv2.runnable.start(abort.signal);
    const a = await h.lb('alpha');
    const b = await h.lb('beta', { Scheme: 'internal' });
    let text = readFileSync(hosts, 'utf8');
    assert.ok(text.startsWith('127.0.0.1\tlocalhost\n::1\tlocalhost\n# BEGIN berth elbv2 123456789012\n'), text);
    assert.ok(text.includes(`${addressOf(a)}\t${a.DNSName}\n`));
    assert.ok(text.includes(`${addressOf(b)}\t${b.DNSName}\n`));
    await h.call('DeleteLoadBalancer', { LoadBalancerArn: a.LoadBalancerArn });
    text = readFileSync(hosts, 'utf8');
    assert.ok(!text.includes(a.DNSName));
    assert.ok(text.includes(b.DNSName));
    abort.abort();
    await running;
    assert.equal(readFileSync(hosts, 'utf8'), '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
  });
});
