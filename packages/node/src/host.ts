/** Many node agents in one process, sharing one NATS connection and one fabric. */
import type { Logger } from "@kemu/common";
import { LoopbackFabric } from "@kemu/fabric";
import { connectNats, type NatsConnection } from "@kemu/nats";
import { NodeAgent, tuningOf, type NodeTuning } from "./agent.ts";
import { HostDnsPort } from "./dnsport.ts";

/** Options of a NodeHost; the tuning (proxy mode, sync periods, kubelet settings) goes to every node. */
export interface NodeHostOptions extends NodeTuning {
  natsUrl: string;
  log: Logger;
  count: number;
  /** Index of the first node (default 1): node-1 is 127.0.1.1. */
  firstIndex?: number;
  /** Node names are `${prefix}${index}` (default "node-"). */
  namePrefix?: string;
  /** Publish the cluster DNS on 127.0.0.1 at this port (0: any free one; undefined: not at all). */
  dnsPort?: number;
  /** Called as each node comes up. */
  onNode?: (agent: NodeAgent) => void;
}

/** A process's worth of nodes. */
export class NodeHost {
  readonly agents: NodeAgent[];
  readonly fabric: LoopbackFabric;
  /** The cluster DNS published on the host, if asked for. */
  dns: HostDnsPort | undefined;
  readonly #nc: NatsConnection;

  private constructor(nc: NatsConnection, fabric: LoopbackFabric, agents: NodeAgent[]) {
    this.#nc = nc;
    this.fabric = fabric;
    this.agents = agents;
  }

  /** Starts count nodes, a few at a time. */
  static async start(o: NodeHostOptions): Promise<NodeHost> {
    const nc = await connectNats({ url: o.natsUrl, name: "kemu-nodes", log: o.log.child("nats") });
    const fabric = await LoopbackFabric.open(nc, o.log.child("fabric"));
    const agents: NodeAgent[] = [];
    const first = o.firstIndex ?? 1;
    const indexes = Array.from({ length: o.count }, (_, i) => first + i);
    const host = new NodeHost(nc, fabric, agents);
    try {
      // Eight at a time: starting 50 nodes at once would flood a 2-core machine.
      for (let i = 0; i < indexes.length; i += 8) {
        const batch = await Promise.all(
          indexes.slice(i, i + 8).map(async (index) => {
            const name = `${o.namePrefix ?? "node-"}${index}`;
            await fabric.forgetNode(name);
            const agent = await NodeAgent.start({ nc, fabric, log: o.log, name, index, ...tuningOf(o) });
            o.onNode?.(agent);
            return agent;
          }),
        );
        agents.push(...batch);
      }
      if (o.dnsPort !== undefined && agents[0]) {
        host.dns = await HostDnsPort.start(agents[0].dataPlane, o.log.child("dns"), "127.0.0.1", o.dnsPort);
      }
    } catch (err) {
      await host.stop();
      throw err;
    }
    return host;
  }

  /** Stops every node and disconnects. */
  async stop(): Promise<void> {
    await this.dns?.stop();
    for (const a of this.agents) await a.stop().catch(() => {});
    await this.fabric.close();
    await this.#nc.drain().catch(() => {});
  }
}
