/**
 * Test fixtures: a fake NodePort on 127.0.0.1 (port 0) whose connections are spread over named
 * "pods" that answer as kemu's echo app does, or that misbehave (reset, 503, 404, hang), and a
 * LoadReport built from made-up outcomes. Defaults live here; each test shows what differs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Recorder, type Executor, type LoadReport, type Outcome } from "./report.ts";
import type { Target } from "./targets.ts";

/** A pod behind the fake Service. */
export interface FakePod {
  name: string;
  node: string;
}

/** How the fake Service answers. */
export type Behaviour = "echo" | "nginx" | "reset" | "503" | "404" | "hang";

/** Options of a fake Service. */
export interface FakeServiceOptions {
  pods: FakePod[];
  behaviour: Behaviour;
  /** Picks the pod for a new connection (default: seeded random, as iptables mode picks). */
  choose?: (socket: Socket, pods: FakePod[]) => FakePod;
  seed: number;
}

/** A running fake Service. */
export interface FakeService {
  target: Target;
  /** Connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  /** Resolves once no connection is open (at once if none is). */
  idle(): Promise<void>;
  /** Resolves when `n` requests have arrived in total. */
  requestsReached(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A small seeded PRNG (mulberry32), so "random" pod choice is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three pods on two nodes. */
export const THREE_PODS: FakePod[] = [
  { name: "web-7d4b9-aaaaa", node: "node-1" },
  { name: "web-7d4b9-bbbbb", node: "node-2" },
  { name: "web-7d4b9-ccccc", node: "node-2" },
];

/** Picks a pod from the client's address, as ClientIP affinity does. */
export function byClientAddress(socket: Socket, pods: FakePod[]): FakePod {
  const ip = socket.remoteAddress ?? "";
  const n = [...ip].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
  return pods[n % pods.length]!;
}

function echoBody(pod: FakePod, req: IncomingMessage, index: number): { type: string; body: string } {
  const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  const fields = {
    pod: pod.name,
    namespace: "default",
    node: pod.node,
    podIP: `10.244.${pod.node.replace(/\D/g, "") || "0"}.${index + 2}`,
    client,
    image: "kemu/echo:1",
    container: "app",
    method: req.method ?? "GET",
    path: req.url ?? "/",
  };
  if ((req.headers.accept ?? "").includes("application/json"))
    return { type: "application/json", body: JSON.stringify(fields) + "\n" };
  return {
    type: "text/plain; charset=utf-8",
    body: Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")
      .concat("\n"),
  };
}

/** Starts a fake Service, changed by mutate. */
export async function startFakeService(mutate?: (o: FakeServiceOptions) => void): Promise<FakeService> {
  const o: FakeServiceOptions = { pods: THREE_PODS, behaviour: "echo", seed: 42 };
  mutate?.(o);
  const random = seeded(o.seed);
  const choose = o.choose ?? ((_s: Socket, pods: FakePod[]) => pods[Math.floor(random() * pods.length)]!);
  const podOf = new WeakMap<Socket, FakePod>();
  const open = new Set<Socket>();
  const idleWaiters: (() => void)[] = [];
  const requestWaiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    svc.requests++;
    for (const w of requestWaiters.filter((w) => svc.requests >= w.n)) {
      requestWaiters.splice(requestWaiters.indexOf(w), 1);
      w.resolve();
    }
    const pod = podOf.get(req.socket)!;
    switch (o.behaviour) {
      case "hang":
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      case "503":
      case "404": {
        const status = Number(o.behaviour);
        res.writeHead(status, { "Content-Type": "text/plain" }).end(`kemu: answering ${status}\n`);
        return;
      }
      case "nginx":
        res
          .writeHead(200, { "Content-Type": "text/html", Server: "nginx/1.14" })
          .end(`linuxea-${pod.name}.com ▍ 14d55fd1c35e8 ▍version number 1.0\n`);
        return;
      default: {
        const { type, body } = echoBody(pod, req, o.pods.indexOf(pod));
        res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) }).end(body);
      }
    }
  });
  // Idle keep-alive connections stay open until the client closes them, so a client that leaks
  // its sockets keeps idle() from resolving.
  server.keepAliveTimeout = 120_000;
  server.on("connection", (socket: Socket) => {
    svc.connections++;
    if (o.behaviour === "reset") {
      socket.resetAndDestroy();
      return;
    }
    podOf.set(socket, choose(socket, o.pods));
    open.add(socket);
    socket.on("close", () => {
      open.delete(socket);
      if (open.size === 0) for (const w of idleWaiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake service has no TCP address");

  const svc: FakeService = {
    target: { host: "127.0.0.1", port: address.port },
    connections: 0,
    requests: 0,
    idle: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    requestsReached: (n) =>
      svc.requests >= n ? Promise.resolve() : new Promise((resolve) => requestWaiters.push({ n, resolve })),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return svc;
}

/** A port nothing listens on: bound, then closed. */
export async function refusedTarget(): Promise<Target> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return { host: "127.0.0.1", port: address.port };
}

/** Whether this machine lets a socket bind 127.0.0.2 (Linux does; macOS needs an alias). */
export async function canBindLoopbackAlias(): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(0, "127.0.0.2", () => server.close(() => resolve(true)));
  });
}

/** An outcome that landed on pod (node-1 unless given), changed by mutate. */
export function makeOutcome(pod: string, mutate?: (o: Outcome) => void): Outcome {
  const o: Outcome = {
    target: { host: "127.0.1.1", port: 31180 },
    client: "vu-1",
    localAddress: undefined,
    status: 200,
    durationMs: 10,
    landing: { pod, node: "node-1" },
  };
  mutate?.(o);
  return o;
}

/** A report over outcomes, as a 10-second constant-vus run. */
export function makeReport(outcomes: Outcome[], mutate?: (r: LoadReport) => void): LoadReport {
  const rec = new Recorder();
  for (const o of outcomes) rec.add(o);
  const executor: Executor = { kind: "constant-vus", vus: 1, durationMs: 10_000 };
  const report = rec.report({
    targets: [{ host: "127.0.1.1", port: 31180 }],
    path: "/",
    executor,
    keepAlive: false,
    localAddresses: 0,
    startedAt: new Date("2026-11-24T22:00:00Z"),
    elapsedMs: 10_000,
    aborted: false,
  });
  mutate?.(report);
  return report;
}
