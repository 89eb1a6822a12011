/**
 * The external load balancer in front of the nodes, as a cloud LB or a hand-built HAProxy in
 * front of NodePorts would be:
 *
 * - every NodePort of every Service is published on the edge host (127.0.0.1), and
 * - every LoadBalancer ingress address (127.0.2.x) serves the Service's ports,
 *
 * each spreading new connections round-robin over the nodes that pass its health check, to
 * <node InternalIP>:<nodePort>. Health checks are a cloud LB's: kube-proxy's /healthz on 10256
 * for Cluster policy, the Service's healthCheckNodePort for LoadBalancer Services with Local
 * policy (only nodes with a local endpoint answer 200). Two failures mark a node down, two
 * successes bring it back.
 *
 * The client's address travels to the node in a PROXY protocol v1 header, as NLB-style load
 * balancers can send it, so a Local-policy Service still shows the real client to its pods.
 *
 * Limitations vs a cloud LB: TCP and UDP only; UDP carries no client address; Services with
 * allocateLoadBalancerNodePorts false are not served (there is no NodePort to forward to).
 */
import { createServer, createConnection, type Server, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { request } from "node:http";
import type { Logger } from "@kemu/common";
import type { Informer, KObject } from "@kemu/controllers";

/** One published frontend: where the edge listens, and which NodePort it forwards to. */
export interface Frontend {
  id: string;
  host: string;
  port: number;
  protocol: "TCP" | "UDP";
  nodePort: number;
  /** When set, nodes are checked on this port (Local policy); else kube-proxy's /healthz. */
  healthCheckNodePort: number | undefined;
  service: string;
}

/** The frontends the edge should publish for a set of Services (a pure function). */
export function frontendsFor(services: KObject[], edgeHost: string): Frontend[] {
  const out: Frontend[] = [];
  for (const s of services) {
    const spec = s["spec"] ?? {};
    if (spec["type"] !== "NodePort" && spec["type"] !== "LoadBalancer") continue;
    const service = `${s["metadata"]["namespace"]}/${s["metadata"]["name"]}`;
    const local = spec["externalTrafficPolicy"] === "Local" && spec["type"] === "LoadBalancer";
    const hc: number | undefined = local ? spec["healthCheckNodePort"] : undefined;
    const ingress = ((s["status"]?.["loadBalancer"]?.["ingress"] ?? []) as KObject[])
      .map((i) => i["ip"])
      .filter(Boolean);
    for (const p of (spec["ports"] ?? []) as KObject[]) {
      const protocol = (p["protocol"] ?? "TCP") as string;
      if (!p["nodePort"] || (protocol !== "TCP" && protocol !== "UDP")) continue;
      const base = {
        protocol: protocol as "TCP" | "UDP",
        nodePort: p["nodePort"],
        healthCheckNodePort: hc,
        service,
      };
      out.push({
        id: `${edgeHost}:${p["nodePort"]}/${protocol}`,
        host: edgeHost,
        port: p["nodePort"],
        ...base,
      });
      for (const ip of ingress)
        out.push({ id: `${ip}:${p["port"]}/${protocol}`, host: ip, port: p["port"], ...base });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

interface Listener {
  frontend: Frontend;
  close(): Promise<void>;
}

/** Node health as the LB sees it. */
interface Health {
  ok: boolean;
  fails: number;
  passes: number;
}

/** Options of the balancer. */
export interface BalancerOptions {
  services: Informer;
  nodes: Informer;
  log: Logger;
  /** Where NodePorts are published (default 127.0.0.1). */
  edgeHost?: string;
  /** Health check interval (ms). */
  healthIntervalMs?: number;
  /** Send a PROXY v1 header to nodes with the client's address (default true). */
  proxyProtocol?: boolean;
  /**
   * Puts LoadBalancer addresses on this host before listening on them, and takes them off when no
   * frontend uses them (compose: the edge's container owns the addresses on its network).
   */
  addresses?: { add(ip: string): Promise<void>; remove(ip: string): Promise<void> };
}

/** The balancer. */
export class EdgeBalancer {
  readonly #opts: Required<Omit<BalancerOptions, "services" | "nodes" | "log" | "addresses">> &
    BalancerOptions;
  readonly #listeners = new Map<string, Listener>();
  /** LoadBalancer addresses put on this host through opts.addresses. */
  readonly #owned = new Set<string>();
  /** "nodeIP:port" → health (port 10256 for kube-proxy's /healthz). */
  readonly #health = new Map<string, Health>();
  readonly #rr = new Map<string, number>();
  readonly #conns = new Set<Socket>();
  /** frontend id → node name → new connections. */
  readonly #stats = new Map<string, Map<string, number>>();
  #timer: NodeJS.Timeout | undefined;
  #reconciling = Promise.resolve();
  #stopped = false;

  constructor(opts: BalancerOptions) {
    this.#opts = { edgeHost: "127.0.0.1", healthIntervalMs: 2_000, proxyProtocol: true, ...opts };
    const kick = () => this.#reconcile();
    opts.services.addHandlers({ add: kick, update: kick, delete: kick });
    opts.nodes.addHandlers({ add: kick, update: kick, delete: kick });
  }

  /** Starts health checking and publishing. */
  start(): void {
    this.#reconcile();
    this.#timer = setInterval(() => void this.#checkAll(), this.#opts.healthIntervalMs);
    this.#timer.unref();
    void this.#checkAll();
  }

  /** The published frontends. */
  frontends(): Frontend[] {
    return [...this.#listeners.values()].map((l) => l.frontend);
  }

  /** New connections per frontend and node. */
  stats(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.#stats].map(([k, m]) => [k, Object.fromEntries(m)]));
  }

  /** Ready nodes: name and InternalIP. */
  #readyNodes(): { name: string; ip: string }[] {
    const out: { name: string; ip: string }[] = [];
    for (const n of this.#opts.nodes.list()) {
      const ready = (n["status"]?.["conditions"] as KObject[] | undefined)?.find(
        (c) => c["type"] === "Ready",
      );
      const ip = (n["status"]?.["addresses"] as KObject[] | undefined)?.find(
        (a) => a["type"] === "InternalIP",
      )?.["address"];
      if (ready?.["status"] === "True" && ip && !n["spec"]?.["unschedulable"])
        out.push({ name: n["metadata"]["name"], ip });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  #healthy(f: Frontend, node: { ip: string }): boolean {
    const h = this.#health.get(`${node.ip}:${f.healthCheckNodePort ?? 10256}`);
    return h?.ok ?? false;
  }

  /** Picks the next healthy node for a frontend (round-robin). */
  #pick(f: Frontend): { name: string; ip: string } | undefined {
    const candidates = this.#readyNodes().filter((n) => this.#healthy(f, n));
    if (candidates.length === 0) return undefined;
    const i = (this.#rr.get(f.id) ?? 0) % candidates.length;
    this.#rr.set(f.id, i + 1);
    return candidates[i];
  }

  #count(f: Frontend, node: string): void {
    let m = this.#stats.get(f.id);
    if (!m) this.#stats.set(f.id, (m = new Map()));
    m.set(node, (m.get(node) ?? 0) + 1);
  }

  #reconcile(): void {
    this.#reconciling = this.#reconciling.then(async () => {
      if (this.#stopped) return;
      const want = new Map(
        frontendsFor(this.#opts.services.list(), this.#opts.edgeHost).map((f) => [f.id, f]),
      );
      for (const [id, l] of [...this.#listeners]) {
        const f = want.get(id);
        if (
          !f ||
          f.nodePort !== l.frontend.nodePort ||
          f.healthCheckNodePort !== l.frontend.healthCheckNodePort
        ) {
          this.#listeners.delete(id);
          await l.close();
        }
      }
      const lbIPs = new Set([...want.values()].map((f) => f.host).filter((h) => h !== this.#opts.edgeHost));
      await this.#own(lbIPs);
      for (const [id, f] of want) {
        if (this.#listeners.has(id)) continue;
        try {
          this.#listeners.set(id, f.protocol === "TCP" ? await this.#listenTcp(f) : await this.#listenUdp(f));
          this.#opts.log.info("edge frontend published", {
            frontend: id,
            service: f.service,
            nodePort: f.nodePort,
          });
        } catch (err) {
          this.#opts.log.warn("edge frontend could not listen", { frontend: id, err: String(err) });
        }
      }
      await this.#release(lbIPs);
    });
  }

  async #own(ips: Set<string>): Promise<void> {
    const a = this.#opts.addresses;
    if (!a) return;
    for (const ip of ips) {
      if (this.#owned.has(ip)) continue;
      try {
        await a.add(ip);
        this.#owned.add(ip);
      } catch (err) {
        this.#opts.log.warn("cannot add LoadBalancer address", { ip, err: String(err) });
      }
    }
  }

  async #release(keep: Set<string>): Promise<void> {
    const a = this.#opts.addresses;
    if (!a) return;
    for (const ip of [...this.#owned]) {
      if (keep.has(ip)) continue;
      this.#owned.delete(ip);
      await a
        .remove(ip)
        .catch((err: unknown) =>
          this.#opts.log.warn("cannot remove LoadBalancer address", { ip, err: String(err) }),
        );
    }
  }

  async #listenTcp(f: Frontend): Promise<Listener> {
    const server: Server = createServer((client) => {
      this.#conns.add(client);
      client.on("close", () => this.#conns.delete(client));
      client.on("error", () => client.destroy());
      const node = this.#pick(f);
      if (!node) {
        // No healthy backend: a cloud LB resets the connection.
        client.resetAndDestroy();
        return;
      }
      this.#count(f, node.name);
      const upstream = createConnection({ host: node.ip, port: f.nodePort }, () => {
        if (this.#opts.proxyProtocol) {
          upstream.write(
            `PROXY TCP4 ${client.remoteAddress?.replace(/^::ffff:/, "")} ${f.host} ${client.remotePort} ${f.port}\r\n`,
          );
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      this.#conns.add(upstream);
      upstream.on("close", () => {
        this.#conns.delete(upstream);
        client.end();
      });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(f.port, f.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return { frontend: f, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  async #listenUdp(f: Frontend): Promise<Listener> {
    const sock: UdpSocket = createSocket("udp4");
    const sessions = new Map<string, { up: UdpSocket; last: number }>();
    sock.on("message", (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let s = sessions.get(key);
      if (!s) {
        const node = this.#pick(f);
        if (!node) return;
        this.#count(f, node.name);
        const up = createSocket("udp4");
        up.on("message", (reply) => sock.send(reply, rinfo.port, rinfo.address));
        up.on("error", () => up.close());
        up.connect(f.nodePort, node.ip);
        s = { up, last: Date.now() };
        sessions.set(key, s);
        const session = s;
        up.once("connect", () => session.up.send(msg));
        return;
      }
      s.last = Date.now();
      s.up.send(msg);
    });
    const sweep = setInterval(() => {
      for (const [k, s] of sessions) {
        if (Date.now() - s.last > 30_000) {
          s.up.close();
          sessions.delete(k);
        }
      }
    }, 5_000);
    sweep.unref();
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(f.port, f.host, () => {
        sock.off("error", reject);
        resolve();
      });
    });
    return {
      frontend: f,
      close: async () => {
        clearInterval(sweep);
        for (const s of sessions.values()) s.up.close();
        await new Promise<void>((r) => sock.close(() => r()));
      },
    };
  }

  /** Health-checks every (node, port) any frontend needs. */
  async #checkAll(): Promise<void> {
    if (this.#stopped) return;
    const nodes = this.#readyNodes();
    const ports = new Set<number>([10256]);
    for (const l of this.#listeners.values())
      if (l.frontend.healthCheckNodePort) ports.add(l.frontend.healthCheckNodePort);
    await Promise.all(
      nodes.flatMap((n) =>
        [...ports].map(async (port) => {
          const path = port === 10256 ? "/healthz" : "/";
          const ok = await httpOk(n.ip, port, path, Math.min(1_000, this.#opts.healthIntervalMs));
          const key = `${n.ip}:${port}`;
          const h = this.#health.get(key) ?? { ok: false, fails: 0, passes: 0 };
          if (ok) {
            h.passes++;
            h.fails = 0;
            // The first success counts at once; after a failure two are needed.
            if (h.passes >= 2 || !this.#health.has(key)) h.ok = true;
          } else {
            h.fails++;
            h.passes = 0;
            if (h.fails >= 2) h.ok = false;
          }
          this.#health.set(key, h);
        }),
      ),
    );
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#reconciling;
    for (const l of this.#listeners.values()) await l.close();
    this.#listeners.clear();
    for (const c of this.#conns) c.destroy();
    await this.#release(new Set());
  }
}

function httpOk(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
