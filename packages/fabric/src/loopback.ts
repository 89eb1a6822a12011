/**
 * The loopback fabric: node N is 127.0.1.N (all of 127/8 is loopback on Linux, so no root is
 * needed); pod IPs are virtual, and each pod port really listens on 127.0.0.1 at a port the
 * kernel picks. Where each pod port is served is recorded in a NATS KV bucket that every node
 * agent follows, so a node's proxy can reach pods on any node.
 *
 * Limitations vs a real network: traffic between "nodes" is loopback traffic; pod and cluster
 * IPs cannot be dialled directly from the host (use `kemu` commands that run inside a node).
 */
import { Kvm, type KV } from "@nats-io/kv";
import type { Logger } from "@kemu/common";
import type { NatsConnection } from "@kemu/nats";
import { FABRIC_BUCKET } from "@kemu/nats";
import type { Fabric, Protocol, SocketAddress } from "./types.ts";

interface Record_ {
  node: string;
  host: string;
  port: number;
}

const keyOf = (ip: string, port: number, proto: Protocol) =>
  `ep.${ip.replace(/[.:]/g, "_")}.${port}.${proto}`;

/** The loopback fabric. */
export class LoopbackFabric implements Fabric {
  readonly kind = "loopback" as const;
  readonly #kv: KV;
  readonly #log: Logger;
  readonly #records = new Map<string, Record_>();
  #stop: (() => void) | undefined;

  private constructor(kv: KV, log: Logger) {
    this.#kv = kv;
    this.#log = log;
  }

  /** Opens (creating if needed) the fabric bucket and loads every record before resolving. */
  static async open(nc: NatsConnection, log: Logger): Promise<LoopbackFabric> {
    const kv = await new Kvm(nc).create(FABRIC_BUCKET, { history: 1 });
    const f = new LoopbackFabric(kv, log);
    await f.#follow();
    return f;
  }

  async #follow(): Promise<void> {
    const initial = (await this.#kv.status()).values;
    const watch = await this.#kv.watch({ key: "ep.>" });
    this.#stop = () => watch.stop();
    let seen = 0;
    let ready: () => void = () => {};
    const loaded = new Promise<void>((r) => (ready = r));
    if (initial === 0) ready();
    void (async () => {
      for await (const e of watch) {
        if (e.operation === "PUT") {
          try {
            this.#records.set(e.key, JSON.parse(e.string()) as Record_);
          } catch {
            this.#log.warn("fabric: bad record ignored", { key: e.key });
          }
        } else {
          this.#records.delete(e.key);
        }
        if (++seen >= initial || e.delta === 0) ready();
      }
    })();
    await loaded;
  }

  nodeIP(index: number): string {
    if (!Number.isInteger(index) || index < 1 || index > 254)
      throw new Error(`node index ${index} out of range 1-254`);
    return `127.0.1.${index}`;
  }

  async addPodIP(): Promise<void> {}

  async removePodIP(): Promise<void> {}

  podListenAddress(): SocketAddress {
    return { host: "127.0.0.1", port: 0 };
  }

  async publishPodPort(
    node: string,
    podIP: string,
    port: number,
    proto: Protocol,
    bound: SocketAddress,
  ): Promise<void> {
    const key = keyOf(podIP, port, proto);
    const rec: Record_ = { node, host: bound.host, port: bound.port };
    this.#records.set(key, rec);
    await this.#kv.put(key, JSON.stringify(rec));
  }

  async unpublishPodPort(podIP: string, port: number, proto: Protocol): Promise<void> {
    const key = keyOf(podIP, port, proto);
    this.#records.delete(key);
    await this.#kv.delete(key);
  }

  resolvePodPort(podIP: string, port: number, proto: Protocol): SocketAddress | undefined {
    const r = this.#records.get(keyOf(podIP, port, proto));
    return r ? { host: r.host, port: r.port } : undefined;
  }

  async forgetNode(node: string): Promise<void> {
    for (const [key, r] of [...this.#records]) {
      if (r.node === node) {
        this.#records.delete(key);
        await this.#kv.delete(key);
      }
    }
  }

  async close(): Promise<void> {
    this.#stop?.();
  }
}
