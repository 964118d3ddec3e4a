/**
 * Reading a process tree from /proc (Linux): a process and its descendants by parent pid, their
 * CPU time and resident memory, and killing them. The benchmark samples Berth this way (its own
 * figures, and its children's: container supervisors and the containers' processes).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux where it cannot be read). */
const CLK_TCK = (() => {
  const n = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();
const PAGE_SIZE = (() => {
  const n = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 4096;
})();

/** One process as /proc/<pid>/stat shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks after boot: with the pid, names one process even after the pid is reused. */
  startTicks: number;
  /** user + system CPU of the process itself, in ms. */
  cpuMs: number;
  /** user + system CPU of its children it has waited for, in ms. */
  childCpuMs: number;
  rssBytes: number;
}

/** /proc/<pid>/stat parsed; undefined when the process is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (ticks: string) => (Number(ticks) * 1000) / CLK_TCK;
  return {
    pid,
    ppid: Number(f[1]),
    startTicks: Number(f[19]),
    cpuMs: ms(f[11]) + ms(f[12]),
    childCpuMs: ms(f[13]) + ms(f[14]),
    rssBytes: Number(f[21]) * PAGE_SIZE,
  };
}

/** Every process on the host. */
function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The descendants of `root` (not `root` itself), found through parent pids. */
export function descendants(root: number): ProcInfo[] {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Processes whose working directory lies under `dir` (a container's `work` dir in a data dir). */
export function processesUnder(dir: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const p of allProcs()) {
    try {
      if (readlinkSync(`/proc/${p.pid}/cwd`).startsWith(dir + '/')) out.push(p);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** SIGKILLs `p` and its process group (a container is a session of its own) if it is still the same process. */
export function killProc(p: Pick<ProcInfo, 'pid' | 'startTicks'>): void {
  if (readProc(p.pid)?.startTicks !== p.startTicks) return;
  for (const target of [-p.pid, p.pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* not a group leader, or already gone */
    }
  }
}

/** A running tally of a process and its descendants: CPU at the start and now, and peak RSS. */
export class TreeSampler {
  private readonly start: ProcInfo;
  /** Per descendant (pid/startTicks): its latest CPU (own + waited-for children), in ms. */
  private readonly childCpu = new Map<string, number>();
  private last: ProcInfo;
  peakOwnRss = 0;
  peakTreeRss = 0;
  peakChildren = 0;

  constructor(readonly pid: number) {
    const p = readProc(pid);
    if (!p) throw new Error(`process ${pid} is gone`);
    this.start = p;
    this.last = p;
  }

  /** Reads the tree once; returns its descendants (for clean-up). */
  sample(): ProcInfo[] {
    const own = readProc(this.pid);
    if (!own) return [];
    this.last = own;
    const kids = descendants(this.pid);
    let rss = own.rssBytes;
    for (const k of kids) {
      rss += k.rssBytes;
      this.childCpu.set(`${k.pid}/${k.startTicks}`, k.cpuMs + k.childCpuMs);
    }
    this.peakOwnRss = Math.max(this.peakOwnRss, own.rssBytes);
    this.peakTreeRss = Math.max(this.peakTreeRss, rss);
    this.peakChildren = Math.max(this.peakChildren, kids.length);
    return kids;
  }

  /** CPU of the process itself since the sampler was made, in ms. */
  ownCpuMs(): number {
    return this.last.cpuMs - this.start.cpuMs;
  }

  /**
   * CPU of its descendants, in ms: each one's last sampled CPU (all of them started after the
   * sampler was made) plus what the process waited for. A descendant that exited between samples
   * and was not waited for by the process is missed: a lower bound.
   */
  childrenCpuMs(): number {
    let sum = this.last.childCpuMs - this.start.childCpuMs;
    for (const v of this.childCpu.values()) sum += v;
    return sum;
  }
}
