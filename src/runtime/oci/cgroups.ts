/**
 * The oci driver's cgroups: every container's cgroup is `/berth/<container id>` in each
 * hierarchy (runc makes it, `runc delete` removes it); where the OOM kill counter of one lives;
 * and removing the empty `/berth` parents once no container is left.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { run } from './exec.js';

/** The cgroup parent of every Berth container. */
export const CGROUP_PARENT = '/berth';

const CGROUP_ROOT = '/sys/fs/cgroup';
const isV2 = () => existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));

/** Where the cgroup v1 `memory` hierarchy is mounted (from /proc/self/mountinfo), if it is. */
function memoryHierarchy(): string | undefined {
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      if (!left || !right) continue;
      const [fstype, , superOptions = ''] = right.split(' ');
      if (fstype === 'cgroup' && superOptions.split(',').includes('memory')) return left.split(' ')[4];
    }
  } catch {
    // no /proc: fall through
  }
  return existsSync(path.join(CGROUP_ROOT, 'memory')) ? path.join(CGROUP_ROOT, 'memory') : undefined;
}

/** The cgroup path runc is given for a container. */
export function cgroupPath(containerId: string): string {
  return `${CGROUP_PARENT}/${containerId}`;
}

/**
 * The file whose `oom_kill <n>` line counts the container's OOM kills: v1 `memory.oom_control`,
 * v2 `memory.events`; undefined without a memory controller.
 */
export function oomKillCounterPath(containerId: string): string | undefined {
  if (isV2()) return path.join(CGROUP_ROOT, cgroupPath(containerId), 'memory.events');
  const memory = memoryHierarchy();
  return memory ? path.join(memory, cgroupPath(containerId), 'memory.oom_control') : undefined;
}

/**
 * A lock file every `runc run` of every Berth on this machine holds shared (`flock -s`) for its
 * whole life, from before runc makes the container's cgroups; the parents are removed only under
 * the exclusive lock, so never between runc making `/berth` and making the container's cgroup.
 */
export const CGROUP_LOCK = '/run/berth-cgroups.lock';

let flockPresent: Promise<boolean> | undefined;
/** Whether util-linux `flock` is on PATH (without it, the empty parents are left in place). */
export function hasFlock(): Promise<boolean> {
  return (flockPresent ??= run('flock', ['--version']).then(() => true, () => false));
}

/** The command line that runs `argv` holding the shared cgroup lock (or `argv` itself without flock). */
export async function underSharedCgroupLock(argv: string[]): Promise<string[]> {
  return (await hasFlock()) ? ['flock', '-s', CGROUP_LOCK, ...argv] : argv;
}

/**
 * Removes `/berth` from every hierarchy where it is empty, if no `runc run` of any Berth holds the
 * cgroup lock (rmdir also refuses a cgroup that still has children, e.g. a stopped container not
 * yet deleted). Best effort: false when it was left in place.
 */
export async function removeEmptyCgroupParents(): Promise<boolean> {
  if (!(await hasFlock())) return false;
  const dirs = isV2() ? [CGROUP_ROOT] : readdirSync(CGROUP_ROOT).map((h) => path.join(CGROUP_ROOT, h));
  const real = (d: string) => {
    try {
      return [realpathSync(d)];
    } catch {
      return [];
    }
  };
  const present = () => [...new Set(dirs.flatMap((d) => real(path.join(d, CGROUP_PARENT))))];
  const parents = present();
  if (parents.length > 0) await run('flock', ['-n', '-x', CGROUP_LOCK, 'rmdir', ...parents]).catch(() => undefined);
  return present().length === 0;
}
