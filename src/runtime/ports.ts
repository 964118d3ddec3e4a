/**
 * Host port reservations shared by every driver of one Berth: dynamic ports come from a range
 * (as ECS bridge mode's dynamic host ports), a port is never given to two live owners, and a
 * recovered sandbox re-reserves its ports with {@link PortAllocator.restore}.
 */
import { randomInt } from 'node:crypto';
import net from 'node:net';
import dgram from 'node:dgram';
import { DriverError, type NetworkBinding, type PortMapping, type PortProtocol } from './driver.js';

/** An inclusive range of host ports. */
export interface PortRange {
  from: number;
  to: number;
}

/** Tells whether a host port can be bound right now (nobody outside Berth holds it). */
export type PortProbe = (port: number, protocol: PortProtocol) => Promise<boolean>;

/** Binds 0.0.0.0:port for a moment to see whether it is free. */
export const probeHostPort: PortProbe = (port, protocol) =>
  new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, '0.0.0.0', () => s.close(() => resolve(true)));
      return;
    }
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });

/**
 * Reserves host ports for owners (a task id). In memory: after a restart, drivers re-reserve
 * what their persisted sandboxes hold before new tasks start.
 */
export class PortAllocator {
  private readonly owners = new Map<string, string>(); // "tcp/8080" -> owner
  private cursor: number;

  constructor(
    /** The range dynamic ports come from. */
    readonly range: PortRange,
    private readonly probe: PortProbe = probeHostPort,
    /**
     * The first dynamic port to try. Default: a random one of the range, so that two Berths on one
     * host (or anything else taking ports from the same range) do not try the same ports in the
     * same order: a port is probed free, then bound by the task a moment later, and two allocators
     * walking in step could both be given it in that moment.
     */
    start?: number,
  ) {
    if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.to <= 65535 && range.from <= range.to)) {
      throw new RangeError(`port range must be two whole numbers 1-65535, from <= to; got ${range.from}-${range.to}`);
    }
    this.cursor = start !== undefined && start >= range.from && start <= range.to ? start : range.from + randomInt(range.to - range.from + 1);
  }

  /**
   * Reserves host ports for all mappings of one owner, all or nothing: a fixed `hostPort` is
   * taken as is (and must be free), otherwise the next free port of the range is used.
   */
  async reserve(owner: string, mappings: readonly PortMapping[], bindIP = '0.0.0.0'): Promise<NetworkBinding[]> {
    const taken: string[] = [];
    try {
      const out: NetworkBinding[] = [];
      for (const m of mappings) {
        const protocol = m.protocol ?? 'tcp';
        const hostPort = m.hostPort ? await this.reserveFixed(owner, m.hostPort, protocol) : await this.reserveDynamic(owner, protocol);
        taken.push(key(protocol, hostPort));
        out.push({ containerPort: m.containerPort, hostPort, protocol, bindIP });
      }
      return out;
    } catch (err) {
      for (const k of taken) this.owners.delete(k);
      throw err;
    }
  }

  /** Re-reserves bindings read back from a persisted sandbox; throws if another owner holds one. */
  restore(owner: string, bindings: readonly NetworkBinding[]): void {
    for (const b of bindings) {
      const holder = this.owners.get(key(b.protocol, b.hostPort));
      if (holder !== undefined && holder !== owner) {
        throw new DriverError('ResourceInitializationError', `host port ${b.protocol}/${b.hostPort} is already reserved by task ${holder}`);
      }
    }
    for (const b of bindings) this.owners.set(key(b.protocol, b.hostPort), owner);
  }

  /** Releases every port of an owner; idempotent. */
  release(owner: string): void {
    for (const [k, o] of this.owners) if (o === owner) this.owners.delete(k);
  }

  /** The owner holding a port, if any. */
  ownerOf(hostPort: number, protocol: PortProtocol = 'tcp'): string | undefined {
    return this.owners.get(key(protocol, hostPort));
  }

  private async reserveFixed(owner: string, port: number, protocol: PortProtocol): Promise<number> {
    const holder = this.owners.get(key(protocol, port));
    if (holder !== undefined || !(await this.probe(port, protocol))) {
      throw new DriverError('ResourceInitializationError', `host port ${protocol}/${port} is already in use${holder ? ` by task ${holder}` : ''}`);
    }
    this.owners.set(key(protocol, port), owner);
    return port;
  }

  /** Next-fit from a moving cursor, so a port just released is not handed out again at once. */
  private async reserveDynamic(owner: string, protocol: PortProtocol): Promise<number> {
    const size = this.range.to - this.range.from + 1;
    for (let i = 0; i < size; i++) {
      const port = this.cursor;
      this.cursor = port >= this.range.to ? this.range.from : port + 1;
      const k = key(protocol, port);
      if (this.owners.has(k)) continue;
      this.owners.set(k, owner); // hold it across the await so concurrent calls skip it
      if (await this.probe(port, protocol)) return port;
      this.owners.delete(k);
    }
    throw new DriverError('ResourceInitializationError', `no free host port left in ${this.range.from}-${this.range.to}`);
  }
}

/**
 * The environment variables that tell a container its ports (every driver sets them): `PORT`, the
 * host port of its first binding, and `BERTH_HOST_PORT_<containerPort>` (`..._UDP` for udp) for
 * every binding of its task.
 */
export function portEnvironment(own: readonly NetworkBinding[], task: readonly NetworkBinding[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const b of task) env[`BERTH_HOST_PORT_${b.containerPort}${b.protocol === 'udp' ? '_UDP' : ''}`] = String(b.hostPort);
  if (own[0]) env.PORT = String(own[0].hostPort);
  return env;
}

function key(protocol: PortProtocol, port: number): string {
  return `${protocol}/${port}`;
}
