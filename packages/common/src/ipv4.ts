/** IPv4 addresses as numbers, CIDR membership, and this host's own address: one copy for every package. */
import { networkInterfaces } from "node:os";

/** "a.b.c.d" as an unsigned 32-bit number, or undefined when it is not a dotted-quad IPv4 address. */
export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** An unsigned 32-bit number as "a.b.c.d". */
export function intToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The netmask of a prefix length, as a number. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

/** Whether ip lies in cidr ("a.b.c.d/len", any prefix length); false for anything malformed. */
export function cidrContains(cidr: string, ip: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const n = ipv4ToInt(ip);
  const base = m ? ipv4ToInt(m[1]!) : undefined;
  if (!m || n === undefined || base === undefined) return false;
  const mask = prefixMask(Number(m[2]));
  return (n & mask) >>> 0 === (base & mask) >>> 0;
}

/** This host's first non-loopback IPv4 address and its CIDR (a container's eth0), if any. */
export function firstHostIPv4(
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): { address: string; cidr: string | null } | undefined {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? [])
      if (a.family === "IPv4" && !a.internal) return { address: a.address, cidr: a.cidr };
  }
  return undefined;
}
