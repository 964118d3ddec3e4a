/**
 * OCI bundles: a container's root filesystem (an overlay on the image's unpacked tree) and its
 * `config.json`, generated per the OCI runtime spec from the image and the container definition.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageRunConfig } from '../../images/index.js';
import { DriverError, type ContainerConfig } from '../driver.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set (what an ECS container gets without `linuxParameters`). */
const CAPABILITIES = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

/**
 * The container's argv, combined as Docker does: the definition's `entryPoint` replaces the
 * image's ENTRYPOINT (and then the image's CMD is dropped); the definition's `command` replaces CMD.
 */
export function containerArgs(image: ImageRunConfig, def: Pick<ContainerConfig, 'entryPoint' | 'command'>): string[] {
  const entrypoint = def.entryPoint ?? image.Entrypoint ?? [];
  const cmd = def.command ?? (def.entryPoint ? [] : (image.Cmd ?? []));
  const args = [...entrypoint, ...cmd];
  if (args.length === 0 || args[0] === '') throw new DriverError('CannotStartContainerError', 'no command specified: neither the image nor the container definition has an entrypoint or command');
  return args;
}

/** `NAME=value` list: the image's Env, then `extra` (definition env, env files, ports) winning per name. */
export function containerEnv(image: ImageRunConfig, extra: Record<string, string>): string[] {
  const env = new Map<string, string>();
  for (const kv of image.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(extra)) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function colonFile(rootfs: string, file: string): string[][] {
  try {
    return readFileSync(path.join(rootfs, file), 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** Resolves `user[:group]` (names or ids) against the image's /etc/passwd and /etc/group, as runc would. */
export function containerUser(rootfs: string, spec: string | undefined): { uid: number; gid: number } {
  if (!spec) return { uid: 0, gid: 0 };
  const [u, g] = spec.split(':', 2) as [string, string | undefined];
  const entry = colonFile(rootfs, 'etc/passwd').find((p) => (/^\d+$/.test(u) ? p[2] === u : p[0] === u));
  if (!entry && !/^\d+$/.test(u)) throw new DriverError('CannotStartContainerError', `unable to find user ${u}: no matching entries in passwd file`);
  const uid = entry ? Number(entry[2]) : Number(u);
  let gid = entry ? Number(entry[3]) : 0;
  if (g) {
    const group = /^\d+$/.test(g) ? undefined : colonFile(rootfs, 'etc/group').find((e) => e[0] === g);
    if (!group && !/^\d+$/.test(g)) throw new DriverError('CannotStartContainerError', `unable to find group ${g}: no matching entries in group file`);
    gid = group ? Number(group[2]) : Number(g);
  }
  return { uid, gid };
}

/** Inputs of {@link runtimeSpec}. */
export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number };
  hostname: string;
  /** A namespace path to join (awsvpc/bridge), `host` to share the host's, or `new` for an empty one. */
  network: { path: string } | 'host' | 'new';
  cgroupsPath: string;
  memoryLimitBytes?: number;
  memoryReservationBytes?: number;
  cpuShares?: number;
  /** CPU hard limit in CPUs (1.5 = 150 ms per 100 ms). */
  cpuLimit?: number;
}

/** The bundle's config.json (OCI runtime spec 1.0) for one container. */
export function runtimeSpec(s: SpecInput): object {
  const namespaces: object[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (s.network !== 'host') namespaces.push(s.network === 'new' ? { type: 'network' } : { type: 'network', path: s.network.path });
  const period = 100_000;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: s.user,
      args: s.args,
      env: s.env,
      cwd: s.cwd,
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: s.network === 'host' ? undefined : s.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces,
      cgroupsPath: s.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        memory: s.memoryLimitBytes || s.memoryReservationBytes ? { limit: s.memoryLimitBytes, reservation: s.memoryReservationBytes } : undefined,
        cpu: s.cpuShares || s.cpuLimit ? { shares: s.cpuShares, quota: s.cpuLimit ? Math.round(s.cpuLimit * period) : undefined, period: s.cpuLimit ? period : undefined } : undefined,
      },
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
