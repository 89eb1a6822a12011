/**
 * The userspace data plane: what iptables, nftables or IPVS rules do on a real node, done with
 * sockets in this process, for one emulated node.
 *
 * - NodePorts: a TCP and a UDP listener on the node IP at every nodePort. TCP connections are
 *   accepted, given an endpoint, dialled at the pod's real socket (fabric.resolvePodPort) and piped
 *   both ways with half-close; UDP datagrams go through per-client sessions (a conntrack table
 *   with conntrack's idle timeouts, 30 s unreplied and 120 s once replied).
 * - ClusterIPs, external IPs and LoadBalancer IPs are reached from inside the cluster through
 *   connect(), which does what DNAT does at connect() time on a real node and returns the pod's
 *   real address and the source IP the pod should see. (The edge load balancer in front of the
 *   nodes forwards LoadBalancer traffic to NodePorts.) With the kernel fabric (serviceIPs given),
 *   those addresses are also real: each is put on this host (lo) and listened on at every service
 *   port, so `curl 10.96.66.66` or `dig @10.96.0.10` in a node container goes through the same
 *   rules; the flow's origin (pod, host, outside) comes from its source address.
 * - Endpoint choice per proxy mode, once per connection (keep-alive clients stay on one pod):
 *   see balancer.ts. ClientIP affinity, externalTrafficPolicy, internalTrafficPolicy and the
 *   terminating fallback: see table.ts (the RuleSet already carries the categorised endpoints).
 * - The source a pod sees: every proxied TCP connection starts with a PROXY v1 line (see
 *   @kemu/common's proxyprotocol.ts): the node IP when the flow is masqueraded, the client's IP otherwise.
 * - apply() switches the routing table in one step, then opens listeners for new ports and
 *   closes those for ports that went away; listeners for ports that stay are never reopened.
 *   Established TCP connections keep their pod across rule changes (conntrack); UDP sessions to
 *   an endpoint that went away are flushed, as kube-proxy deletes stale UDP conntrack entries.
 * - healthCheckNodePort servers, and connection counters for `kemu top` and metrics.
 *
 * Limitations vs Kubernetes:
 * - REJECT on a NodePort is a TCP reset after accept (a real node answers the SYN with an ICMP
 *   port unreachable, which clients report as "connection refused"); DROP accepts the connection
 *   and never answers, closing it after dropHoldMs (a real client's connect() itself times out).
 *   connect() reports both as DataPlaneConnectError (ECONNREFUSED / ETIMEDOUT) at once, and the
 *   caller emulates the wait.
 * - Masquerading keeps the client's source port; the pod sees SNAT only through the PROXY line.
 *   UDP carries no PROXY line: a UDP pod sees the data plane's socket as its peer.
 * - NodePorts listen on the node IP only (not 127.0.0.1 or other addresses: nodePortAddresses);
 *   SCTP is not supported; loadBalancerSourceRanges are not enforced.
 * - connect() cannot see when the caller's connection ends: ipvs connection counts (lc, wlc, sed,
 *   nq) count it until the caller calls release(), or for connectTrackMs at most.
 * - A dial to the pod that fails (the pod is gone but the rules do not say so yet) resets the
 *   client, as the kernel would; the old userspace proxy's retry on another endpoint is not done.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import type { Fabric, Protocol, SocketAddress } from "@kemu/fabric";
import type {
  DataPlane,
  DataPlaneStats,
  FlowSource,
  NodeInfo,
  RuleEndpoint,
  RuleSet,
  ServicePortRule,
} from "../types.ts";
import {
  endpointKey,
  monotonicClock,
  pickWithAffinity,
  ServicePortState,
  type Clock,
  type Random,
} from "./balancer.ts";
import { HealthCheckServer } from "./healthcheck.ts";
import { cidrContains, formatProxyHeader, readProxyHeader, unmapIPv4, type Logger } from "@kemu/common";
import {
  buildTable,
  decide,
  nodePortKey,
  vipKey,
  type Decision,
  type Frontend,
  type RoutingTable,
} from "./table.ts";

/**
 * How long a new NodePort connection may take to show a PROXY header before it is taken as
 * plain traffic (clients of server-speaks-first protocols wait this long for their greeting).
 */
const PROXY_HEADER_WAIT_MS = 150;

/** How a UserspaceDataPlane is built; only fabric, node and log are required. */
export interface UserspaceDataPlaneOptions {
  /** Where pods really listen (a whole Fabric will do). */
  fabric: Pick<Fabric, "resolvePodPort">;
  /** The node this data plane runs on: NodePorts and health checks listen on node.ip. */
  node: NodeInfo;
  log: Logger;
  /** For affinity and session expiry; monotonic milliseconds by default. */
  clock?: Clock;
  /** For iptables/nftables random choices; Math.random by default. */
  random?: Random;
  /** Send a PROXY v1 line on every proxied TCP connection (default true). */
  proxyProtocol?: boolean;
  /** UDP session idle timeout before any reply (nf_conntrack_udp_timeout, default 30 s). */
  udpTimeoutMs?: number;
  /** UDP session idle timeout once replied (nf_conntrack_udp_timeout_stream, default 120 s). */
  udpStreamTimeoutMs?: number;
  /** How long a dropped TCP connection is held unanswered before it is closed (default 120 s). */
  dropHoldMs?: number;
  /** How long a connect() counts as active if release() is never called (default 900 s, ipvs's TCP timeout). */
  connectTrackMs?: number;
  /** How often expired sessions and affinity entries are swept (default 1 s). */
  sweepIntervalMs?: number;
  /** serviceProxyHealthy in health check answers (default always true). */
  proxyHealthy?: () => boolean;
  /**
   * Puts service IPs on this host and takes them off (the kernel fabric). When given, the data
   * plane listens on every ClusterIP, external IP and LoadBalancer IP at its service ports too.
   */
  serviceIPs?: ServiceIPs;
  /** The cluster's pod CIDR, to tell pod sources from others on service IPs (default 10.244.0.0/16). */
  clusterCIDR?: string;
}

/** Adds and removes addresses on this host, for the service IPs the data plane listens on. */
export interface ServiceIPs {
  add(ip: string): Promise<void>;
  remove(ip: string): Promise<void>;
}

/** Where a listener listens: the node IP (a NodePort) or a service IP (a ClusterIP, external or LB IP). */
interface ListenAddress {
  ip: string;
  port: number;
}

const addressKey = (ip: string, port: number) => `${ip}:${port}`;

/** What connect() returns: the DataPlane contract's address and sourceIP, and more. */
export interface ConnectResult extends SocketAddress {
  /** The source address the destination should see (node IP when masqueraded). */
  sourceIP: string;
  /** The endpoint chosen (the pod IP and port to put in a PROXY line); absent for non-service addresses. */
  endpoint?: { ip: string; port: number };
  /** The rule id that matched. */
  rule?: string;
  /** Call once the connection is closed, so that ipvs connection counts stay exact; idempotent. */
  release(): void;
}

/** Why connect() did not give an address: REJECT (refused) or DROP (the connection would time out). */
export class DataPlaneConnectError extends Error {
  override readonly name = "DataPlaneConnectError";
  /** The errno a real socket connect() would end with. */
  readonly code: "ECONNREFUSED" | "ETIMEDOUT";
  /** The rule that matched, if any. */
  readonly rule: string | undefined;
  constructor(code: "ECONNREFUSED" | "ETIMEDOUT", message: string, rule?: string) {
    super(message);
    this.code = code;
    this.rule = rule;
  }
}

/** Connections the data plane is carrying now (conntrack size). */
export interface ConntrackCounts {
  /** Proxied TCP connections (client and pod side both open or closing). */
  tcp: number;
  /** UDP sessions. */
  udp: number;
  /** Dropped TCP connections being held unanswered. */
  held: number;
}

interface TcpConn {
  client: net.Socket;
  upstream: net.Socket;
}

interface UdpSession {
  key: string;
  rule: string;
  ep: string;
  state: ServicePortState;
  clientAddress: string;
  clientPort: number;
  upstream: dgram.Socket;
  lastSeen: number;
  replied: boolean;
  ready: boolean;
  closed: boolean;
  queue: Buffer[];
}

interface UdpListener {
  ip: string;
  port: number;
  socket: dgram.Socket;
  sessions: Map<string, UdpSession>;
}

interface Tracked {
  state: ServicePortState;
  ep: string;
  which: "active" | "inactive";
  expires: number;
  done: boolean;
}

/** Datagrams queued per UDP session while its upstream socket connects. */
const UDP_QUEUE_MAX = 64;

const EMPTY: RoutingTable = buildTable({
  node: { name: "", ip: "" },
  mode: "iptables",
  ipvsScheduler: "rr",
  rules: [],
});

function noop(): void {}

/** Closes a TCP socket with a reset (RST), or plainly if it is not a connected TCP socket. */
function reset(s: net.Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/** The userspace data plane of one node. */
export class UserspaceDataPlane implements DataPlane {
  readonly #fabric: Pick<Fabric, "resolvePodPort">;
  readonly #node: NodeInfo;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #proxyProtocol: boolean;
  readonly #udpTimeoutMs: number;
  readonly #udpStreamTimeoutMs: number;
  readonly #dropHoldMs: number;
  readonly #connectTrackMs: number;
  readonly #proxyHealthy: () => boolean;
  readonly #serviceIPs: ServiceIPs | undefined;
  readonly #clusterCIDR: string;
  /** Service IPs put on this host. */
  readonly #vipAddresses = new Set<string>();

  #table: RoutingTable = EMPTY;
  readonly #states = new Map<string, ServicePortState>();
  /** Listeners by "ip:port": NodePorts on the node IP and, with serviceIPs, service IPs. */
  readonly #tcp = new Map<string, { at: ListenAddress; server: net.Server }>();
  readonly #udp = new Map<string, UdpListener>();
  readonly #health = new Map<number, HealthCheckServer>();
  readonly #conns = new Set<TcpConn>();
  readonly #held = new Set<net.Socket>();
  readonly #tracked = new Set<Tracked>();
  readonly #counters = new Map<string, Map<string, number>>();
  #rejected = 0;
  #dropped = 0;
  #applying: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(opts: UserspaceDataPlaneOptions) {
    this.#fabric = opts.fabric;
    this.#node = opts.node;
    this.#log = opts.log;
    this.#clock = opts.clock ?? monotonicClock;
    this.#random = opts.random ?? Math.random;
    this.#proxyProtocol = opts.proxyProtocol ?? true;
    this.#udpTimeoutMs = opts.udpTimeoutMs ?? 30_000;
    this.#udpStreamTimeoutMs = opts.udpStreamTimeoutMs ?? 120_000;
    this.#dropHoldMs = opts.dropHoldMs ?? 120_000;
    this.#connectTrackMs = opts.connectTrackMs ?? 900_000;
    this.#proxyHealthy = opts.proxyHealthy ?? (() => true);
    this.#serviceIPs = opts.serviceIPs;
    this.#clusterCIDR = opts.clusterCIDR ?? "10.244.0.0/16";
    this.#sweepTimer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 1000);
    this.#sweepTimer.unref();
  }

  /** Applies a whole RuleSet: one switch of the routing table, then the listener diff. */
  apply(rules: RuleSet): Promise<void> {
    const run = this.#applying.then(() => this.#apply(rules));
    this.#applying = run.catch(noop);
    return run;
  }

  async #apply(rs: RuleSet): Promise<void> {
    if (this.#closed) throw new Error("data plane is closed");
    if (rs.node.ip !== this.#node.ip) {
      this.#log.warn("rule set is for another node IP; listening on this node's", {
        rulesNodeIP: rs.node.ip,
        nodeIP: this.#node.ip,
      });
    }
    const table = buildTable(rs);
    if (table.skipped.length > 0) this.#log.debug("SCTP rules skipped", { rules: table.skipped });
    // The one switch: every new flow from here on sees the new rules.
    this.#table = table;
    for (const id of table.rules.keys())
      if (!this.#states.has(id)) this.#states.set(id, new ServicePortState());
    for (const id of this.#states.keys()) if (!table.rules.has(id)) this.#states.delete(id);

    const want = { TCP: new Map<string, ListenAddress>(), UDP: new Map<string, ListenAddress>() };
    const ip = this.#node.ip;
    for (const r of table.nodePorts.values()) {
      if (r.protocol !== "SCTP") want[r.protocol].set(addressKey(ip, r.nodePort!), { ip, port: r.nodePort! });
    }
    const vipAddresses = new Set<string>();
    if (this.#serviceIPs) {
      for (const { rule, frontend } of table.vips.values()) {
        if (rule.protocol === "SCTP") continue;
        const ips =
          frontend === "cluster" ? [rule.clusterIP] : [...rule.externalIPs, ...rule.loadBalancerIPs];
        for (const vip of ips) {
          vipAddresses.add(vip);
          want[rule.protocol].set(addressKey(vip, rule.port), { ip: vip, port: rule.port });
        }
      }
    }

    for (const [key, { at, server }] of this.#tcp) {
      if (want.TCP.has(key)) continue;
      this.#tcp.delete(key);
      // Accepted connections stay (conntrack); close() only stops accepting.
      server.close();
      this.#log.debug("listener closed", { address: key, protocol: "TCP", nodePort: at.ip === ip });
    }
    for (const [key, l] of this.#udp) {
      if (want.UDP.has(key)) {
        this.#flushStaleUdp(l);
        continue;
      }
      this.#udp.delete(key);
      for (const s of l.sessions.values()) this.#closeUdpSession(l, s);
      l.socket.close();
    }
    const closing: Promise<void>[] = [];
    for (const [port, hc] of this.#health) {
      if (table.health.has(port)) continue;
      this.#health.delete(port);
      closing.push(hc.close());
    }
    // Service IPs go onto the host before anything listens on them.
    await this.#addServiceIPs(vipAddresses);

    const opening: Promise<void>[] = [];
    for (const [key, at] of want.TCP) if (!this.#tcp.has(key)) opening.push(this.#listenTcp(at));
    for (const [key, at] of want.UDP) if (!this.#udp.has(key)) opening.push(this.#listenUdp(at));
    for (const port of table.health.keys())
      if (!this.#health.has(port)) opening.push(this.#listenHealth(port));
    await Promise.all([...opening, ...closing]);
    await this.#removeServiceIPs(vipAddresses);
  }

  async #addServiceIPs(want: Set<string>): Promise<void> {
    if (!this.#serviceIPs) return;
    for (const vip of want) {
      if (this.#vipAddresses.has(vip)) continue;
      try {
        await this.#serviceIPs.add(vip);
        this.#vipAddresses.add(vip);
      } catch (err) {
        this.#listenFailed("service IP", 0, err, vip);
      }
    }
  }

  async #removeServiceIPs(keep: Set<string>): Promise<void> {
    if (!this.#serviceIPs) return;
    for (const vip of [...this.#vipAddresses]) {
      if (keep.has(vip)) continue;
      this.#vipAddresses.delete(vip);
      await this.#serviceIPs.remove(vip).catch((err: unknown) =>
        this.#log.warn("cannot remove service IP", {
          ip: vip,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    }
  }

  // A port that cannot be opened is logged and retried on the next apply, as kube-proxy does
  // ("can't open port"; FailedToStartServiceHealthcheck), without failing the others.
  #listenFailed(kind: string, port: number, err: unknown, ip = this.#node.ip): void {
    this.#log.error(`cannot open ${kind} port; retrying on the next sync`, {
      address: `${ip}:${port}`,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  #kindOf(at: ListenAddress): string {
    return at.ip === this.#node.ip ? "NodePort" : "service IP";
  }

  async #listenTcp(at: ListenAddress): Promise<void> {
    const key = addressKey(at.ip, at.port);
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (s) =>
      this.#onTcp(at, s),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: at.ip, port: at.port, exclusive: true }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      this.#listenFailed(`TCP ${this.#kindOf(at)}`, at.port, err, at.ip);
      return;
    }
    server.on("error", (err) =>
      this.#log.error("listener failed", { address: key, protocol: "TCP", error: err.message }),
    );
    if (this.#closed || this.#tcp.has(key)) {
      server.close();
      return;
    }
    this.#tcp.set(key, { at, server });
    this.#log.debug(`${this.#kindOf(at)} listening`, { address: key, protocol: "TCP" });
  }

  async #listenUdp(at: ListenAddress): Promise<void> {
    const key = addressKey(at.ip, at.port);
    const socket = dgram.createSocket({ type: "udp4" });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: at.ip, port: at.port, exclusive: true }, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      this.#listenFailed(`UDP ${this.#kindOf(at)}`, at.port, err, at.ip);
      return;
    }
    const l: UdpListener = { ip: at.ip, port: at.port, socket, sessions: new Map() };
    socket.on("message", (msg, rinfo) => this.#onUdp(l, msg, rinfo));
    socket.on("error", (err) => this.#log.warn("UDP socket error", { address: key, error: err.message }));
    if (this.#closed || this.#udp.has(key)) {
      socket.close();
      return;
    }
    this.#udp.set(key, l);
    this.#log.debug(`${this.#kindOf(at)} listening`, { address: key, protocol: "UDP" });
  }

  async #listenHealth(port: number): Promise<void> {
    const hc = new HealthCheckServer(() => this.#table.health.get(port), this.#proxyHealthy);
    try {
      await hc.listen(this.#node.ip, port);
    } catch (err) {
      await hc.close();
      this.#listenFailed("healthCheckNodePort", port, err);
      return;
    }
    if (this.#closed || this.#health.has(port)) {
      await hc.close();
      return;
    }
    this.#health.set(port, hc);
    this.#log.debug("healthCheckNodePort listening", { address: `${this.#node.ip}:${port}` });
  }

  #stateOf(id: string): ServicePortState {
    let st = this.#states.get(id);
    if (!st) {
      // A rule removed while this flow was being decided: count on a detached state.
      st = new ServicePortState();
    }
    return st;
  }

  #countNew(rule: string, ep: string): void {
    let m = this.#counters.get(rule);
    if (!m) this.#counters.set(rule, (m = new Map()));
    m.set(ep, (m.get(ep) ?? 0) + 1);
  }

  /** Chooses the endpoint for a new flow the decision forwards, and counts it. */
  #choose(d: Extract<Decision, { kind: "forward" }>, clientIP: string, dstIP: string, table: RoutingTable) {
    const state = this.#stateOf(d.rule.id);
    const ep = pickWithAffinity(
      table.mode,
      table.ipvsScheduler,
      state,
      d.candidates,
      { clientIP, dstIP },
      this.#random,
      d.rule.affinityTimeoutSeconds,
      this.#clock.now(),
    );
    const key = endpointKey(ep);
    this.#countNew(d.rule.id, key);
    return { ep, key, state, snat: d.snat || ep.ip === clientIP };
  }

  /**
   * A NodePort connection may start with a PROXY v1 header from the edge load balancer in
   * front of the nodes (as a cloud NLB can send): the client it names is the real client, so
   * Local policy and ClientIP affinity see it. Without one, the socket's peer is the client.
   */
  #onTcp(at: ListenAddress, client: net.Socket): void {
    client.on("error", noop);
    if (this.#closed) return reset(client);
    const peer = { ip: unmapIPv4(client.remoteAddress ?? ""), port: client.remotePort ?? 0 };
    // Only the edge, in front of NodePorts, sends a PROXY header; service IPs are dialled from inside.
    if (at.ip !== this.#node.ip) return this.#routeTcp(at, client, peer.ip, peer.port);
    void readProxyHeader(client, { timeoutMs: PROXY_HEADER_WAIT_MS })
      .catch(() => undefined)
      .then((hdr) => {
        const from = hdr && hdr.protocol !== "UNKNOWN" ? { ip: hdr.srcIP, port: hdr.srcPort } : peer;
        this.#routeTcp(at, client, from.ip, from.port);
      });
  }

  /** The rule and frontend for a flow arriving at a listener, and the origin its source has. */
  #lookup(table: RoutingTable, proto: "TCP" | "UDP", at: ListenAddress, clientIP: string) {
    if (at.ip === this.#node.ip) {
      const rule = table.nodePorts.get(nodePortKey(proto, at.port));
      return rule && { rule, frontend: "external" as Frontend, origin: "external" as FlowSource["origin"] };
    }
    const hit = table.vips.get(vipKey(proto, at.ip, at.port));
    return hit && { ...hit, origin: this.#originOf(clientIP) };
  }

  /** Where a source on a service IP listener comes from: a pod, this host, or outside. */
  #originOf(ip: string): FlowSource["origin"] {
    if (cidrContains(this.#clusterCIDR, ip)) return "remote-pod";
    if (ip === this.#node.ip || ip.startsWith("127.") || this.#vipAddresses.has(ip)) return "host";
    return "external";
  }

  #routeTcp(at: ListenAddress, client: net.Socket, clientIP: string, clientPort: number): void {
    if (this.#closed || client.destroyed) return reset(client);
    const table = this.#table;
    const hit = this.#lookup(table, "TCP", at, clientIP);
    // A port whose rule went away in this very sync: nothing listens there any more.
    if (!hit) return reset(client);
    const { rule } = hit;
    const d = decide(rule, hit.frontend, hit.origin);
    if (d.kind === "reject") {
      this.#rejected++;
      return reset(client);
    }
    if (d.kind === "drop") {
      this.#dropped++;
      return this.#hold(client);
    }
    const { ep, key, state, snat } = this.#choose(d, clientIP, at.ip, table);
    const addr = this.#fabric.resolvePodPort(ep.ip, ep.port, "TCP");
    if (!addr) {
      this.#log.debug("endpoint has no published port; resetting", { rule: rule.id, endpoint: key });
      return reset(client);
    }
    const header = this.#proxyProtocol
      ? formatProxyHeader({
          srcIP: snat ? this.#node.ip : clientIP,
          srcPort: clientPort,
          dstIP: ep.ip,
          dstPort: ep.port,
        })
      : undefined;
    this.#pipe(client, addr, header, state, key);
  }

  /** Holds a dropped connection unanswered: the client's requests hang as if the SYN had been lost. */
  #hold(client: net.Socket): void {
    this.#held.add(client);
    // Giving up ends in a reset, as a client's connection attempt would time out, not close cleanly.
    const timer = setTimeout(() => client.resetAndDestroy(), this.#dropHoldMs);
    timer.unref();
    client.once("close", () => {
      clearTimeout(timer);
      this.#held.delete(client);
    });
  }

  #pipe(
    client: net.Socket,
    addr: SocketAddress,
    header: string | undefined,
    st: ServicePortState,
    ep: string,
  ) {
    const upstream = net.connect({ host: addr.host, port: addr.port, allowHalfOpen: true, noDelay: true });
    upstream.on("error", noop);
    const conn: TcpConn = { client, upstream };
    this.#conns.add(conn);
    st.count("active", ep, +1);
    let closed = 0;
    const onClose = (self: net.Socket, other: net.Socket) => (hadError: boolean) => {
      if (!other.destroyed) {
        // An abnormal end on one side resets the other, as a RST would travel through DNAT.
        // A clean one (both directions done) only lets the other side flush and finish.
        if (hadError || !self.readableEnded) reset(other);
        else if (other.writableFinished) other.destroy();
        else other.end(() => other.destroy());
      }
      if (++closed === 2) {
        this.#conns.delete(conn);
        st.count("active", ep, -1);
      }
    };
    client.once("close", onClose(client, upstream));
    upstream.once("close", onClose(upstream, client));
    if (header !== undefined) upstream.write(header);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  #onUdp(l: UdpListener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const key = `${rinfo.address}:${rinfo.port}`;
    const existing = l.sessions.get(key);
    if (existing && !this.#udpExpired(existing, now)) {
      existing.lastSeen = now;
      this.#udpSend(existing, msg);
      return;
    }
    if (existing) this.#closeUdpSession(l, existing);
    const table = this.#table;
    const clientIP = unmapIPv4(rinfo.address);
    const hit = this.#lookup(table, "UDP", l, clientIP);
    if (!hit) return;
    const { rule } = hit;
    const d = decide(rule, hit.frontend, hit.origin);
    if (d.kind === "reject") {
      this.#rejected++;
      return;
    }
    if (d.kind === "drop") {
      this.#dropped++;
      return;
    }
    const { ep, key: epk, state } = this.#choose(d, clientIP, l.ip, table);
    const addr = this.#fabric.resolvePodPort(ep.ip, ep.port, "UDP");
    if (!addr) {
      this.#log.debug("endpoint has no published port; dropping datagram", { rule: rule.id, endpoint: epk });
      return;
    }
    const upstream = dgram.createSocket({ type: "udp4" });
    const s: UdpSession = {
      key,
      rule: rule.id,
      ep: epk,
      state,
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      upstream,
      lastSeen: now,
      replied: false,
      ready: false,
      closed: false,
      queue: [msg],
    };
    l.sessions.set(key, s);
    state.count("inactive", epk, +1);
    upstream.on("message", (reply) => {
      if (s.closed) return;
      s.lastSeen = this.#clock.now();
      s.replied = true;
      l.socket.send(reply, s.clientPort, s.clientAddress);
    });
    // ICMP port unreachable from the pod's side, for one: the session ends, the client retries.
    upstream.on("error", () => this.#closeUdpSession(l, s));
    upstream.connect(addr.port, addr.host, () => {
      if (s.closed) return;
      s.ready = true;
      for (const q of s.queue) upstream.send(q);
      s.queue = [];
    });
  }

  #udpSend(s: UdpSession, msg: Buffer): void {
    if (s.ready) s.upstream.send(msg);
    else if (s.queue.length < UDP_QUEUE_MAX) s.queue.push(msg);
  }

  #udpExpired(s: UdpSession, now: number): boolean {
    return now - s.lastSeen > (s.replied ? this.#udpStreamTimeoutMs : this.#udpTimeoutMs);
  }

  #closeUdpSession(l: UdpListener, s: UdpSession): void {
    if (s.closed) return;
    s.closed = true;
    if (l.sessions.get(s.key) === s) l.sessions.delete(s.key);
    s.state.count("inactive", s.ep, -1);
    try {
      s.upstream.close();
    } catch {
      // Already closed.
    }
  }

  /** UDP conntrack entries whose endpoint is no longer chosen for their rule are deleted. */
  #flushStaleUdp(l: UdpListener): void {
    const live = new Map<string, Set<string>>();
    for (const s of l.sessions.values()) {
      const hit = this.#lookup(this.#table, "UDP", l, unmapIPv4(s.clientAddress));
      let eps = live.get(s.clientAddress);
      if (!eps) {
        const d = hit ? decide(hit.rule, hit.frontend, hit.origin) : undefined;
        eps = new Set(d?.kind === "forward" ? d.candidates.map(endpointKey) : []);
        live.set(s.clientAddress, eps);
      }
      if (s.rule !== hit?.rule.id || !eps.has(s.ep)) this.#closeUdpSession(l, s);
    }
  }

  /**
   * Routes a new flow from inside the cluster (DNAT at connect() time): to a ClusterIP, external
   * IP, LoadBalancer IP, or this node's IP at a NodePort. Any other address is returned as it is
   * (a pod IP resolved through the fabric). Throws DataPlaneConnectError on REJECT and DROP.
   */
  async connect(src: FlowSource, dstIP: string, dstPort: number, proto: Protocol): Promise<ConnectResult> {
    if (this.#closed) throw new Error("data plane is closed");
    const table = this.#table;
    const ip = unmapIPv4(dstIP);
    let hit: { rule: ServicePortRule; frontend: Frontend };
    const vip = table.vips.get(vipKey(proto, ip, dstPort));
    const np = ip === this.#node.ip ? table.nodePorts.get(nodePortKey(proto, dstPort)) : undefined;
    if (vip) hit = vip;
    else if (np) hit = { rule: np, frontend: "external" };
    else if (table.vipIPs.has(ip)) {
      // A service IP at a port no service has: nftables and ipvs answer with a reject; with
      // iptables the packet leaves the node and is never answered.
      if (table.mode === "iptables") {
        this.#dropped++;
        throw new DataPlaneConnectError("ETIMEDOUT", `${ip}:${dstPort}/${proto}: no service port`);
      }
      this.#rejected++;
      throw new DataPlaneConnectError("ECONNREFUSED", `${ip}:${dstPort}/${proto}: no service port`);
    } else {
      const addr = this.#fabric.resolvePodPort(ip, dstPort, proto) ?? { host: ip, port: dstPort };
      return { host: addr.host, port: addr.port, sourceIP: src.ip, release: noop };
    }
    const d = decide(hit.rule, hit.frontend, src.origin);
    if (d.kind === "reject") {
      this.#rejected++;
      throw new DataPlaneConnectError("ECONNREFUSED", `${d.rule.id}: ${d.reason}`, d.rule.id);
    }
    if (d.kind === "drop") {
      this.#dropped++;
      throw new DataPlaneConnectError("ETIMEDOUT", `${d.rule.id}: ${d.reason}`, d.rule.id);
    }
    const { ep, key, state, snat } = this.#choose(d, unmapIPv4(src.ip), ip, table);
    const addr = this.#fabric.resolvePodPort(ep.ip, ep.port, proto);
    if (!addr) {
      throw new DataPlaneConnectError(
        "ECONNREFUSED",
        `${d.rule.id}: endpoint ${key} is not listening`,
        d.rule.id,
      );
    }
    return {
      host: addr.host,
      port: addr.port,
      sourceIP: snat ? this.#node.ip : src.ip,
      endpoint: { ip: ep.ip, port: ep.port },
      rule: d.rule.id,
      release: this.#track(state, key, proto),
    };
  }

  /** Counts a connect() flow for the ipvs schedulers until release() or its timeout. */
  #track(state: ServicePortState, ep: string, proto: Protocol): () => void {
    const which = proto === "UDP" ? "inactive" : "active";
    const ttl = proto === "UDP" ? this.#udpTimeoutMs : this.#connectTrackMs;
    const t: Tracked = { state, ep, which, expires: this.#clock.now() + ttl, done: false };
    state.count(which, ep, +1);
    this.#tracked.add(t);
    return () => this.#untrack(t);
  }

  #untrack(t: Tracked): void {
    if (t.done) return;
    t.done = true;
    t.state.count(t.which, t.ep, -1);
    this.#tracked.delete(t);
  }

  /** Expires idle UDP sessions, old affinity entries and unreleased connect() flows; runs every second. */
  sweep(): void {
    const now = this.#clock.now();
    for (const l of this.#udp.values()) {
      for (const s of l.sessions.values()) if (this.#udpExpired(s, now)) this.#closeUdpSession(l, s);
    }
    for (const [id, st] of this.#states) {
      const timeout = this.#table.rules.get(id)?.affinityTimeoutSeconds;
      if (timeout === undefined) st.affinity.clear();
      else st.expireAffinity(now, timeout * 1000);
    }
    for (const t of this.#tracked) if (t.expires <= now) this.#untrack(t);
  }

  /** Counters since start; every endpoint of the current rules is listed, at 0 if unused. */
  stats(): DataPlaneStats {
    const connections: DataPlaneStats["connections"] = {};
    const zero = (eps: RuleEndpoint[], into: Record<string, number>) => {
      for (const ep of eps) into[endpointKey(ep)] ??= 0;
    };
    for (const [id, m] of this.#counters) connections[id] = Object.fromEntries(m);
    for (const r of this.#table.rules.values()) {
      const into = (connections[r.id] ??= {});
      zero(r.clusterEndpoints, into);
      zero(r.externalEndpoints, into);
    }
    return { connections, rejected: this.#rejected, dropped: this.#dropped };
  }

  /** Connections in flight per rule id and endpoint (ipvs ActiveConn), for displays. */
  activeConnections(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [id, st] of this.#states) out[id] = Object.fromEntries(st.active);
    return out;
  }

  /** Sizes of the connection tables. */
  conntrack(): ConntrackCounts {
    let udp = 0;
    for (const l of this.#udp.values()) udp += l.sessions.size;
    return { tcp: this.#conns.size, udp, held: this.#held.size };
  }

  /**
   * What listens now (for diagnostics and tests): NodePorts and health check ports on the node IP,
   * and, with the kernel fabric, service addresses as "PROTO ip:port".
   */
  listeners(): { tcp: number[]; udp: number[]; health: number[]; vips: string[] } {
    const out = {
      tcp: [] as number[],
      udp: [] as number[],
      health: [...this.#health.keys()],
      vips: [] as string[],
    };
    const add = (proto: "TCP" | "UDP", at: ListenAddress) => {
      if (at.ip === this.#node.ip) out[proto === "TCP" ? "tcp" : "udp"].push(at.port);
      else out.vips.push(vipKey(proto, at.ip, at.port));
    };
    for (const { at } of this.#tcp.values()) add("TCP", at);
    for (const l of this.#udp.values()) add("UDP", l);
    for (const ports of [out.tcp, out.udp, out.health]) ports.sort((a, b) => a - b);
    out.vips.sort();
    return out;
  }

  /** Closes every listener, connection and session; apply() and connect() fail afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    await this.#applying;
    const waits: Promise<void>[] = [];
    for (const { server } of this.#tcp.values()) waits.push(new Promise((r) => server.close(() => r())));
    this.#tcp.clear();
    const gone = (s: net.Socket) => {
      if (!s.closed) waits.push(new Promise((r) => s.once("close", () => r())));
      s.destroy();
    };
    for (const { client, upstream } of this.#conns) {
      gone(client);
      gone(upstream);
    }
    for (const s of this.#held) gone(s);
    for (const l of this.#udp.values()) {
      for (const s of l.sessions.values()) this.#closeUdpSession(l, s);
      waits.push(new Promise((r) => l.socket.close(() => r())));
    }
    this.#udp.clear();
    for (const hc of this.#health.values()) waits.push(hc.close());
    this.#health.clear();
    for (const t of this.#tracked) this.#untrack(t);
    await Promise.all(waits);
    await this.#removeServiceIPs(new Set());
  }
}

/** Builds a UserspaceDataPlane; the `satisfies` keeps it to the DataPlane contract at compile time. */
export const createUserspaceDataPlane = ((opts: UserspaceDataPlaneOptions) =>
  new UserspaceDataPlane(opts)) satisfies (opts: UserspaceDataPlaneOptions) => DataPlane;
