/**
 * Endpoint selection as each kube-proxy mode does it, with no I/O: the data plane calls these
 * for every new connection (never per request), after routing has produced the candidates.
 *
 * - iptables: the service chain holds one rule per endpoint, `-m statistic --mode random
 *   --probability 1/(n-i)` for endpoint i (printed with ten decimals), the last one
 *   unconditional; the cascade is uniform.
 * - nftables: `numgen random mod n vmap { 0 : goto ep0, ... }`, uniform.
 * - ipvs: the kernel schedulers, with every real server at weight 1 (what kube-proxy programs):
 *   rr, wrr (= rr at equal weights), lc and wlc (least `active*256 + inactive`), sed
 *   (least `active+1`), nq (the first idle server, else sed), sh and dh (a 256-bucket table
 *   filled round-robin with the servers, indexed by a hash of the source or destination IP).
 * - ClientIP affinity: a table clientIP -> endpoint per service port, refreshed by every new
 *   connection and expiring timeoutSeconds after the last one (iptables `recent --rcheck
 *   --seconds T --reap` then `--set`; ipvs persistence).
 *
 * Limitations vs Kubernetes: ipvs state (rr position, connection counts, persistence) is kept
 * per service port rather than per virtual server (ClusterIP, each node IP:NodePort, each
 * external IP), and the server order is the RuleSet's sorted order rather than insertion order.
 */
import type { IpvsScheduler, ProxyMode, RuleEndpoint } from "../types.ts";

/** A millisecond clock; injected so that tests can expire affinity and sessions without sleeping. */
export interface Clock {
  now(): number;
}

/** The default clock: monotonic milliseconds. */
export const monotonicClock: Clock = { now: () => performance.now() };

/** A source of uniform numbers in [0, 1), injectable for tests. */
export type Random = () => number;

/** The key of an endpoint in counters and affinity tables: "ip:port". */
export function endpointKey(ep: Pick<RuleEndpoint, "ip" | "port">): string {
  return `${ep.ip}:${ep.port}`;
}

/** Scheduling state of one service port that survives rule changes (ipvs counters, affinity). */
export class ServicePortState {
  /** Established connections per endpoint key (ipvs activeconns). */
  readonly active = new Map<string, number>();
  /** Connections that count as inactive per endpoint key (ipvs inactconns: UDP flows). */
  readonly inactive = new Map<string, number>();
  /** ClientIP affinity: client IP -> endpoint key and when it was last used (clock ms). */
  readonly affinity = new Map<string, { ep: string; at: number }>();
  /** The endpoint key rr picked last, and its index then. */
  rrLast: string | undefined;
  rrIndex = 0;

  /** Adds delta to one of the connection counters. */
  count(which: "active" | "inactive", ep: string, delta: number): void {
    const m = which === "active" ? this.active : this.inactive;
    const v = (m.get(ep) ?? 0) + delta;
    if (v > 0) m.set(ep, v);
    else m.delete(ep);
  }

  /** Forgets affinity entries older than timeoutMs. */
  expireAffinity(now: number, timeoutMs: number): void {
    for (const [ip, e] of this.affinity) if (now - e.at > timeoutMs) this.affinity.delete(ip);
  }
}

/** What the schedulers may look at besides the candidates. */
export interface PickContext {
  /** The client address as the node sees it (before SNAT). */
  clientIP: string;
  /** The address the client dialled (ClusterIP, node IP, external IP). */
  dstIP: string;
}

/** kube-proxy's iptables probability for endpoint i of n, as it prints it (`%0.10f`). */
export function iptablesProbability(i: number, n: number): number {
  return Number((1 / (n - i)).toFixed(10));
}

/** The iptables cascade: rule i matches with probability 1/(n-i); the last one always does. */
export function iptablesPick(n: number, random: Random): number {
  for (let i = 0; i < n - 1; i++) if (random() < iptablesProbability(i, n)) return i;
  return n - 1;
}

/** nftables `numgen random mod n`. */
export function nftablesPick(n: number, random: Random): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Parses a dotted IPv4 address to an unsigned 32-bit number (0 for anything else). */
export function ipv4ToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) return 0;
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255) return 0;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** IPVS's table size for sh and dh (CONFIG_IP_VS_SH_TAB_BITS = CONFIG_IP_VS_DH_TAB_BITS = 8). */
const TAB_BITS = 8;
const TAB_MASK = (1 << TAB_BITS) - 1;
/** The kernel's GOLDEN_RATIO_32, used by hash_32(). */
const GOLDEN_RATIO_32 = 0x61c88647;

/** ip_vs_sh_hashkey (no sh-port flag, so the port is 0): hash_32(addr, 8). */
export function shBucket(srcIP: string): number {
  return (Math.imul(ipv4ToInt(srcIP), GOLDEN_RATIO_32) >>> (32 - TAB_BITS)) & TAB_MASK;
}

/** ip_vs_dh_hashkey: (addr * 2654435761) & 255; only the low bits of the product matter. */
export function dhBucket(dstIP: string): number {
  return Math.imul(ipv4ToInt(dstIP), 2654435761 | 0) & TAB_MASK;
}

/** Index of the least of score(i) over 0..n-1, the first one on ties (the kernel's strict `<`). */
function argmin(n: number, score: (i: number) => number): number {
  let best = 0;
  let bestScore = score(0);
  for (let i = 1; i < n; i++) {
    const s = score(i);
    if (s < bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

/** Picks one of the candidates (non-empty, sorted) with the ipvs scheduler; updates rr state. */
export function ipvsPick(
  scheduler: IpvsScheduler,
  state: ServicePortState,
  candidates: readonly RuleEndpoint[],
  ctx: PickContext,
): number {
  const n = candidates.length;
  const key = (i: number) => endpointKey(candidates[i]!);
  const active = (i: number) => state.active.get(key(i)) ?? 0;
  const inactive = (i: number) => state.inactive.get(key(i)) ?? 0;
  switch (scheduler) {
    case "rr":
    case "wrr": {
      // The server after the last one picked, in list order. When that one has gone, the one now
      // at its position (ip_vs_rr_del_dest steps the pointer back, so its successor is next).
      let i = 0;
      if (state.rrLast !== undefined) {
        const at = candidates.findIndex((_, j) => key(j) === state.rrLast);
        i = at >= 0 ? (at + 1) % n : state.rrIndex % n;
      }
      state.rrLast = key(i);
      state.rrIndex = i;
      return i;
    }
    case "lc":
    case "wlc":
      // ip_vs_dest_conn_overhead; wlc divides by the weight, which is 1 for every server.
      return argmin(n, (i) => active(i) * 256 + inactive(i));
    case "nq": {
      const idle = candidates.findIndex((_, i) => active(i) === 0);
      if (idle >= 0) return idle;
      return argmin(n, (i) => active(i) + 1);
    }
    case "sed":
      return argmin(n, (i) => active(i) + 1);
    case "sh":
      // Bucket b holds server b mod n (ip_vs_sh_reassign at weight 1).
      return shBucket(ctx.clientIP) % n;
    case "dh":
      return dhBucket(ctx.dstIP) % n;
  }
}

/** Picks the candidate for a new connection per mode (no affinity; see pickWithAffinity). */
export function pickEndpoint(
  mode: ProxyMode,
  scheduler: IpvsScheduler,
  state: ServicePortState,
  candidates: readonly RuleEndpoint[],
  ctx: PickContext,
  random: Random,
): RuleEndpoint {
  const n = candidates.length;
  let i: number;
  if (mode === "ipvs") i = ipvsPick(scheduler, state, candidates, ctx);
  else if (mode === "nftables") i = nftablesPick(n, random);
  else i = iptablesPick(n, random);
  return candidates[i]!;
}

/**
 * Picks with ClientIP affinity when timeoutSeconds is set: the remembered endpoint if it is still
 * a candidate and was used within the timeout, else a fresh pick; either way the entry is
 * refreshed, as the endpoint chain's `recent --set` does.
 */
export function pickWithAffinity(
  mode: ProxyMode,
  scheduler: IpvsScheduler,
  state: ServicePortState,
  candidates: readonly RuleEndpoint[],
  ctx: PickContext,
  random: Random,
  affinityTimeoutSeconds: number | undefined,
  now: number,
): RuleEndpoint {
  if (affinityTimeoutSeconds === undefined) {
    return pickEndpoint(mode, scheduler, state, candidates, ctx, random);
  }
  const remembered = state.affinity.get(ctx.clientIP);
  let ep: RuleEndpoint | undefined;
  if (remembered && now - remembered.at <= affinityTimeoutSeconds * 1000) {
    ep = candidates.find((c) => endpointKey(c) === remembered.ep);
  }
  ep ??= pickEndpoint(mode, scheduler, state, candidates, ctx, random);
  state.affinity.set(ctx.clientIP, { ep: endpointKey(ep), at: now });
  return ep;
}
