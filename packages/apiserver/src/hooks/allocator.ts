/**
 * Allocation of ClusterIPs and NodePorts, kept in the store as one object per allocated value
 * (as kube-apiserver 1.33 keeps IPAddress objects). Creating the object is the allocation, so
 * the store's compare-and-set makes it atomic across API server replicas.
 *
 * Like upstream, each range has a static band at the bottom (for requested values) that dynamic
 * allocation only uses once the rest is full.
 */
import { intToIPv4, ipv4ToInt } from "@kemu/common";
import type { Store } from "@kemu/store";
import { StoreError } from "@kemu/store";

/** Why an allocation failed. */
export class AllocationError extends Error {
  readonly kind: "allocated" | "range" | "full";
  constructor(kind: AllocationError["kind"], message: string) {
    super(message);
    this.kind = kind;
  }
}

/** A contiguous range of values, numbered 0..size-1. */
export interface AllocationRange {
  size: number;
  /** The value at offset i, as stored and shown: "10.96.0.12", "31180". */
  at(i: number): string;
  /** The offset of a value, or undefined when outside the range. */
  offset(v: string): number | undefined;
  /** The message for a value outside the range. */
  outOfRange(v: string): string;
  /** The message for a value already taken. */
  taken: string;
}

/** Allocates values of one range in the store. */
export class Allocator {
  readonly #store: Store;
  readonly #resource: string;
  readonly #range: AllocationRange;
  readonly #static: number;

  constructor(store: Store, resource: string, range: AllocationRange, staticBand: number) {
    this.#store = store;
    this.#resource = resource;
    this.#range = range;
    this.#static = staticBand;
  }

  #key(v: string) {
    return { resource: this.#resource, namespace: undefined, name: v };
  }

  /** Allocates a specific value for owner; throws AllocationError. */
  async allocate(v: string, owner: string): Promise<void> {
    if (this.#range.offset(v) === undefined) throw new AllocationError("range", this.#range.outOfRange(v));
    try {
      await this.#store.create(this.#key(v), { metadata: { name: v }, spec: { owner } });
    } catch (err) {
      if (err instanceof StoreError && err.code === "AlreadyExists") {
        throw new AllocationError("allocated", this.#range.taken);
      }
      throw err;
    }
  }

  /** Allocates any free value for owner, from the dynamic band first. */
  async allocateNext(owner: string): Promise<string> {
    const { size } = this.#range;
    const dynamic = size - this.#static;
    // Random probes first: cheap while the range is mostly free.
    for (let i = 0; i < 32 && dynamic > 0; i++) {
      const v = this.#range.at(this.#static + Math.floor(Math.random() * dynamic));
      try {
        await this.allocate(v, owner);
        return v;
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
      }
    }
    // Then a scan, upper band before the static band.
    const taken = new Set(
      (await this.#store.list(this.#resource, undefined)).items.map((o) => o["metadata"]["name"]),
    );
    const order = [
      ...Array.from({ length: dynamic }, (_, i) => this.#static + i),
      ...Array.from({ length: this.#static }, (_, i) => i),
    ];
    for (const i of order) {
      const v = this.#range.at(i);
      if (taken.has(v)) continue;
      try {
        await this.allocate(v, owner);
        return v;
      } catch (err) {
        if (!(err instanceof AllocationError)) throw err;
      }
    }
    throw new AllocationError("full", "range is full");
  }

  /** Releases a value; releasing a free value is a no-op. */
  async release(v: string): Promise<void> {
    const cur = await this.#store.get(this.#key(v));
    if (!cur) return;
    try {
      await this.#store.delete(this.#key(v), cur.obj, cur.rev);
    } catch (err) {
      if (!(err instanceof StoreError && (err.code === "NotFound" || err.code === "Conflict"))) throw err;
    }
  }

  /** Whether a value is allocated. */
  async isAllocated(v: string): Promise<boolean> {
    return (await this.#store.get(this.#key(v))) !== undefined;
  }
}

/** The IP range of a CIDR without its network and broadcast addresses, as upstream allocates. */
export function cidrRange(cidr: string): AllocationRange & { base: number; prefix: number } {
  const [addr, bits] = cidr.split("/");
  const prefix = Number(bits);
  const ip = ipv4ToInt(addr ?? "");
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new Error(`invalid service CIDR ${cidr}`);
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = (ip & mask) >>> 0;
  const size = 2 ** (32 - prefix) - 2;
  return {
    base,
    prefix,
    size,
    at: (i) => intToIPv4(base + 1 + i),
    offset: (v) => {
      const n = ipv4ToInt(v);
      if (n === undefined) return undefined;
      const i = n - base - 1;
      return i >= 0 && i < size ? i : undefined;
    },
    outOfRange: (v) =>
      `the provided IP (${v}) is not in the valid range. The range of valid IPs is ${intToIPv4(base)}/${prefix}`,
    taken: "provided IP is already allocated",
  };
}

/** A port range "30000-32767". */
export function portRange(spec: string): AllocationRange & { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(spec);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`invalid port range ${spec}`);
  return {
    lo,
    hi,
    size: hi - lo + 1,
    at: (i) => String(lo + i),
    offset: (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= lo && n <= hi ? n - lo : undefined;
    },
    outOfRange: () => `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`,
    taken: "provided port is already allocated",
  };
}

/** Upstream's static band: size/16 clamped to [16, 256] for IPs. */
export function ipStaticBand(size: number): number {
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

/** Upstream's static band: size/32 clamped to [16, 128] for NodePorts. */
export function portStaticBand(size: number): number {
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}
