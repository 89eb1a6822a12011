/**
 * The userspace data plane over real loopback sockets. This file owns node IP 127.0.1.231 and
 * poses as clients from 127.0.3.x; NodePorts are free ports the kernel names just before use.
 */
import * as dgram from "node:dgram";
import * as http from "node:http";
import * as net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import type { RuleSet, ServicePortRule } from "../types.ts";
import {
  askOnce,
  eventually,
  FakeFabric,
  freePort,
  LineClient,
  makeEndpoint,
  makeRule,
  makeRuleSet,
  ManualClock,
  startTcpPod,
  startUdpPod,
  type TcpPod,
  type UdpPod,
} from "./testing.ts";
import { UserspaceDataPlane, type UserspaceDataPlaneOptions } from "./userspace.ts";

const NODE = "127.0.1.231";
const POD_IPS = ["10.244.1.5", "10.244.2.7", "10.244.3.9"];
const NAMES = ["pod-a", "pod-b", "pod-c"];

let pods: TcpPod[] = [];
let fabric: FakeFabric;
let dp: UserspaceDataPlane | undefined;
let testLog: TestLog;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  fabric = new FakeFabric();
  testLog = new TestLog();
  pods = await Promise.all(NAMES.map((n) => startTcpPod(n)));
  pods.forEach((p, i) => fabric.set(POD_IPS[i]!, 8080, "TCP", p.address));
});

afterEach(async () => {
  await dp?.close();
  dp = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(pods.map((p) => p.close()));
});

function newDataPlane(opts: Partial<UserspaceDataPlaneOptions> = {}): UserspaceDataPlane {
  dp = new UserspaceDataPlane({
    fabric,
    node: { name: "node-t", ip: NODE },
    log: testLog.logger("node-t/proxy"),
    ...opts,
  });
  return dp;
}

const endpoints = (mutate?: Parameters<typeof makeEndpoint>[1]) =>
  POD_IPS.map((ip) => makeEndpoint(ip, mutate));

/** The web service port exposed at nodePort, with the three pods. */
function webRule(nodePort: number, mutate: (r: ServicePortRule) => void = () => {}): ServicePortRule {
  return makeRule("ns1", "web", endpoints(), (r) => {
    r.nodePort = nodePort;
    mutate(r);
  });
}

function rulesOf(rules: ServicePortRule[], mutate?: (rs: RuleSet) => void): RuleSet {
  return makeRuleSet(NODE, rules, mutate);
}

/** n one-shot requests, a few at a time; returns how many each pod served. */
async function spread(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const r = await askOnce(NODE, port);
      counts[r.pod] = (counts[r.pod] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return counts;
}

/** Connects, sends a line and reports the first thing that happens: an error code, "data" or "end". */
function outcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: NODE, port });
    s.on("connect", () => s.write("x\n"));
    s.on("data", () => resolve("data"));
    s.on("end", () => resolve("end"));
    s.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.on("close", () => resolve("close"));
    cleanups.push(async () => void s.destroy());
  });
}

describe("userspace data plane: NodePort TCP", () => {
  it("dataplane: NodePort reaches a pod, which sees the node IP as source (externalTrafficPolicy Cluster)", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)]));
    const c = await LineClient.connect(NODE, port, "127.0.3.31");
    cleanups.push(() => c.destroy());
    const r = await c.ask("hello");
    expect(NAMES).toContain(r.pod);
    expect(r.src).toBe(`${NODE}:${c.socket.localPort}`);
    expect(r.dst).toBe(`${POD_IPS[NAMES.indexOf(r.pod)]}:8080`);
    expect(r.text).toBe("hello");
  });

  it("dataplane: externalTrafficPolicy Local keeps the client IP and uses local endpoints only", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    const local = makeEndpoint(POD_IPS[1]!, (e) => (e.isLocal = true));
    await d.apply(
      rulesOf([
        webRule(port, (r) => {
          r.externalPolicyLocal = true;
          r.externalEndpoints = [local];
        }),
      ]),
    );
    for (let i = 0; i < 5; i++) {
      const r = await askOnce(NODE, port, "hi", "127.0.3.32");
      expect(r.pod).toBe("pod-b");
      expect(r.src).toMatch(/^127\.0\.3\.32:\d+$/);
    }
  });

  it("dataplane: a PROXY header from the edge load balancer names the client for Local policy", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    const local = makeEndpoint(POD_IPS[1]!, (e) => (e.isLocal = true));
    await d.apply(
      rulesOf([
        webRule(port, (r) => {
          r.externalPolicyLocal = true;
          r.externalEndpoints = [local];
        }),
      ]),
    );
    const c = await LineClient.connect(NODE, port, "127.0.3.33");
    cleanups.push(() => c.destroy());
    c.socket.write(`PROXY TCP4 198.51.100.7 127.0.0.1 40404 ${port}\r\n`);
    const r = await c.ask("via edge");
    expect(r.pod).toBe("pod-b");
    expect(r.src).toBe("198.51.100.7:40404");
    expect(r.text).toBe("via edge");
  });

  it("dataplane: iptables mode spreads new connections uniformly over the endpoints", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)]));
    // 300 connections over 3: mean 100, sd 8.2; 50 is more than 6 sd below.
    const counts = await spread(port, 300);
    for (const n of NAMES) expect(counts[n] ?? 0).toBeGreaterThan(50);
    const st = d.stats().connections["ns1/web:"]!;
    expect(Object.values(st).reduce((a, b) => a + b, 0)).toBe(300);
  });

  it("dataplane: nftables mode spreads new connections uniformly over the endpoints", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)], (rs) => (rs.mode = "nftables")));
    const counts = await spread(port, 300);
    for (const n of NAMES) expect(counts[n] ?? 0).toBeGreaterThan(50);
  });

  it("dataplane: ipvs rr takes the endpoints in exact order", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)], (rs) => (rs.mode = "ipvs")));
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push((await askOnce(NODE, port)).pod);
    expect(order).toEqual(["pod-a", "pod-b", "pod-c", "pod-a", "pod-b", "pod-c"]);
  });

  it("dataplane: ipvs lc sends a new connection to the endpoint with the fewest open ones", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(
      rulesOf([webRule(port)], (rs) => {
        rs.mode = "ipvs";
        rs.ipvsScheduler = "lc";
      }),
    );
    const open: LineClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await LineClient.connect(NODE, port);
      cleanups.push(() => c.destroy());
      open.push(c);
      expect((await c.ask("x")).pod).toBe(NAMES[i]);
    }
    const c4 = await LineClient.connect(NODE, port);
    cleanups.push(() => c4.destroy());
    expect((await c4.ask("x")).pod).toBe("pod-a");
    // pod-b's only connection closes: it now has the fewest.
    await open[1]!.destroy();
    await eventually(() => (d.activeConnections()["ns1/web:"]!["10.244.2.7:8080"] ?? 0) === 0);
    expect((await askOnce(NODE, port)).pod).toBe("pod-b");
  });

  it("dataplane: ipvs sh keeps each client IP on one endpoint and dh sends one destination to one", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(
      rulesOf([webRule(port)], (rs) => {
        rs.mode = "ipvs";
        rs.ipvsScheduler = "sh";
      }),
    );
    const byClient = new Map<string, Set<string>>();
    for (let i = 1; i <= 12; i++) {
      for (let k = 0; k < 2; k++) {
        const ip = `127.0.3.${100 + i}`;
        const r = await askOnce(NODE, port, "x", ip);
        byClient.set(ip, (byClient.get(ip) ?? new Set()).add(r.pod));
      }
    }
    for (const pods of byClient.values()) expect(pods.size).toBe(1);
    expect(new Set([...byClient.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);

    await d.apply(
      rulesOf([webRule(port)], (rs) => {
        rs.mode = "ipvs";
        rs.ipvsScheduler = "dh";
      }),
    );
    const seen = new Set<string>();
    for (let i = 1; i <= 8; i++) seen.add((await askOnce(NODE, port, "x", `127.0.3.${100 + i}`)).pod);
    expect(seen.size).toBe(1);
  });

  it("dataplane: ClientIP affinity keeps one client on one pod until the timeout passes", async () => {
    const port = await freePort(NODE);
    const clock = new ManualClock();
    let r = 0.99;
    const d = newDataPlane({ clock, random: () => r });
    await d.apply(rulesOf([webRule(port, (x) => (x.affinityTimeoutSeconds = 10800))]));
    expect((await askOnce(NODE, port)).pod).toBe("pod-c");
    r = 0;
    for (let i = 0; i < 10; i++) expect((await askOnce(NODE, port)).pod).toBe("pod-c");
    // Another client is not affected.
    expect((await askOnce(NODE, port, "x", "127.0.3.40")).pod).toBe("pod-a");
    clock.advance(10800 * 1000 + 1);
    d.sweep();
    expect((await askOnce(NODE, port)).pod).toBe("pod-a");
    r = 0.99;
    expect((await askOnce(NODE, port)).pod).toBe("pod-a");
  });

  it("dataplane: a keep-alive connection stays on one pod for all its requests", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)]));
    const c = await LineClient.connect(NODE, port);
    cleanups.push(() => c.destroy());
    const first = (await c.ask("0")).pod;
    for (let i = 1; i < 30; i++) expect((await c.ask(String(i))).pod).toBe(first);
    const counts = d.stats().connections["ns1/web:"]!;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it("dataplane: an established connection survives a rule change that removes its endpoint", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane({ random: () => 0 });
    await d.apply(rulesOf([webRule(port)]));
    const c = await LineClient.connect(NODE, port);
    cleanups.push(() => c.destroy());
    expect((await c.ask("before")).pod).toBe("pod-a");
    await d.apply(
      rulesOf([webRule(port, (r) => (r.clusterEndpoints = r.externalEndpoints = endpoints().slice(1)))]),
    );
    expect((await c.ask("after")).pod).toBe("pod-a");
    for (let i = 0; i < 5; i++) expect((await askOnce(NODE, port)).pod).toBe("pod-b");
    // The port stayed, so its listener was opened once.
    expect(testLog.messages().filter((m) => m === "NodePort listening")).toHaveLength(1);
    expect(d.conntrack().tcp).toBeGreaterThanOrEqual(1);
  });

  it("dataplane: a port that goes away stops listening while the others stay", async () => {
    const [p1, p2] = [await freePort(NODE), await freePort(NODE)];
    const d = newDataPlane();
    const other = makeRule("ns1", "other", endpoints(), (r) => {
      r.id = "ns1/other:";
      r.clusterIP = "10.96.0.101";
      r.nodePort = p2;
    });
    await d.apply(rulesOf([webRule(p1), other]));
    expect(d.listeners().tcp).toEqual([p1, p2].sort((a, b) => a - b));
    await d.apply(rulesOf([webRule(p1)]));
    expect(d.listeners().tcp).toEqual([p1]);
    await expect(LineClient.connect(NODE, p2)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(NAMES).toContain((await askOnce(NODE, p1)).pod);
    // And it can come back at once.
    await d.apply(rulesOf([webRule(p1), other]));
    expect(NAMES).toContain((await askOnce(NODE, p2)).pod);
  });

  it("dataplane: half-close passes both ways: the client's FIN reaches the pod, whose answer still arrives", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([webRule(port)]));
    const c = await LineClient.connect(NODE, port);
    c.socket.end("last words\n");
    const line = await c.next();
    expect(line).toMatch(/^pod-. \S+ \S+ last words$/);
    expect(await c.next()).toBe("bye");
    await c.closed();
    expect(c.ending).toBe("end");
    await eventually(() => d.conntrack().tcp === 0);
  });

  it("dataplane: a service with no endpoints rejects (reset), and counts it", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane();
    await d.apply(rulesOf([makeRule("ns1", "web", [], (r) => (r.nodePort = port))]));
    expect(await outcome(port)).toBe("ECONNRESET");
    expect(d.stats()).toMatchObject({ rejected: 1, dropped: 0 });
  });

  it("dataplane: Local with no local endpoint drops: no answer, then closed after the hold time", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane({ dropHoldMs: 400 });
    await d.apply(
      rulesOf([
        webRule(port, (r) => {
          r.externalPolicyLocal = true;
          r.externalEndpoints = [];
        }),
      ]),
    );
    const c = await LineClient.connect(NODE, port);
    c.socket.write("x\n");
    expect(await c.next(250)).toBeUndefined();
    expect(c.ending).toBeUndefined();
    expect(d.stats()).toMatchObject({ rejected: 0, dropped: 1 });
    expect(d.conntrack().held).toBe(1);
    await c.closed();
    await eventually(() => d.conntrack().held === 0);
    expect(pods.map((p) => p.open())).toEqual([0, 0, 0]);
  });

  it("dataplane: a pod that does not answer the dial resets the client", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane({ random: () => 0 });
    await d.apply(rulesOf([webRule(port)]));
    await pods[0]!.close();
    expect(await outcome(port)).toBe("ECONNRESET");
    await eventually(() => d.conntrack().tcp === 0);
    expect(d.activeConnections()["ns1/web:"]).toEqual({});
  });

  it("dataplane: stats count new connections per rule and endpoint, listing unused ones at 0", async () => {
    const port = await freePort(NODE);
    const d = newDataPlane({ random: () => 0 });
    await d.apply(rulesOf([webRule(port)]));
    await askOnce(NODE, port);
    await askOnce(NODE, port);
    expect(d.stats()).toEqual({
      connections: { "ns1/web:": { "10.244.1.5:8080": 2, "10.244.2.7:8080": 0, "10.244.3.9:8080": 0 } },
      rejected: 0,
      dropped: 0,
    });
  });
});

describe("userspace data plane: healthCheckNodePort", () => {
  function get(port: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: NODE, port, path: "/", agent: false }, (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on("error", reject);
    });
  }

  it("dataplane: answers 200 with kube-proxy's body while a local endpoint is ready, 503 otherwise", async () => {
    const [np, hc] = [await freePort(NODE), await freePort(NODE)];
    const d = newDataPlane();
    const lb = (local: number) =>
      webRule(np, (r) => {
        r.externalPolicyLocal = true;
        r.healthCheckNodePort = hc;
        r.localReadyEndpoints = local;
        r.loadBalancerIPs = ["127.0.2.10"];
      });
    await d.apply(rulesOf([lb(2)]));
    const ok = await get(hc);
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toBe("application/json");
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
    expect(ok.body).toBe(
      '{\n\t"service": {\n\t\t"namespace": "ns1",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}',
    );
    await d.apply(rulesOf([lb(0)]));
    const bad = await get(hc);
    expect(bad.status).toBe(503);
    expect(JSON.parse(bad.body)).toEqual({
      service: { namespace: "ns1", name: "web" },
      localEndpoints: 0,
      serviceProxyHealthy: true,
    });
    expect(testLog.messages().filter((m) => m === "healthCheckNodePort listening")).toHaveLength(1);
    await d.apply(rulesOf([]));
    expect(d.listeners()).toEqual({ tcp: [], udp: [], health: [], vips: [] });
    await expect(get(hc)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("dataplane: an unhealthy proxy answers 503 even with local endpoints", async () => {
    const hc = await freePort(NODE);
    const d = newDataPlane({ proxyHealthy: () => false });
    await d.apply(rulesOf([webRule(await freePort(NODE), (r) => (r.healthCheckNodePort = hc))]));
    const res = await get(hc);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ serviceProxyHealthy: false });
  });
});

describe("userspace data plane: NodePort UDP", () => {
  let udpPods: UdpPod[] = [];
  beforeEach(async () => {
    udpPods = await Promise.all(NAMES.map((n) => startUdpPod(n)));
    udpPods.forEach((p, i) => fabric.set(POD_IPS[i]!, 53, "UDP", p.address));
    cleanups.push(async () => void (await Promise.all(udpPods.map((p) => p.close()))));
  });

  async function udpClient() {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    const inbox: string[] = [];
    const waiters: ((m: string | undefined) => void)[] = [];
    s.on("message", (m) => {
      const w = waiters.shift();
      if (w) w(m.toString());
      else inbox.push(m.toString());
    });
    cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
    return {
      ask(port: number, text: string, timeoutMs = 3000): Promise<string | undefined> {
        s.send(text, port, NODE);
        const m = inbox.shift();
        if (m !== undefined) return Promise.resolve(m);
        return new Promise((resolve) => {
          const w = (v: string | undefined) => {
            clearTimeout(t);
            resolve(v);
          };
          const t = setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1);
            resolve(undefined);
          }, timeoutMs);
          waiters.push(w);
        });
      },
    };
  }

  function dnsRule(port: number, mutate: (r: ServicePortRule) => void = () => {}): ServicePortRule {
    const eps = POD_IPS.map((ip) => makeEndpoint(ip, (e) => (e.port = 53)));
    return makeRule("kube-system", "dns", eps, (r) => {
      r.id = "kube-system/dns:dns";
      r.portName = "dns";
      r.protocol = "UDP";
      r.port = 53;
      r.nodePort = port;
      mutate(r);
    });
  }

  it("dataplane: UDP through a NodePort echoes, and one client stays on one pod for its session", async () => {
    const port = await freePort(NODE, "UDP");
    const d = newDataPlane();
    await d.apply(rulesOf([dnsRule(port)]));
    expect(d.listeners().udp).toEqual([port]);
    const c = await udpClient();
    const first = await c.ask(port, "q0");
    expect(first).toMatch(/^pod-. q0$/);
    const pod = first!.split(" ")[0];
    for (let i = 1; i < 10; i++) expect(await c.ask(port, `q${i}`)).toBe(`${pod} q${i}`);
    expect(d.conntrack().udp).toBe(1);
    expect(Object.values(d.stats().connections["kube-system/dns:dns"]!).reduce((a, b) => a + b)).toBe(1);
  });

  it("dataplane: UDP sessions expire when idle and are flushed when their endpoint goes away", async () => {
    const port = await freePort(NODE, "UDP");
    const clock = new ManualClock();
    let r = 0;
    const d = newDataPlane({ clock, random: () => r });
    await d.apply(rulesOf([dnsRule(port)]));
    const c = await udpClient();
    expect(await c.ask(port, "a")).toBe("pod-a a");
    // Replied, so the stream timeout (120 s) applies, not the 30 s one.
    clock.advance(60_000);
    d.sweep();
    expect(d.conntrack().udp).toBe(1);
    clock.advance(60_001);
    d.sweep();
    expect(d.conntrack().udp).toBe(0);
    r = 0.99;
    expect(await c.ask(port, "b")).toBe("pod-c b");
    // pod-c leaves the endpoints: its session is deleted, the next datagram gets a new pod.
    r = 0;
    await d.apply(
      rulesOf([
        dnsRule(port, (x) => (x.clusterEndpoints = x.externalEndpoints = x.clusterEndpoints.slice(0, 2))),
      ]),
    );
    expect(d.conntrack().udp).toBe(0);
    expect(await c.ask(port, "c")).toBe("pod-a c");
  });

  it("dataplane: UDP to a service without endpoints gets no answer and counts as rejected", async () => {
    const port = await freePort(NODE, "UDP");
    const d = newDataPlane();
    await d.apply(
      rulesOf([
        dnsRule(port, (r) => ((r.clusterEndpoints = r.externalEndpoints = []), (r.hasEndpoints = false))),
      ]),
    );
    const c = await udpClient();
    expect(await c.ask(port, "x", 200)).toBeUndefined();
    expect(d.stats().rejected).toBe(1);
  });
});

describe("userspace data plane: close", () => {
  it("dataplane: close() leaves no listener, connection or session behind", async () => {
    const [np, hc, up] = [await freePort(NODE), await freePort(NODE), await freePort(NODE, "UDP")];
    const udpPod = await startUdpPod("u");
    cleanups.push(() => udpPod.close());
    fabric.set(POD_IPS[0]!, 53, "UDP", udpPod.address);
    const d = newDataPlane();
    await d.apply(
      rulesOf([
        webRule(np, (r) => (r.healthCheckNodePort = hc)),
        makeRule("ns1", "udp", [makeEndpoint(POD_IPS[0]!, (e) => (e.port = 53))], (r) => {
          r.id = "ns1/udp:";
          r.protocol = "UDP";
          r.nodePort = up;
        }),
      ]),
    );
    const clients = await Promise.all([0, 1, 2].map(() => LineClient.connect(NODE, np)));
    for (const c of clients) await c.ask("x");
    const u = dgram.createSocket("udp4");
    cleanups.push(() => new Promise<void>((r) => u.close(() => r())));
    const echoed = new Promise((r) => u.once("message", r));
    u.send("ping", up, NODE);
    await echoed;
    const keepAlive = new http.Agent({ keepAlive: true });
    cleanups.push(async () => keepAlive.destroy());
    await new Promise((resolve, reject) =>
      http
        .get({ host: NODE, port: hc, agent: keepAlive }, (res) => res.resume().on("end", resolve))
        .on("error", reject),
    );
    expect(d.conntrack()).toEqual({ tcp: 3, udp: 1, held: 0 });

    await d.close();
    expect(d.conntrack()).toEqual({ tcp: 0, udp: 0, held: 0 });
    expect(d.listeners()).toEqual({ tcp: [], udp: [], health: [], vips: [] });
    await eventually(() => clients.every((c) => c.ending !== undefined));
    await Promise.all(clients.map((c) => c.destroy()));
    await eventually(() => pods.every((p) => p.open() === 0));
    for (const port of [np, hc]) {
      await expect(LineClient.connect(NODE, port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    }
    // The UDP port is free again.
    const again = dgram.createSocket("udp4");
    await new Promise<void>((r, j) => again.once("error", j).bind(up, NODE, () => r()));
    await new Promise<void>((r) => again.close(() => r()));
    await expect(d.apply(rulesOf([]))).rejects.toThrow(/closed/);
  });
});

describe("userspace data plane: service IPs on the host (kernel fabric)", () => {
  // 127/8 is all loopback, so a "ClusterIP" in it can be listened on without adding an address.
  const VIP = "127.0.4.10";
  const EXTERNAL = "127.0.4.11";

  function recordingIPs() {
    const added: string[] = [];
    const removed: string[] = [];
    return {
      added,
      removed,
      serviceIPs: {
        add: async (ip: string) => void added.push(ip),
        remove: async (ip: string) => void removed.push(ip),
      },
    };
  }

  it("dataplane: listens on ClusterIP and external IP ports, puts the IPs on the host first, and routes through the rules", async () => {
    const port = await freePort(VIP);
    const ips = recordingIPs();
    const d = newDataPlane({ serviceIPs: ips.serviceIPs });
    const rule = webRule(await freePort(NODE), (r) => {
      r.clusterIP = VIP;
      r.port = port;
      r.externalIPs = [EXTERNAL];
    });
    await d.apply(rulesOf([rule]));
    expect(ips.added.sort()).toEqual([VIP, EXTERNAL].sort());
    expect(d.listeners().vips).toEqual([`TCP ${VIP}:${port}`, `TCP ${EXTERNAL}:${port}`].sort());

    // From the host itself (a 127.x source): masqueraded to the node IP, as kube-proxy does.
    const r = await askOnce(VIP, port, "via-clusterip", "127.0.0.1");
    expect(NAMES).toContain(r.pod);
    expect(r.src.split(":")[0]).toBe(NODE);
    // From outside, at an external IP: external frontend (Cluster policy masquerades too).
    const e = await askOnce(EXTERNAL, port, "via-external", "127.0.3.77");
    expect(NAMES).toContain(e.pod);
    expect(d.stats().connections[rule.id]).toBeDefined();

    // The service goes away: listeners close, then the addresses come off the host.
    await d.apply(rulesOf([]));
    expect(d.listeners().vips).toEqual([]);
    expect(ips.removed.sort()).toEqual([VIP, EXTERNAL].sort());
    expect(await outcomeAt(VIP, port)).toBe("ECONNREFUSED");
  });

  it("dataplane: a pod source on a ClusterIP keeps its address; a service without endpoints is rejected", async () => {
    const port = await freePort(VIP);
    const ips = recordingIPs();
    const d = newDataPlane({ serviceIPs: ips.serviceIPs, clusterCIDR: "127.0.5.0/24" });
    const rule = webRule(await freePort(NODE), (r) => {
      r.clusterIP = VIP;
      r.port = port;
    });
    await d.apply(rulesOf([rule]));
    // A "pod" (inside clusterCIDR) keeps its source: no SNAT for pod-to-service traffic.
    const r = await askOnce(VIP, port, "from-pod", "127.0.5.9");
    expect(r.src.split(":")[0]).toBe("127.0.5.9");

    const empty = makeRule("ns1", "web", [], (x) => {
      x.clusterIP = VIP;
      x.port = port;
    });
    await d.apply(rulesOf([empty]));
    const before = d.stats().rejected;
    expect(await outcomeAt(VIP, port)).toMatch(/ECONNRESET|end|close/);
    expect(d.stats().rejected).toBe(before + 1);
  });

  it("dataplane: UDP on a ClusterIP (how dig @10.96.0.10 reaches cluster DNS in a node container)", async () => {
    const port = await freePort(VIP, "UDP");
    const udpPods = await Promise.all(NAMES.map((n) => startUdpPod(n)));
    cleanups.push(async () => void (await Promise.all(udpPods.map((p) => p.close()))));
    udpPods.forEach((p, i) => fabric.set(POD_IPS[i]!, 53, "UDP", p.address));
    const d = newDataPlane({ serviceIPs: recordingIPs().serviceIPs });
    const rule = makeRule(
      "kube-system",
      "kube-dns",
      endpoints((e) => (e.port = 53)),
      (r) => {
        r.protocol = "UDP";
        r.clusterIP = VIP;
        r.port = port;
      },
    );
    await d.apply(rulesOf([rule]));
    expect(d.listeners().vips).toEqual([`UDP ${VIP}:${port}`]);
    const client = dgram.createSocket("udp4");
    cleanups.push(() => new Promise((r) => client.close(() => r())));
    const answer = new Promise<{ text: string; from: string }>((resolve) =>
      client.once("message", (m, rinfo) =>
        resolve({ text: m.toString(), from: `${rinfo.address}:${rinfo.port}` }),
      ),
    );
    client.send("query", port, VIP);
    const a = await answer;
    expect(a.text).toMatch(/^pod-[abc] query$/);
    // The answer comes from the address the client asked, as a resolver checks.
    expect(a.from).toBe(`${VIP}:${port}`);
  });
});

/** Connects to host:port, sends a line and reports the first thing that happens. */
function outcomeAt(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on("connect", () => s.write("x\n"));
    s.on("data", () => resolve("data"));
    s.on("end", () => resolve("end"));
    s.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.on("close", () => resolve("close"));
    cleanups.push(async () => void s.destroy());
  });
}
