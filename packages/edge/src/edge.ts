/** The edge: what sits outside the cluster. The external load balancer and the LoadBalancer IP pool, together. */
import type { Logger } from "@kemu/common";
import { ApiClient, Informer, R } from "@kemu/controllers";
import type { NatsConnection } from "@kemu/nats";
import { EdgeBalancer } from "./balancer.ts";
import { LoadBalancerPool } from "./lbpool.ts";

/** Options of the edge. */
export interface EdgeOptions {
  nc: NatsConnection;
  log: Logger;
  /** Where NodePorts are published (default 127.0.0.1). */
  edgeHost?: string;
  /** The LoadBalancer address pool (default 127.0.2.0/24). */
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
    const pool = new LoadBalancerPool(
      client,
      services,
      opts.lbPool ?? "127.0.2.0/24",
      opts.log.child("lb-pool"),
    );
    const balancerOpts: ConstructorParameters<typeof EdgeBalancer>[0] = {
      services,
      nodes,
      log: opts.log.child("lb"),
    };
    if (opts.edgeHost) balancerOpts.edgeHost = opts.edgeHost;
    if (opts.healthIntervalMs) balancerOpts.healthIntervalMs = opts.healthIntervalMs;
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
