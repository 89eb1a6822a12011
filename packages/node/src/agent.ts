/**
 * One emulated node: its kubelet, its kube-proxy and the data plane they share. A NodeHost
 * runs many of them in one process over one NATS connection (scale runs, `kemu up`); the
 * compose setup runs one per container.
 */
import type { Logger } from "@kemu/common";
import { ApiClient } from "@kemu/controllers";
import type { Fabric } from "@kemu/fabric";
import { Kubelet, type KubeletSettingsInput } from "@kemu/kubelet";
import { KubeProxy, UserspaceDataPlane, type IpvsScheduler, type ProxyMode } from "@kemu/proxy";
import { nodeSubject, type NatsConnection, type Subscription } from "@kemu/nats";

/** What a node needs to know about itself. */
export interface NodeAgentOptions {
  nc: NatsConnection;
  fabric: Fabric;
  log: Logger;
  name: string;
  /** N: 127.0.1.N and 10.244.N.0/24. */
  index: number;
  proxyMode: ProxyMode;
  ipvsScheduler?: IpvsScheduler | undefined;
  /** minSyncPeriod and syncPeriod of kube-proxy (ms). */
  minSyncPeriodMs?: number | undefined;
  syncPeriodMs?: number | undefined;
  /** Extra kubelet settings (labels, lease timings, capacity). */
  kubelet?: Partial<KubeletSettingsInput> | undefined;
}

/** How a node's kube-proxy and kubelet are tuned: what a host of nodes passes on to each. */
export type NodeTuning = Pick<
  NodeAgentOptions,
  "proxyMode" | "ipvsScheduler" | "minSyncPeriodMs" | "syncPeriodMs" | "kubelet"
>;

/** Just the tuning of a larger options object. */
export function tuningOf(o: NodeTuning): NodeTuning {
  return {
    proxyMode: o.proxyMode,
    ipvsScheduler: o.ipvsScheduler,
    minSyncPeriodMs: o.minSyncPeriodMs,
    syncPeriodMs: o.syncPeriodMs,
    kubelet: o.kubelet,
  };
}

/** A running node. */
export class NodeAgent {
  readonly name: string;
  readonly ip: string;
  readonly kubelet: Kubelet;
  readonly proxy: KubeProxy;
  readonly dataPlane: UserspaceDataPlane;

  readonly #stats: Subscription;

  private constructor(
    name: string,
    ip: string,
    kubelet: Kubelet,
    proxy: KubeProxy,
    dataPlane: UserspaceDataPlane,
    stats: Subscription,
  ) {
    this.name = name;
    this.ip = ip;
    this.kubelet = kubelet;
    this.proxy = proxy;
    this.dataPlane = dataPlane;
    this.#stats = stats;
  }

  /** Starts the node: the data plane first, then kube-proxy and the kubelet (which registers the Node). */
  static async start(o: NodeAgentOptions): Promise<NodeAgent> {
    const api = new ApiClient(o.nc);
    const ip = o.fabric.nodeIP(o.index);
    const log = o.log.child(o.name);
    const node = { name: o.name, ip };
    const dataPlane = new UserspaceDataPlane({
      fabric: o.fabric,
      node,
      log: log.child("dataplane"),
      ...(o.fabric.serviceIPs ? { serviceIPs: o.fabric.serviceIPs } : {}),
    });
    const proxy = new KubeProxy({
      log: log.child("proxy"),
      dataPlane,
      api,
      node,
      bindAddress: ip,
      config: {
        mode: o.proxyMode,
        ipvsScheduler: o.ipvsScheduler ?? "rr",
        clusterCIDR: "10.244.0.0/16",
        minSyncPeriodMs: o.minSyncPeriodMs ?? 1_000,
        syncPeriodMs: o.syncPeriodMs ?? 30_000,
      },
    });
    const kubelet = new Kubelet({
      settings: { ...o.kubelet, nodeName: o.name, nodeIndex: o.index },
      api,
      fabric: o.fabric,
      log: log.child("kubelet"),
      dataPlane,
    });
    await proxy.start();
    await kubelet.start();
    // The data plane's counters, for `kemu top`: new connections per service port and endpoint.
    const stats = o.nc.subscribe(nodeSubject(o.name, "proxy.stats.get"), {
      callback: (_err, msg) => {
        const pods: Record<string, string> = {};
        for (const r of proxy.rules?.rules ?? []) {
          for (const ep of [...r.clusterEndpoints, ...r.externalEndpoints]) {
            if (ep.podRef) pods[`${ep.ip}:${ep.port}`] = `${ep.podRef}@${ep.nodeName ?? ""}`;
          }
        }
        msg.respond(new TextEncoder().encode(JSON.stringify({ ...dataPlane.stats(), pods, at: Date.now() })));
      },
    });
    return new NodeAgent(o.name, ip, kubelet, proxy, dataPlane, stats);
  }

  /** Stops the kubelet, kube-proxy and the data plane. */
  async stop(): Promise<void> {
    this.#stats.unsubscribe();
    await this.kubelet.stop();
    await this.proxy.stop();
    await this.dataPlane.close();
  }
}
