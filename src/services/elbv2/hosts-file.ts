/**
 * An optional managed block in a hosts file (e.g. /etc/hosts) that maps each load balancer's
 * DNSName to its loopback address, so any client on this host can use the DNSName. The block is
 * marked with the account id, so several Berths can share one file; Berth rewrites only its own
 * block, in place (a bind-mounted /etc/hosts cannot be replaced by rename), and empties it when
 * it stops.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** One line of the block. */
export interface HostsEntry {
  address: string;
  name: string;
}

/** Berth's block in one hosts file. */
export class HostsFile {
  private last: string | undefined;

  constructor(
    readonly file: string,
    private readonly owner: string,
  ) {}

  private get begin() {
    return `# BEGIN berth elbv2 ${this.owner}`;
  }
  private get end() {
    return `# END berth elbv2 ${this.owner}`;
  }

  /** Replaces Berth's block with `entries` (none: the block is removed). */
  write(entries: readonly HostsEntry[]): void {
    const body = entries.map((e) => `${e.address}\t${e.name}`).join('\n');
    if (body === this.last) return;
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n');
    // Nothing to add and no block of ours: leave the file exactly as it is.
    if (entries.length === 0 && !lines.includes(this.begin)) {
      this.last = body;
      return;
    }
    const out: string[] = [];
    let inside = false;
    for (const line of lines) {
      if (line === this.begin) inside = true;
      else if (line === this.end) inside = false;
      else if (!inside) out.push(line);
    }
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    if (entries.length > 0) out.push(this.begin, body, this.end);
    const next = out.length > 0 ? out.join('\n') + '\n' : '';
    if (next !== text) writeFileSync(this.file, next);
    this.last = body;
  }

  /** The addresses the block maps each name to (for tests and diagnostics). */
  read(): Map<string, string> {
    const map = new Map<string, string>();
    let inside = false;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line === this.begin) inside = true;
      else if (line === this.end) inside = false;
      else if (inside) {
        const [address, name] = line.split(/\s+/);
        if (address && name) map.set(name, address);
      }
    }
    return map;
  }
}
