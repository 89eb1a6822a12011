/**
 * One emulated node on the kernel fabric: the node of a compose container. Its node IP is the
 * container's own address; pods and service IPs go onto the container's lo; and a route to each
 * other node's pod CIDR, via that node's InternalIP, is kept current from the Node objects as
 * nodes join and leave (host-gw style).
 */
import type { Logger } from "@kemu/common";
import { ApiClient, Informer, R, type KObject } from "@kemu/controllers";
import { KernelFabric, type IpRunner, type PodRoute } from "@kemu/fabric";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { NodeAgent, tuningOf, type NodeTuning } from "./agent.ts";

/** Options of a KernelNode. */
export interface KernelNodeOptions extends NodeTuning {
  natsUrl: string;
  log: Logger;
  name: string;
  /** N: the node's pod CIDR is 10.244.N.0/24. */
  index: number;
  /** This container's address: the Node's InternalIP. */
  nodeIP: string;
  /** iproute2, replaceable in tests. */
  ip?: IpRunner;
}

/** Routes to every other node's pods, from the Node objects (spec.podCIDR via the InternalIP). */
export function podRoutes(nodes: KObject[], self: string): PodRoute[] {
  const out: PodRoute[] = [];
  for (const n of nodes) {
    if (n["metadata"]?.["name"] === self) continue;
    const cidr: unknown = n["spec"]?.["podCIDR"];
    const addrs = (n["status"]?.["addresses"] ?? []) as { type?: string; address?: string }[];
    const via = addrs.find((a) => a.type === "InternalIP")?.address;
    if (typeof cidr === "string" && cidr && via) out.push({ cidr, via });
  }
  return out.sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
}

/** A node running in its own container. */
export class KernelNode {
  readonly agent: NodeAgent;
  readonly fabric: KernelFabric;
  readonly #nc: NatsConnection;
  readonly #nodes: Informer;

  private constructor(nc: NatsConnection, fabric: KernelFabric, agent: NodeAgent, nodes: Informer) {
    this.#nc = nc;
    this.fabric = fabric;
    this.agent = agent;
    this.#nodes = nodes;
  }

  /** Cleans the container's addresses, starts the node, then follows Nodes for routes. */
  static async start(o: KernelNodeOptions): Promise<KernelNode> {
    const nc = await connectNats({ url: o.natsUrl, name: `kemu-${o.name}`, log: o.log.child("nats") });
    const fabricOpts: ConstructorParameters<typeof KernelFabric>[0] = {
      nodeIP: o.nodeIP,
      log: o.log.child("fabric"),
    };
    if (o.ip) fabricOpts.ip = o.ip;
    const fabric = new KernelFabric(fabricOpts);
    await fabric.reset();
    const agent = await NodeAgent.start({
      nc,
      fabric,
      log: o.log,
      name: o.name,
      index: o.index,
      ...tuningOf(o),
    });

    const nodes = new Informer(new ApiClient(nc), R.nodes, o.log.child("routes"));
    let syncing = Promise.resolve();
    const sync = () => {
      syncing = syncing.then(() => fabric.syncRoutes(podRoutes(nodes.list(), o.name)));
    };
    nodes.addHandlers({ add: sync, update: sync, delete: sync });
    await nodes.start();
    sync();
    await syncing;
    return new KernelNode(nc, fabric, agent, nodes);
  }

  /** Stops the node and disconnects; routes and addresses stay until the container goes. */
  async stop(): Promise<void> {
    this.#nodes.stop();
    await this.agent.stop();
    await this.fabric.close();
    await this.#nc.drain().catch(() => {});
  }
}
