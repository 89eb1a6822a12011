/**
 * The kernel fabric (docker compose, one node per container, NET_ADMIN): cluster addresses are
 * real. Pod IPs and service IPs are /32 addresses on the container's lo (the kernel here has no
 * dummy links), pods listen on their own IPs, and every other node's pod /24 is routed via that
 * node's container IP (host-gw style, as flannel's host-gw backend does). A pod port is reached
 * by dialling podIP:port, wherever the pod runs; nothing is recorded in NATS.
 *
 * Address and route changes go through iproute2 (`ip`), one command at a time, serialised.
 *
 * Limitations vs a real node network: no CNI, no veth per pod and no network namespaces, so
 * every pod on a node shares the container's ports (two pods of a node cannot both listen on
 * port 80 of 0.0.0.0, but each binds its own IP, so they do not collide); traffic between pods
 * on one node never leaves lo; NetworkPolicy is not enforced.
 */
import { execFile } from "node:child_process";
import { cidrContains, firstHostIPv4, type Logger } from "@kemu/common";
import type { Fabric, Protocol, SocketAddress } from "./types.ts";

/** Runs `ip` with the given arguments; rejects with its stderr. */
export type IpRunner = (args: string[]) => Promise<string>;

/** The real iproute2. */
export const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile("ip", args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });

/** A route to another node's pods. */
export interface PodRoute {
  /** The node's pod CIDR (spec.podCIDR), e.g. 10.244.2.0/24. */
  cidr: string;
  /** The node's InternalIP: the next hop. */
  via: string;
}

/** Options of a KernelFabric. */
export interface KernelFabricOptions {
  /** This container's address on the node network (the Node's InternalIP). */
  nodeIP: string;
  log: Logger;
  /** Ranges whose /32s on lo belong to kemu and are flushed at start (pod and service CIDRs). */
  ownedCIDRs?: string[];
  /** iproute2, replaceable in tests. */
  ip?: IpRunner;
}

/** The first non-internal IPv4 address of this host (a container's eth0), or undefined. */
export function detectNodeIP(): string | undefined {
  return firstHostIPv4()?.address;
}

/** The kernel fabric of one node container. */
export class KernelFabric implements Fabric {
  readonly kind = "kernel" as const;
  readonly serviceIPs: { add(ip: string): Promise<void>; remove(ip: string): Promise<void> };
  readonly #nodeIP: string;
  readonly #log: Logger;
  readonly #ip: IpRunner;
  readonly #owned: string[];
  /** Routes this fabric installed: cidr -> via. */
  readonly #routes = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: KernelFabricOptions) {
    this.#nodeIP = o.nodeIP;
    this.#log = o.log;
    this.#ip = o.ip ?? runIp;
    this.#owned = o.ownedCIDRs ?? ["10.244.0.0/16", "10.96.0.0/12"];
    this.serviceIPs = { add: (ip) => this.#addAddress(ip), remove: (ip) => this.#removeAddress(ip) };
  }

  /** One `ip` command at a time, in order. */
  #run(args: string[]): Promise<string> {
    const next = this.#queue.then(() => this.#ip(args));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Takes kemu's leftover addresses off lo (a container restarted with the same network
   * namespace keeps them) and its leftover routes, so the node starts from a clean slate.
   */
  async reset(): Promise<void> {
    const out = await this.#run(["-o", "-4", "addr", "show", "dev", "lo"]);
    for (const m of out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)) {
      const ip = m[1]!;
      if (this.#owned.some((c) => cidrContains(c, ip))) await this.#removeAddress(ip);
    }
    const routes = await this.#run(["-4", "route", "show"]);
    for (const line of routes.split("\n")) {
      const m = /^(\d+\.\d+\.\d+\.\d+\/\d+) via (\S+)/.exec(line);
      if (m && this.#owned.some((c) => cidrContains(c, m[1]!.split("/")[0]!))) {
        await this.#run(["route", "del", m[1]!]).catch(() => undefined);
      }
    }
  }

  nodeIP(): string {
    return this.#nodeIP;
  }

  async #addAddress(ip: string): Promise<void> {
    try {
      await this.#run(["addr", "add", `${ip}/32`, "dev", "lo"]);
    } catch (err) {
      // Already there (a pod IP reused, or a restart): that is what we wanted.
      if (!/File exists/.test(String(err))) throw err;
    }
  }

  async #removeAddress(ip: string): Promise<void> {
    try {
      await this.#run(["addr", "del", `${ip}/32`, "dev", "lo"]);
    } catch (err) {
      if (!/Cannot assign requested address/.test(String(err))) throw err;
    }
  }

  addPodIP(ip: string): Promise<void> {
    return this.#addAddress(ip);
  }

  removePodIP(ip: string): Promise<void> {
    return this.#removeAddress(ip);
  }

  podListenAddress(podIP: string, port: number): SocketAddress {
    return { host: podIP, port };
  }

  async publishPodPort(): Promise<void> {}

  async unpublishPodPort(): Promise<void> {}

  /** A pod port is its own address: the kernel routes it to whichever node has the pod. */
  resolvePodPort(podIP: string, port: number, _proto: Protocol): SocketAddress | undefined {
    return { host: podIP, port };
  }

  async forgetNode(): Promise<void> {}

  /**
   * Makes the routes to other nodes' pods exactly `want`: replaces changed ones, deletes those of
   * nodes that left. A route that cannot be installed is logged and retried on the next call.
   */
  async syncRoutes(want: PodRoute[]): Promise<void> {
    const desired = new Map(want.map((r) => [r.cidr, r.via]));
    for (const [cidr, via] of desired) {
      if (this.#routes.get(cidr) === via) continue;
      try {
        await this.#run(["route", "replace", cidr, "via", via]);
        this.#routes.set(cidr, via);
        this.#log.info("pod route", { cidr, via });
      } catch (err) {
        this.#log.warn("cannot install pod route; retrying on the next change", {
          cidr,
          via,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const cidr of [...this.#routes.keys()]) {
      if (desired.has(cidr)) continue;
      this.#routes.delete(cidr);
      await this.#run(["route", "del", cidr]).catch(() => undefined);
      this.#log.info("pod route removed", { cidr });
    }
  }

  /** The routes this fabric installed (for diagnostics and tests). */
  routes(): PodRoute[] {
    return [...this.#routes].map(([cidr, via]) => ({ cidr, via })).sort((a, b) => (a.cidr < b.cidr ? -1 : 1));
  }

  async close(): Promise<void> {
    await this.#queue;
  }
}
