/**
 * Task networks of the oci driver: one network namespace per task (`ip netns`), joined to a
 * Berth bridge by a veth pair, with an address from a small file-backed allocator; and, for
 * `bridge` mode, a TCP proxy in Berth publishing container ports on host ports.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { run, runQuietly } from './exec.js';

/** The bridge and subnet tasks join. */
export interface BridgeConfig {
  /** Interface name of the bridge. Default `berth0`. */
  name: string;
  /** The first three octets of the /24 (`10.213.0`); the bridge is `.1`, tasks get `.2`-`.254`. */
  prefix: string;
}

/** What was made for one task's network (kept in the sandbox's driverState). */
export interface TaskNetwork {
  netns: string;
  hostVeth: string;
  ipv4Address: string;
  macAddress: string;
}

const short = (taskId: string) => createHash('sha256').update(taskId).digest('hex').slice(0, 10);

/** The path runc joins for a named network namespace. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** Creates the bridge if absent and gives it its address. */
export async function ensureBridge(bridge: BridgeConfig): Promise<void> {
  const exists = await run('ip', ['link', 'show', bridge.name]).then(() => true, () => false);
  if (!exists) await run('ip', ['link', 'add', bridge.name, 'type', 'bridge']).catch(async (err) => {
    if (!(await run('ip', ['link', 'show', bridge.name]).then(() => true, () => false))) throw err; // lost a race: fine
  });
  const addrs = await run('ip', ['-4', 'addr', 'show', 'dev', bridge.name]);
  if (!addrs.includes(`${bridge.prefix}.1/24`)) await run('ip', ['addr', 'add', `${bridge.prefix}.1/24`, 'dev', bridge.name]).catch(() => undefined);
  await run('ip', ['link', 'set', bridge.name, 'up']);
}

/** Deletes the bridge when no veth is attached to it any more; true if it is gone. */
export async function removeBridgeIfUnused(bridge: BridgeConfig): Promise<boolean> {
  const members = await run('ip', ['-o', 'link', 'show', 'master', bridge.name]).catch(() => '');
  if (members.trim()) return false;
  await runQuietly('ip', ['link', 'del', bridge.name]);
  return true;
}

/** Leases task IPs from `<dir>/<ip>` files (created exclusively, naming the task), so they survive restarts. */
export class IpAllocator {
  constructor(private readonly dir: string, private readonly prefix: string) {}

  /** Leases a free address for a task. */
  async lease(taskId: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    for (let host = 2; host <= 254; host++) {
      const ip = `${this.prefix}.${host}`;
      try {
        await writeFile(path.join(this.dir, ip), taskId, { flag: 'wx' });
        return ip;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`no free address left in ${this.prefix}.0/24`);
  }

  /** Releases a task's address if it still holds it; idempotent. */
  async release(taskId: string, ip: string): Promise<void> {
    const holder = await readFile(path.join(this.dir, ip), 'utf8').catch(() => undefined);
    if (holder === taskId) await rm(path.join(this.dir, ip), { force: true });
  }

  /** The task holding an address, if any. */
  async holder(ip: string): Promise<string | undefined> {
    return readFile(path.join(this.dir, ip), 'utf8').catch(() => undefined);
  }

  /** Addresses currently leased. */
  async leased(): Promise<string[]> {
    return readdir(this.dir).catch(() => []);
  }
}

/** The names of a task's namespace and host-side veth (derived from its id). */
export function taskNetworkNames(taskId: string): Pick<TaskNetwork, 'netns' | 'hostVeth'> {
  const id = short(taskId);
  return { netns: `berth-${id}`, hostVeth: `bv${id}` };
}

/** Makes a task's namespace and veth pair; on failure removes what it made and rethrows. */
export async function createTaskNetwork(taskId: string, bridge: BridgeConfig, ip: string): Promise<TaskNetwork> {
  const { netns, hostVeth } = taskNetworkNames(taskId);
  const peer = `bp${short(taskId)}`;
  try {
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', peer]);
    await run('ip', ['link', 'set', peer, 'netns', netns]);
    await run('ip', ['link', 'set', hostVeth, 'master', bridge.name]);
    await run('ip', ['link', 'set', hostVeth, 'up']);
    const inNs = (...args: string[]) => run('ip', ['-n', netns, ...args]);
    await inNs('link', 'set', peer, 'name', 'eth0');
    await inNs('addr', 'add', `${ip}/24`, 'dev', 'eth0');
    await inNs('link', 'set', 'eth0', 'up');
    await inNs('link', 'set', 'lo', 'up');
    await inNs('route', 'add', 'default', 'via', `${bridge.prefix}.1`);
    const mac = (await readFile(`/sys/class/net/${hostVeth}/address`, 'utf8').catch(() => '')).trim();
    const link = await inNs('-o', 'link', 'show', 'eth0');
    const macAddress = /link\/ether ([0-9a-f:]{17})/.exec(link)?.[1] ?? mac;
    return { netns, hostVeth, ipv4Address: ip, macAddress };
  } catch (err) {
    await destroyTaskNetwork({ netns, hostVeth });
    throw err;
  }
}

/** Removes a task's veth pair and namespace; idempotent. */
export async function destroyTaskNetwork(n: Pick<TaskNetwork, 'netns' | 'hostVeth'>): Promise<void> {
  await runQuietly('ip', ['link', 'del', n.hostVeth]);
  await runQuietly('ip', ['netns', 'del', n.netns]);
}

/** Whether a task's namespace still exists. */
export async function taskNetworkExists(n: Pick<TaskNetwork, 'netns'>): Promise<boolean> {
  const list = await run('ip', ['netns', 'list']).catch(() => '');
  return list.split('\n').some((l) => l.split(' ')[0] === n.netns);
}

/**
 * Publishes host ports for `bridge` mode: a TCP proxy in Berth from `0.0.0.0:hostPort` to the
 * task's `ip:containerPort` (this machine has no iptables; the proxy is rebuilt on recovery).
 */
export class PortProxies {
  private readonly servers = new Map<string, net.Server[]>();

  /** Starts proxies for a task's TCP bindings (UDP bindings are not published). */
  async publish(taskId: string, ip: string, bindings: ReadonlyArray<{ hostPort: number; containerPort: number; protocol: string }>): Promise<void> {
    await this.unpublish(taskId);
    const servers: net.Server[] = [];
    this.servers.set(taskId, servers);
    for (const b of bindings) {
      if (b.protocol !== 'tcp') continue;
      const server = net.createServer((client) => {
        const upstream = net.connect(b.containerPort, ip);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close);
        upstream.on('error', close);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(b.hostPort, '0.0.0.0', () => resolve());
      });
      servers.push(server);
    }
  }

  /** Stops a task's proxies; idempotent. */
  async unpublish(taskId: string): Promise<void> {
    const servers = this.servers.get(taskId) ?? [];
    this.servers.delete(taskId);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
