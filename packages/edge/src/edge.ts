/** The edge: what sits outside the cluster. The external load balancer and the LoadBalancer IP pool, together. */
import { firstHostIPv4, intToIPv4, ipv4ToInt, type Logger } from "@kemu/common";
import { ApiClient, Informer, R } from "@kemu/controllers";
import type { NatsConnection } from "@kemu/nats";
import { EdgeBalancer } from "./balancer.ts";
import { LoadBalancerPool } from "./lbpool.ts";
import { networkInterfaces } from "node:os";
import { detectNodeIP, KernelFabric } from "@kemu/fabric";

/**
 * The top /28 of this host's first non-loopback IPv4 network (e.g. 172.18.255.240/28 in a
 * 172.18.0.0/16 Docker network, whose IPAM hands out addresses from the bottom).
 */
export function autoLoadBalancerPool(
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string | undefined {
  const own = firstHostIPv4(interfaces);
  const prefix = Number(own?.cidr?.split("/")[1]);
  const v = own && ipv4ToInt(own.address);
  if (v === undefined || !(prefix >= 8 && prefix <= 28)) return undefined;
  const broadcast = (v | (2 ** (32 - prefix) - 1)) >>> 0;
  return `${intToIPv4((broadcast & ~15) >>> 0)}/28`;
}

/** Options of the edge. */
export interface EdgeOptions {
  nc: NatsConnection;
  log: Logger;
  /** Where NodePorts are published (default 127.0.0.1). */
  edgeHost?: string;
  /**
   * The LoadBalancer address pool (default 127.0.2.0/24). "auto": the top /28 of this host's own
   * network, with each address put on lo as it is assigned (compose: the host reaches them
   * through Docker's bridge; needs NET_ADMIN).
   */
  lbPool?: string;
  healthIntervalMs?: number;
}

/** A running edge. */
export class Edge {
  readonly balancer: EdgeBalancer;
  readonly #pool: LoadBalancerPool;
  readonly #informers: Informer[];

  private constructor(balancer: EdgeBalancer, pool: LoadBalancerPool, informers: Informer[]) {
    this.balancer = balancer;
    this.#pool = pool;
    this.#informers = informers;
  }

  /** Starts following Services and Nodes, assigning LB addresses and publishing frontends. */
  static async start(opts: EdgeOptions): Promise<Edge> {
    const client = new ApiClient(opts.nc);
    const services = new Informer(client, R.services, opts.log.child("services"));
    const nodes = new Informer(client, R.nodes, opts.log.child("nodes"));
    const auto = opts.lbPool === "auto";
    const cidr = auto ? autoLoadBalancerPool() : (opts.lbPool ?? "127.0.2.0/24");
    if (!cidr) throw new Error("--lb-pool auto: this host has no non-loopback IPv4 network");
    const pool = new LoadBalancerPool(client, services, cidr, opts.log.child("lb-pool"));
    opts.log.info("LoadBalancer pool", { cidr });
    const balancerOpts: ConstructorParameters<typeof EdgeBalancer>[0] = {
      services,
      nodes,
      log: opts.log.child("lb"),
    };
    if (opts.edgeHost) balancerOpts.edgeHost = opts.edgeHost;
    if (opts.healthIntervalMs) balancerOpts.healthIntervalMs = opts.healthIntervalMs;
    if (auto) {
      const addresses = new KernelFabric({ nodeIP: detectNodeIP() ?? "", log: opts.log.child("addresses") });
      balancerOpts.addresses = addresses.serviceIPs;
    }
    const balancer = new EdgeBalancer(balancerOpts);
    await Promise.all([services.start(), nodes.start()]);
    pool.run();
    balancer.start();
    return new Edge(balancer, pool, [services, nodes]);
  }

  /** Stops everything. */
  async stop(): Promise<void> {
    this.#pool.stop();
    await this.balancer.stop();
    for (const i of this.#informers) i.stop();
  }
}
