/**
 * Test fixtures: pods built with a mutator, an in-memory Fabric, an AppContext on real
 * 127.0.0.1 sockets, and bounded polling. Defaults live here; each test shows what differs.
 */
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { TestLog } from "@kemu/common";
import type { ApiClient, KObject } from "@kemu/controllers";
import type { Fabric, Protocol, SocketAddress } from "@kemu/fabric";
import type { AppContext, HealthVerdict } from "./apps/types.ts";
import { systemClock, type Clock } from "./clock.ts";
import { DEFAULT_KNOBS, type Knobs } from "./knobs.ts";
import { LogBuffer } from "./logbuffer.ts";
import type { ProbeKind } from "./prober.ts";
import { readClientAddress } from "./proxyproto.ts";

/** A pod bound to node-1 with one container "app" (image kemu/echo:1, port 8080), changed by mutate. */
export function makePod(namespace: string, name: string, mutate?: (p: KObject) => void): KObject {
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, uid: `uid-${name}`, resourceVersion: "1", annotations: {} },
    spec: {
      nodeName: "node-1",
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      containers: [{ name: "app", image: "kemu/echo:1", ports: [{ containerPort: 8080, protocol: "TCP" }] }],
    },
    status: { phase: "Pending", qosClass: "BestEffort" },
  };
  mutate?.(pod);
  return pod;
}

/** A Fabric that keeps its records in memory (no NATS). */
export class MemoryFabric implements Fabric {
  readonly kind = "loopback" as const;
  readonly records = new Map<string, SocketAddress & { node: string }>();

  nodeIP(index: number): string {
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
    this.records.set(`${podIP}:${port}/${proto}`, { ...bound, node });
  }
  async unpublishPodPort(podIP: string, port: number, proto: Protocol): Promise<void> {
    this.records.delete(`${podIP}:${port}/${proto}`);
  }
  resolvePodPort(podIP: string, port: number, proto: Protocol): SocketAddress | undefined {
    const r = this.records.get(`${podIP}:${port}/${proto}`);
    return r ? { host: r.host, port: r.port } : undefined;
  }
  async forgetNode(node: string): Promise<void> {
    for (const [k, r] of [...this.records]) if (r.node === node) this.records.delete(k);
  }
  async close(): Promise<void> {}
}

/** An AppContext on real 127.0.0.1 sockets, with the ports it bound and its stdout. */
export interface TestAppContext extends AppContext {
  /** container port/proto → the real 127.0.0.1 port. */
  bound: Map<string, number>;
  logs: LogBuffer;
  setKnobs(k: Partial<Knobs>): void;
  setHealth(fn: (kind: ProbeKind) => HealthVerdict): void;
  close(): Promise<void>;
}

/** Builds a TestAppContext for a container spec. */
export function testAppContext(
  container: KObject = { name: "app", image: "kemu/echo:1", ports: [{ containerPort: 8080 }] },
  opts: { clock?: Clock; knobs?: Partial<Knobs> } = {},
): TestAppContext {
  const clock = opts.clock ?? systemClock;
  const servers: Server[] = [];
  const udps: ReturnType<typeof createSocket>[] = [];
  const bound = new Map<string, number>();
  let knobs: Knobs = { ...DEFAULT_KNOBS, ...opts.knobs };
  let health = (_kind: ProbeKind): HealthVerdict => ({ ok: true, message: "" });
  const ports = ((container["ports"] ?? []) as KObject[]).map((p) => ({
    name: p["name"] as string | undefined,
    containerPort: Number(p["containerPort"]),
    protocol: (p["protocol"] ?? "TCP") as "TCP" | "UDP" | "SCTP",
  }));
  const logs = new LogBuffer(1000, () => clock.now());
  const ctx: TestAppContext = {
    pod: {
      namespace: "ns1",
      name: "web-1",
      uid: "uid-web-1",
      ip: "10.244.1.5",
      nodeName: "node-1",
      hostIP: "127.0.1.1",
    },
    container: {
      name: String(container["name"]),
      image: String(container["image"]),
      id: "33b9df88388ed0123456789abcdef0123456789abcdef0123456789abcdef01",
      ports,
      tcpPorts: ports.filter((p) => p.protocol === "TCP").map((p) => p.containerPort),
      udpPorts: ports.filter((p) => p.protocol === "UDP").map((p) => p.containerPort),
      spec: container,
    },
    knobs: () => knobs,
    health: (kind) => health(kind),
    stdout: (line) => logs.write(line),
    log: new TestLog().logger("app"),
    clock,
    api: undefined as unknown as ApiClient,
    bound,
    logs,
    setKnobs: (k) => (knobs = { ...knobs, ...k }),
    setHealth: (fn) => (health = fn),
    async listenTcp(port, onConnection) {
      const server = createServer((socket) => {
        void readClientAddress(socket).then((client) => client && onConnection(socket, client));
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      bound.set(`${port}/TCP`, (server.address() as { port: number }).port);
    },
    async listenUdp(port, onDatagram) {
      const sock = createSocket("udp4");
      udps.push(sock);
      sock.on("message", (data, rinfo) =>
        onDatagram({
          data,
          from: { ip: rinfo.address, port: rinfo.port },
          reply: (out) => sock.send(out, rinfo.port, rinfo.address),
        }),
      );
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
      bound.set(`${port}/UDP`, sock.address().port);
    },
    async close() {
      for (const s of servers) {
        s.close();
        // Keep-alive connections would hold close() open; the test is over.
        s.unref();
      }
      for (const u of udps) u.close();
    },
  };
  return ctx;
}

/** Polls check (bounded) until it returns true; throws with what after timeoutMs. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends raw bytes to 127.0.0.1:port and resolves with everything read until the server closes. */
export async function rawExchange(port: number, data: string | Buffer): Promise<string> {
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let out = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => (out += d));
    s.on("error", reject);
    s.on("close", () => resolve(out));
    s.write(data);
  });
}

/** An HTTP/1.1 GET with Connection: close, optionally behind a PROXY header. */
export function httpGet(
  path: string,
  opts: { proxyFrom?: string; headers?: Record<string, string> } = {},
): string {
  const pre = opts.proxyFrom
    ? `PROXY TCP4 ${opts.proxyFrom.split(":")[0]} 10.244.1.5 ${opts.proxyFrom.split(":")[1]} 80\r\n`
    : "";
  const extra = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return `${pre}GET ${path} HTTP/1.1\r\nHost: 10.244.1.5\r\nUser-Agent: curl/8.5.0\r\n${extra}Connection: close\r\n\r\n`;
}

/** The status code and body of a raw HTTP/1.1 response. */
export function parseResponse(raw: string): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const i = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, i).split("\r\n");
  const headers: Record<string, string> = {};
  for (const h of head.slice(1)) {
    const j = h.indexOf(":");
    headers[h.slice(0, j).toLowerCase()] = h.slice(j + 1).trim();
  }
  return { status: Number(head[0]!.split(" ")[1]), headers, body: raw.slice(i + 4) };
}
