/**
 * CIDR blocks for the source-ip rule condition: IPv4 ("10.0.0.0/8") and IPv6 ("2001:db8::/32"),
 * matched against the client socket's address. An IPv4-mapped IPv6 address ("::ffff:127.0.0.1",
 * which node reports on dual-stack sockets) is compared as the IPv4 address it carries.
 */
import { isIPv4, isIPv6 } from 'node:net';

interface Block {
  bits: 32 | 128;
  network: bigint;
  prefix: number;
}

const cache = new Map<string, Block | null>();

/** True when `address` lies in `cidr`; false for anything unparsable. */
export function cidrContains(cidr: string, address: string): boolean {
  let block = cache.get(cidr);
  if (block === undefined) {
    block = parseCidr(cidr);
    if (cache.size > 10_000) cache.clear();
    cache.set(cidr, block);
  }
  if (!block) return false;
  const addr = parseAddress(address);
  if (!addr || addr.bits !== block.bits) return false;
  const shift = BigInt(block.bits - block.prefix);
  return addr.value >> shift === block.network >> shift;
}

/** Parses "a.b.c.d/n" or "x:y::z/n" (a bare address is a /32 or /128); null when invalid. */
export function parseCidr(cidr: string): Block | null {
  const slash = cidr.indexOf('/');
  const addrText = slash < 0 ? cidr : cidr.slice(0, slash);
  const addr = parseAddress(addrText, false);
  if (!addr) return null;
  const prefixText = slash < 0 ? String(addr.bits) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > addr.bits) return null;
  return { bits: addr.bits, network: addr.value, prefix };
}

function parseAddress(text: string, unmap = true): { bits: 32 | 128; value: bigint } | null {
  if (unmap) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
    if (mapped) text = mapped[1];
  }
  if (isIPv4(text)) {
    let value = 0n;
    for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
    return { bits: 32, value };
  }
  if (isIPv6(text)) {
    const zone = text.indexOf('%');
    if (zone >= 0) text = text.slice(0, zone);
    let groups: string[];
    // An embedded IPv4 tail ("::ffff:1.2.3.4") is two 16-bit groups.
    const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
    if (v4) {
      const hi = ((Number(v4[1]) << 8) | Number(v4[2])).toString(16);
      const lo = ((Number(v4[3]) << 8) | Number(v4[4])).toString(16);
      text = text.slice(0, v4.index) + hi + ':' + lo;
    }
    const [head, tail] = text.split('::');
    if (tail === undefined) {
      groups = head.split(':');
    } else {
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    }
    let value = 0n;
    for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
    return { bits: 128, value };
  }
  return null;
}
