/**
 * Pod IP allocation from the node's pod CIDR, as the host-local IPAM plugin of a CNI bridge
 * does it: .0 is the network, .1 the bridge's gateway, the last address the broadcast; the next
 * address after the last one handed out is tried first (so a freed IP is not reused at once);
 * an IP is never given to two pods.
 *
 * Limitations vs Kubernetes: IPv4 only, and the CIDR must be a /24 or longer prefix; no
 * on-disk reservations (after a restart, reservations come back from the pods' status).
 */

import { intToIPv4, ipv4ToInt } from "@kemu/common";

/** Thrown when every address of the range is in use. */
export class IPExhaustedError extends Error {}

/** The address as a number; throws for anything that is not IPv4. */
function ipToInt(ip: string): number {
  const n = ipv4ToInt(ip);
  if (n === undefined) throw new Error(`invalid IPv4 address "${ip}"`);
  return n;
}

/** Parses "a.b.c.d/len" into its first address and size. */
export function parseCIDR(cidr: string): { base: number; size: number; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR "${cidr}"`);
  const prefix = Number(m[2]);
  if (prefix < 24 || prefix > 30) throw new Error(`CIDR "${cidr}": prefix must be /24 to /30`);
  const size = 2 ** (32 - prefix);
  const base = (ipToInt(m[1]!) & ~(size - 1)) >>> 0;
  return { base, size, prefix };
}

/** Allocates pod IPs from one CIDR. */
export class PodIPAllocator {
  readonly cidr: string;
  /** The gateway (.1): where traffic from the node (probes) appears to come from. */
  readonly gateway: string;
  readonly #base: number;
  readonly #size: number;
  readonly #owners = new Map<string, string>();
  #last: number;

  constructor(cidr: string) {
    const { base, size } = parseCIDR(cidr);
    this.cidr = cidr;
    this.#base = base;
    this.#size = size;
    this.gateway = intToIPv4(base + 1);
    this.#last = 1;
  }

  /** Gives owner (a pod uid) an IP: its own if it has one, else the next free after the last given. */
  allocate(owner: string): string {
    for (const [ip, o] of this.#owners) if (o === owner) return ip;
    const usable = this.#size - 3;
    for (let i = 1; i <= usable; i++) {
      const offset = ((this.#last - 2 + i) % usable) + 2;
      const ip = intToIPv4(this.#base + offset);
      if (!this.#owners.has(ip)) {
        this.#owners.set(ip, owner);
        this.#last = offset;
        return ip;
      }
    }
    throw new IPExhaustedError(`no IP addresses available in range set: ${this.range}`);
  }

  /** Marks ip as owner's (a pod found running after a restart); false if it is not usable or taken. */
  reserve(ip: string, owner: string): boolean {
    if (!this.#usable(ip)) return false;
    const cur = this.#owners.get(ip);
    if (cur !== undefined && cur !== owner) return false;
    this.#owners.set(ip, owner);
    return true;
  }

  /** Frees owner's IP. */
  release(owner: string): void {
    for (const [ip, o] of this.#owners) if (o === owner) this.#owners.delete(ip);
  }

  /** IPs in use, and their owners. */
  get inUse(): ReadonlyMap<string, string> {
    return this.#owners;
  }

  /** The usable range, as host-local prints it: "10.244.1.2-10.244.1.254". */
  get range(): string {
    return `${intToIPv4(this.#base + 2)}-${intToIPv4(this.#base + this.#size - 2)}`;
  }

  #usable(ip: string): boolean {
    const n = ipv4ToInt(ip);
    if (n === undefined) return false;
    const off = n - this.#base;
    return off >= 2 && off <= this.#size - 2;
  }
}
