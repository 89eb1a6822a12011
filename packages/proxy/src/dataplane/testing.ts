/**
 * Test helpers for the data plane: rule fixtures built with a mutator, a fake fabric, pods that
 * echo with their name and the source they saw, a line client, and a manual clock. Not exported
 * from the package.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import type { Fabric, Protocol, SocketAddress } from "@kemu/fabric";
import type { RuleEndpoint, RuleSet, ServicePortRule } from "../types.ts";
import type { Clock } from "./balancer.ts";
import { readProxyHeader } from "@kemu/common";

/** An endpoint; defaults: ready, serving, remote, port 8080. */
export function makeEndpoint(ip: string, mutate: (e: RuleEndpoint) => void = () => {}): RuleEndpoint {
  const e: RuleEndpoint = {
    ip,
    port: 8080,
    nodeName: "node-x",
    zone: undefined,
    ready: true,
    serving: true,
    terminating: false,
    isLocal: false,
    podRef: undefined,
  };
  mutate(e);
  return e;
}

/** A TCP ClusterIP service port with the given endpoints for both traffic kinds. */
export function makeRule(
  ns: string,
  name: string,
  endpoints: RuleEndpoint[],
  mutate: (r: ServicePortRule) => void = () => {},
): ServicePortRule {
  const r: ServicePortRule = {
    id: `${ns}/${name}:`,
    namespace: ns,
    name,
    portName: "",
    protocol: "TCP",
    clusterIP: "10.96.0.100",
    port: 80,
    nodePort: undefined,
    externalIPs: [],
    loadBalancerIPs: [],
    healthCheckNodePort: undefined,
    affinityTimeoutSeconds: undefined,
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    clusterEndpoints: endpoints,
    externalEndpoints: endpoints,
    hasEndpoints: endpoints.length > 0,
    localReadyEndpoints: endpoints.filter((e) => e.isLocal && e.ready).length,
  };
  mutate(r);
  return r;
}

/** A RuleSet for node ip in iptables mode. */
export function makeRuleSet(
  nodeIP: string,
  rules: ServicePortRule[],
  mutate: (rs: RuleSet) => void = () => {},
): RuleSet {
  const rs: RuleSet = { node: { name: "node-t", ip: nodeIP }, mode: "iptables", ipvsScheduler: "rr", rules };
  mutate(rs);
  return rs;
}

/** A fabric that knows only the pod ports a test registers. */
export class FakeFabric implements Pick<Fabric, "resolvePodPort"> {
  readonly #ports = new Map<string, SocketAddress>();
  /** Records where podIP:port/proto really listens. */
  set(podIP: string, port: number, proto: Protocol, at: SocketAddress): void {
    this.#ports.set(`${podIP}:${port}/${proto}`, at);
  }
  /** Forgets a pod port. */
  delete(podIP: string, port: number, proto: Protocol): void {
    this.#ports.delete(`${podIP}:${port}/${proto}`);
  }
  resolvePodPort(podIP: string, port: number, proto: Protocol): SocketAddress | undefined {
    return this.#ports.get(`${podIP}:${port}/${proto}`);
  }
}

/** A clock the test moves. */
export class ManualClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  /** Moves time forward by ms. */
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A free port on ip for proto (the kernel's pick, released at once: NodePorts are fixed numbers). */
export async function freePort(ip: string, proto: "TCP" | "UDP" = "TCP"): Promise<number> {
  if (proto === "UDP") {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, ip, () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, ip, () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A TCP pod: answers each line with "<name> <source seen> <destination seen> <line>", "bye" at end. */
export interface TcpPod {
  name: string;
  address: SocketAddress;
  /** Connections open now. */
  open(): number;
  close(): Promise<void>;
}

/** Starts a TCP pod on 127.0.0.1 at a kernel-chosen port. */
export async function startTcpPod(name: string): Promise<TcpPod> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    void readProxyHeader(s).then((h) => {
      const src =
        h && h.protocol !== "UNKNOWN" ? `${h.srcIP}:${h.srcPort}` : `${s.remoteAddress}:${s.remotePort}`;
      const dst = h && h.protocol !== "UNKNOWN" ? `${h.dstIP}:${h.dstPort}` : "-";
      let buf = "";
      s.on("data", (d: Buffer) => {
        buf += d.toString("latin1");
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          s.write(`${name} ${src} ${dst} ${buf.slice(0, i)}\n`);
          buf = buf.slice(i + 1);
        }
      });
      s.on("end", () => s.end("bye\n"));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    address: { host: "127.0.0.1", port },
    open: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A UDP pod: answers each datagram with "<name> <datagram>". */
export interface UdpPod {
  name: string;
  address: SocketAddress;
  close(): Promise<void>;
}

/** Starts a UDP pod on 127.0.0.1 at a kernel-chosen port. */
export async function startUdpPod(name: string): Promise<UdpPod> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => s.send(`${name} ${m.toString()}`, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return {
    name,
    address: { host: "127.0.0.1", port: s.address().port },
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

/** One answer of a TcpPod. */
export interface Reply {
  pod: string;
  src: string;
  dst: string;
  text: string;
}

/** A line client for TcpPods. */
export class LineClient {
  readonly socket: net.Socket;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #buf = "";
  #ended = false;
  /** How the connection ended: "end" (FIN), an error code, or undefined while open. */
  ending: string | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.#buf += d.toString("latin1");
      let i: number;
      while ((i = this.#buf.indexOf("\n")) >= 0) {
        this.#push(this.#buf.slice(0, i));
        this.#buf = this.#buf.slice(i + 1);
      }
    });
    socket.on("end", () => this.#finish("end"));
    socket.on("error", (err: NodeJS.ErrnoException) => this.#finish(err.code ?? err.message));
    socket.on("close", () => this.#finish("close"));
  }

  /** Connects (optionally from localAddress, to pose as another client IP). */
  static connect(host: string, port: number, localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress, allowHalfOpen: true });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new LineClient(s));
      });
      s.once("error", reject);
    });
  }

  #push(line: string): void {
    const w = this.#waiters.shift();
    if (w) w(line);
    else this.#lines.push(line);
  }

  #finish(how: string): void {
    this.ending ??= how;
    if (this.#ended) return;
    this.#ended = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** The next line, or undefined if the connection ends first or nothing comes within timeoutMs. */
  next(timeoutMs = 5000): Promise<string | undefined> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w = (line: string | undefined) => {
        clearTimeout(t);
        resolve(line);
      };
      const t = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Sends a line and parses the pod's answer. */
  async ask(text: string): Promise<Reply> {
    this.socket.write(`${text}\n`);
    const line = await this.next();
    if (line === undefined)
      throw new Error(`no answer to ${JSON.stringify(text)} (${this.ending ?? "timeout"})`);
    const [pod, src, dst, ...rest] = line.split(" ");
    return { pod: pod!, src: src!, dst: dst!, text: rest.join(" ") };
  }

  /** Resolves when the socket has closed. */
  closed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((r) => this.socket.once("close", () => r()));
  }

  /** Closes the connection at once. */
  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed();
  }
}

/** One request on a fresh connection: connect, ask, close. */
export async function askOnce(
  host: string,
  port: number,
  text = "hi",
  localAddress?: string,
): Promise<Reply> {
  const c = await LineClient.connect(host, port, localAddress);
  try {
    return await c.ask(text);
  } finally {
    await c.destroy();
  }
}

/** Polls cond every few ms until it holds; throws after timeoutMs. */
export async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
