/** The reference: `moto_server` on an ephemeral loopback port, started and stopped by the bench. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A running moto server. */
export interface MotoServer {
  endpoint: string;
  process: ChildProcess;
  /** Everything it printed, for error reports. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/** moto processes not yet reaped, killed synchronously if the bench exits early. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** A port the kernel just handed out on 127.0.0.1 (free at the time of asking). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `moto_server -H 127.0.0.1 -p PORT` and waits (up to 30 s) until it answers HTTP. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches a wrapper's children too (pyenv shims exec, but be sure).
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`could not run moto_server (is it on PATH?): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode} before answering:\n${out}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`moto_server did not answer on ${endpoint} within 30 s:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { endpoint, process: child, output: () => out, stop };
}
