/**
 * The task metadata endpoint's port, kept in the store's meta table so that containers re-adopted
 * after a Berth restart keep a working `ECS_CONTAINER_METADATA_URI_V4` (the token key is kept
 * too). Picked once, as a free ephemeral port, at the first start; if another program holds it
 * at a later start, a new one is picked and kept, with a warning: containers that outlive that
 * restart then hold a stale URL until they are replaced.
 */
import net from 'node:net';
import type { Store } from '../state/index.js';

/** The meta table key of the kept port. */
const PORT_KEY = 'agent.metadataPort';

/** Binds `port` on `host` for a moment; resolves the port bound (0: an ephemeral one), or undefined if it is taken. */
function probe(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** The port the metadata endpoint should listen on: the kept one if free, else a new free one (kept). */
export async function metadataPort(store: Store, host: string, log: (line: string) => void): Promise<number> {
  const kept = Number(store.getMeta(PORT_KEY));
  if (kept > 0 && (await probe(host, kept)) === kept) return kept;
  const port = await probe(host, 0);
  if (port === undefined) throw new Error(`cannot bind a port on ${host} for the task metadata endpoint`);
  if (kept > 0) log(`warning: the task metadata endpoint's port ${kept} is taken; it now listens on ${port}. Containers still running from before this restart hold a stale ECS_CONTAINER_METADATA_URI_V4 until they are replaced.`);
  store.setMeta(PORT_KEY, String(port));
  return port;
}
