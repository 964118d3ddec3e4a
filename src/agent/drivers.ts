/**
 * The runtime drivers of one Berth and the choice of driver for a task: the cluster's
 * `berth:driver` tag (`auto`, `process`, `oci`; see README.md).
 */
import { ImageNotFoundError, openImageStore, resolveImage, type ImageStore } from '../images/index.js';
import { compileRuntimeOptions, DriverError, PortAllocator, ProcessDriver, type Driver } from '../runtime/index.js';
import { OciDriver } from '../runtime/oci/index.js';
import type { DriverChoice } from '../services/ecs/index.js';

/** Options of {@link createDriverSet}. */
export interface DriverSetOptions {
  /** Berth's data dir (runtime state under `<dataDir>/runtime`, images under its image store). */
  dataDir: string;
  /** Dynamic host ports, `"from-to"`; default `BERTH_PORT_RANGE` or 49153-65535. */
  portRange?: string;
}

/** The drivers of one Berth, sharing one port allocator. */
export interface DriverSet {
  /** The process driver (always usable on Linux). */
  process: Driver;
  /** The oci driver, when its fingerprint is healthy (runc present, Berth is root). */
  oci?: Driver;
  /** Why the oci driver is not usable, when it is not. */
  ociUnavailable?: string;
  /** The image store the oci driver reads. */
  images: ImageStore;
  /** The driver with this name, if this Berth has it. */
  byName(name: string): Driver | undefined;
}

/** Makes the process driver and, where it is healthy, the oci driver. */
export async function createDriverSet(opts: DriverSetOptions): Promise<DriverSet> {
  const runtime = compileRuntimeOptions({ dataDir: opts.dataDir, portRange: opts.portRange });
  const ports = new PortAllocator(runtime.portRange);
  const images = openImageStore(opts.dataDir);
  const processDriver = new ProcessDriver({ runtime, ports });
  const candidate = new OciDriver({ images, ports, stateDir: runtime.stateDir });
  const fp = await candidate.fingerprint().catch((err: Error) => ({ healthy: false, reason: err.message }));
  const oci = fp.healthy ? candidate : undefined;
  return {
    process: processDriver,
    oci,
    ociUnavailable: oci ? undefined : (fp.reason ?? 'the oci driver is not healthy'),
    images,
    byName: (name) => (name === 'process' ? processDriver : name === 'oci' ? oci : undefined),
  };
}

/**
 * Picks the driver for a task: `process` and `oci` as asked (oci fails the task with
 * ResourceInitializationError when it is not usable here); `auto` takes oci when it is usable
 * and every container's image resolves in the image store, else process.
 */
export async function chooseDriver(set: DriverSet, choice: DriverChoice, images: readonly string[]): Promise<Driver> {
  if (choice === 'process') return set.process;
  if (choice === 'oci') {
    if (!set.oci) throw new DriverError('ResourceInitializationError', `the cluster asks for the oci driver (tag berth:driver=oci), but ${set.ociUnavailable}`);
    return set.oci;
  }
  if (!set.oci) return set.process;
  for (const image of images) {
    try {
      await resolveImage(set.images, image);
    } catch (err) {
      if (err instanceof ImageNotFoundError || (err as Error).name === 'InvalidImageRefError') return set.process;
      throw err;
    }
  }
  return set.oci;
}
