import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { DriverError } from './driver.js';
import { PortAllocator, portEnvironment, probeHostPort } from './ports.js';

const free = async () => true;

test('dynamic ports come from the range, next-fit, never twice while held', async () => {
  const a = new PortAllocator({ from: 50000, to: 50002 }, free, 50000);
  const first = await a.reserve('t1', [{ containerPort: 80 }, { containerPort: 443 }]);
  assert.deepEqual(first.map((b) => b.hostPort), [50000, 50001]);
  assert.deepEqual(first[0], { containerPort: 80, hostPort: 50000, protocol: 'tcp', bindIP: '0.0.0.0' });
  assert.equal((await a.reserve('t2', [{ containerPort: 80 }]))[0]!.hostPort, 50002);
  await assert.rejects(a.reserve('t3', [{ containerPort: 80 }]), (e: unknown) => e instanceof DriverError && /no free host port left in 50000-50002/.test(e.message));
  a.release('t1');
  assert.equal((await a.reserve('t3', [{ containerPort: 80 }]))[0]!.hostPort, 50000);
  assert.equal(a.ownerOf(50000), 't3');
});

test('tcp and udp are separate; a fixed host port must be free; a failed reserve holds nothing', async () => {
  const a = new PortAllocator({ from: 50000, to: 50009 }, free, 50000);
  await a.reserve('t1', [{ containerPort: 53, hostPort: 8053 }, { containerPort: 53, hostPort: 8053, protocol: 'udp' }]);
  await assert.rejects(a.reserve('t2', [{ containerPort: 1 }, { containerPort: 53, hostPort: 8053 }]), /host port tcp\/8053 is already in use by task t1/);
  assert.equal(a.ownerOf(50000), undefined, 'the dynamic port of the failed call was given back');
});

test('restore re-reserves a recovered task\'s ports and refuses ports another task holds', async () => {
  const a = new PortAllocator({ from: 50000, to: 50001 }, free, 50000);
  a.restore('old', [{ containerPort: 80, hostPort: 50000, protocol: 'tcp', bindIP: '0.0.0.0' }]);
  assert.equal((await a.reserve('new', [{ containerPort: 80 }]))[0]!.hostPort, 50001);
  assert.throws(() => a.restore('other', [{ containerPort: 80, hostPort: 50001, protocol: 'tcp', bindIP: '0.0.0.0' }]), /already reserved by task new/);
  a.restore('old', [{ containerPort: 80, hostPort: 50000, protocol: 'tcp', bindIP: '0.0.0.0' }]);
});

test('a port held by another program is skipped', async () => {
  const srv = net.createServer().listen(0, '0.0.0.0');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    assert.equal(await probeHostPort(port, 'tcp'), false);
    // The held port is tried first; the next ones may be held by other programs on the host too,
    // so the range has room past it (a range of two failed when the one after was taken).
    const a = new PortAllocator({ from: port, to: Math.min(65535, port + 32) }, probeHostPort, port);
    const got = (await a.reserve('t', [{ containerPort: 80 }]))[0]!.hostPort;
    assert.notEqual(got, port);
    assert.ok(got > port && got <= port + 32);
  } finally {
    srv.close();
  }
});

test('without a start, dynamic ports begin at a random place in the range (two allocators on one host do not walk in step)', async () => {
  const starts = new Set<number>();
  for (let i = 0; i < 20; i++) starts.add((await new PortAllocator({ from: 50000, to: 50999 }, free).reserve('t', [{ containerPort: 80 }]))[0]!.hostPort);
  assert.ok(starts.size > 10, `20 allocators began at ${starts.size} different ports`);
  for (const p of starts) assert.ok(p >= 50000 && p <= 50999);
});

test('a bad range is refused', () => {
  assert.throws(() => new PortAllocator({ from: 10, to: 5 }), RangeError);
  assert.throws(() => new PortAllocator({ from: 0, to: 5 }), RangeError);
});

test('port variables: PORT is the container\'s first binding; BERTH_HOST_PORT_<n> for the whole task', () => {
  const own = [{ containerPort: 8080, hostPort: 49200, protocol: 'tcp' as const, bindIP: '0.0.0.0' }];
  const task = [...own, { containerPort: 53, hostPort: 49201, protocol: 'udp' as const, bindIP: '0.0.0.0' }];
  assert.deepEqual(portEnvironment(own, task), { BERTH_HOST_PORT_8080: '49200', BERTH_HOST_PORT_53_UDP: '49201', PORT: '49200' });
  assert.deepEqual(portEnvironment([], []), {});
});
