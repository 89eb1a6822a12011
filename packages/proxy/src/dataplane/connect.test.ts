/**
 * connect(): what a socket connect() to a service address does on the node (DNAT at connection
 * time). Nothing here listens on a node IP; pods are echo servers on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest";
import { nullLogger } from "@kemu/common";
import type { FlowSource, ServicePortRule } from "../types.ts";
import { writeProxyHeader } from "@kemu/common";
import {
  FakeFabric,
  freePort,
  LineClient,
  makeEndpoint,
  makeRule,
  makeRuleSet,
  ManualClock,
  startTcpPod,
  type TcpPod,
} from "./testing.ts";
import { DataPlaneConnectError, UserspaceDataPlane, type UserspaceDataPlaneOptions } from "./userspace.ts";

const NODE = "127.0.1.232";
const A = "10.244.1.5";
const B = "10.244.2.7";
const C = "10.244.3.9";

const localPod: FlowSource = { ip: "10.244.1.20", port: 40000, origin: "local-pod" };
const host: FlowSource = { ip: NODE, port: 40001, origin: "host" };
const outside: FlowSource = { ip: "192.168.9.9", port: 40002, origin: "external" };

let dp: UserspaceDataPlane | undefined;
const pods: TcpPod[] = [];
afterEach(async () => {
  await dp?.close();
  dp = undefined;
  await Promise.all(pods.splice(0).map((p) => p.close()));
});

function fabricFor(...ips: string[]): FakeFabric {
  const f = new FakeFabric();
  ips.forEach((ip, i) => f.set(ip, 8080, "TCP", { host: "127.0.0.1", port: 20000 + i }));
  ips.forEach((ip, i) => f.set(ip, 8080, "UDP", { host: "127.0.0.1", port: 21000 + i }));
  return f;
}

async function planeWith(
  rules: ServicePortRule[],
  opts: Partial<UserspaceDataPlaneOptions> & {
    mode?: "iptables" | "nftables" | "ipvs";
    scheduler?: "rr" | "lc";
  } = {},
): Promise<UserspaceDataPlane> {
  dp = new UserspaceDataPlane({
    fabric: fabricFor(A, B, C),
    node: { name: "n", ip: NODE },
    log: nullLogger,
    ...opts,
  });
  await dp.apply(
    makeRuleSet(NODE, rules, (rs) => {
      rs.mode = opts.mode ?? "iptables";
      rs.ipvsScheduler = opts.scheduler ?? "rr";
    }),
  );
  return dp;
}

const all = () => [A, B, C].map((ip) => makeEndpoint(ip));

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "connected";
  } catch (err) {
    expect(err).toBeInstanceOf(DataPlaneConnectError);
    return (err as DataPlaneConnectError).code;
  }
}

describe("userspace data plane: connect()", () => {
  it("connect: a ClusterIP gives the pod's real address; a pod keeps its IP, the node is masqueraded", async () => {
    const d = await planeWith([makeRule("ns1", "web", all())], { random: () => 0 });
    const r = await d.connect(localPod, "10.96.0.100", 80, "TCP");
    expect(r).toMatchObject({
      host: "127.0.0.1",
      port: 20000,
      sourceIP: localPod.ip,
      endpoint: { ip: A, port: 8080 },
      rule: "ns1/web:",
    });
    expect((await d.connect(host, "10.96.0.100", 80, "TCP")).sourceIP).toBe(NODE);
    expect(d.stats().connections["ns1/web:"]).toEqual({
      [`${A}:8080`]: 2,
      [`${B}:8080`]: 0,
      [`${C}:8080`]: 0,
    });
  });

  it("connect: a pod that reaches itself through its service is masqueraded (hairpin)", async () => {
    const d = await planeWith([makeRule("ns1", "web", all())], { random: () => 0 });
    const self: FlowSource = { ip: A, port: 5555, origin: "local-pod" };
    expect((await d.connect(self, "10.96.0.100", 80, "TCP")).sourceIP).toBe(NODE);
  });

  it("connect: external IPs and LoadBalancer IPs follow externalTrafficPolicy", async () => {
    const localB = makeEndpoint(B, (e) => (e.isLocal = true));
    const rules = [
      makeRule("ns1", "cluster", all(), (r) => {
        r.id = "ns1/cluster:";
        r.externalIPs = ["192.168.50.1"];
      }),
      makeRule("ns1", "local", all(), (r) => {
        r.id = "ns1/local:";
        r.clusterIP = "10.96.0.101";
        r.loadBalancerIPs = ["127.0.2.10"];
        r.externalPolicyLocal = true;
        r.externalEndpoints = [localB];
      }),
    ];
    const d = await planeWith(rules, { random: () => 0 });
    // Cluster: every source is masqueraded.
    expect((await d.connect(outside, "192.168.50.1", 80, "TCP")).sourceIP).toBe(NODE);
    expect((await d.connect(localPod, "192.168.50.1", 80, "TCP")).sourceIP).toBe(NODE);
    // Local: outside clients keep their IP and reach the local endpoint only.
    for (let i = 0; i < 3; i++) {
      expect(await d.connect(outside, "127.0.2.10", 80, "TCP")).toMatchObject({
        sourceIP: outside.ip,
        endpoint: { ip: B },
      });
    }
    // Pods are short-circuited to the cluster endpoints, unmasqueraded; the node itself is masqueraded.
    expect(await d.connect(localPod, "127.0.2.10", 80, "TCP")).toMatchObject({
      sourceIP: localPod.ip,
      endpoint: { ip: A },
    });
    expect(await d.connect(host, "127.0.2.10", 80, "TCP")).toMatchObject({
      sourceIP: NODE,
      endpoint: { ip: A },
    });
  });

  it("connect: the short-circuit uses clusterPolicyEndpoints when the rules give them", async () => {
    const localB = makeEndpoint(B, (e) => (e.isLocal = true));
    const d = await planeWith(
      [
        makeRule("ns1", "both-local", all(), (r) => {
          r.externalIPs = ["192.168.50.3"];
          r.externalPolicyLocal = true;
          r.internalPolicyLocal = true;
          r.clusterEndpoints = [localB];
          r.externalEndpoints = [localB];
          r.clusterPolicyEndpoints = all();
        }),
      ],
      { random: () => 0.99 },
    );
    expect(await d.connect(localPod, "192.168.50.3", 80, "TCP")).toMatchObject({ endpoint: { ip: C } });
    expect(await d.connect(localPod, "10.96.0.100", 80, "TCP")).toMatchObject({ endpoint: { ip: B } });
    expect(await d.connect(outside, "192.168.50.3", 80, "TCP")).toMatchObject({ endpoint: { ip: B } });
  });

  it("connect: the node's own IP at a NodePort is routed like NodePort traffic", async () => {
    const port = await freePort(NODE);
    const d = await planeWith([makeRule("ns1", "web", all(), (r) => (r.nodePort = port))], {
      random: () => 0.99,
    });
    expect(await d.connect(localPod, NODE, port, "TCP")).toMatchObject({
      sourceIP: NODE,
      endpoint: { ip: C },
    });
  });

  it("connect: no endpoints rejects; Local policies without local endpoints drop", async () => {
    const d = await planeWith([
      makeRule("ns1", "empty", [], (r) => (r.id = "ns1/empty:")),
      makeRule("ns1", "itp", all(), (r) => {
        r.id = "ns1/itp:";
        r.clusterIP = "10.96.0.101";
        r.internalPolicyLocal = true;
        r.clusterEndpoints = [];
      }),
      makeRule("ns1", "etp", all(), (r) => {
        r.id = "ns1/etp:";
        r.clusterIP = "10.96.0.102";
        r.externalIPs = ["192.168.50.2"];
        r.externalPolicyLocal = true;
        r.externalEndpoints = [];
      }),
    ]);
    expect(await refusal(d.connect(localPod, "10.96.0.100", 80, "TCP"))).toBe("ECONNREFUSED");
    expect(await refusal(d.connect(localPod, "10.96.0.101", 80, "TCP"))).toBe("ETIMEDOUT");
    expect(await refusal(d.connect(outside, "192.168.50.2", 80, "TCP"))).toBe("ETIMEDOUT");
    expect(d.stats()).toMatchObject({ rejected: 1, dropped: 2 });
  });

  it("connect: a service IP at a port no service has: iptables drops, nftables and ipvs reject", async () => {
    const rules = [makeRule("ns1", "web", all())];
    expect(await refusal((await planeWith(rules)).connect(localPod, "10.96.0.100", 81, "TCP"))).toBe(
      "ETIMEDOUT",
    );
    await dp!.close();
    const nft = await planeWith(rules, { mode: "nftables" });
    expect(await refusal(nft.connect(localPod, "10.96.0.100", 81, "TCP"))).toBe("ECONNREFUSED");
    expect(await refusal(nft.connect(localPod, "10.96.0.100", 80, "UDP"))).toBe("ECONNREFUSED");
  });

  it("connect: other addresses pass through: pod IPs through the fabric, the rest unchanged", async () => {
    const d = await planeWith([makeRule("ns1", "web", all())]);
    expect(await d.connect(localPod, B, 8080, "TCP")).toMatchObject({
      host: "127.0.0.1",
      port: 20001,
      sourceIP: localPod.ip,
    });
    expect(await d.connect(localPod, "127.0.1.3", 31180, "TCP")).toMatchObject({
      host: "127.0.1.3",
      port: 31180,
    });
    expect(d.stats().connections["ns1/web:"]).toEqual({
      [`${A}:8080`]: 0,
      [`${B}:8080`]: 0,
      [`${C}:8080`]: 0,
    });
  });

  it("connect: an endpoint with no published port is refused", async () => {
    const d = await planeWith([makeRule("ns1", "web", [makeEndpoint("10.244.9.9")])]);
    expect(await refusal(d.connect(localPod, "10.96.0.100", 80, "TCP"))).toBe("ECONNREFUSED");
  });

  it("connect: UDP ClusterIPs resolve the pod's UDP port", async () => {
    const rule = makeRule("ns1", "dns", all(), (r) => (r.protocol = "UDP"));
    const d = await planeWith([rule], { random: () => 0.4 });
    expect(await d.connect(localPod, "10.96.0.100", 80, "UDP")).toMatchObject({
      port: 21001,
      endpoint: { ip: B },
    });
  });

  it("connect: ipvs lc counts connect()ed flows until release()", async () => {
    const d = await planeWith([makeRule("ns1", "web", all())], { mode: "ipvs", scheduler: "lc" });
    const r1 = await d.connect(localPod, "10.96.0.100", 80, "TCP");
    const r2 = await d.connect(localPod, "10.96.0.100", 80, "TCP");
    expect([r1.endpoint?.ip, r2.endpoint?.ip]).toEqual([A, B]);
    r1.release();
    r1.release();
    expect((await d.connect(localPod, "10.96.0.100", 80, "TCP")).endpoint?.ip).toBe(A);
    expect(d.activeConnections()["ns1/web:"]).toEqual({ [`${A}:8080`]: 1, [`${B}:8080`]: 1 });
  });

  it("connect: unreleased flows stop counting after connectTrackMs", async () => {
    const clock = new ManualClock();
    const d = await planeWith([makeRule("ns1", "web", all())], {
      mode: "ipvs",
      scheduler: "lc",
      clock,
      connectTrackMs: 60_000,
    });
    await d.connect(localPod, "10.96.0.100", 80, "TCP");
    clock.advance(60_000);
    d.sweep();
    expect(d.activeConnections()["ns1/web:"]).toEqual({});
    expect((await d.connect(localPod, "10.96.0.100", 80, "TCP")).endpoint?.ip).toBe(A);
  });

  it("connect: ClientIP affinity expires timeoutSeconds after the last connection", async () => {
    const clock = new ManualClock();
    let r = 0.99;
    const d = await planeWith([makeRule("ns1", "web", all(), (x) => (x.affinityTimeoutSeconds = 30))], {
      clock,
      random: () => r,
    });
    const pick = async () => (await d.connect(localPod, "10.96.0.100", 80, "TCP")).endpoint?.ip;
    expect(await pick()).toBe(C);
    r = 0;
    clock.advance(29_000);
    expect(await pick()).toBe(C);
    clock.advance(29_000);
    d.sweep();
    expect(await pick()).toBe(C);
    clock.advance(30_001);
    d.sweep();
    expect(await pick()).toBe(A);
  });

  it("connect: a client that sends the PROXY line with the result is seen as sourceIP by the pod", async () => {
    const pod = await startTcpPod("pod-b");
    pods.push(pod);
    const fabric = new FakeFabric();
    fabric.set(B, 8080, "TCP", pod.address);
    dp = new UserspaceDataPlane({ fabric, node: { name: "n", ip: NODE }, log: nullLogger });
    await dp.apply(makeRuleSet(NODE, [makeRule("ns1", "web", [makeEndpoint(B)])]));
    const r = await dp.connect(localPod, "10.96.0.100", 80, "TCP");
    const c = await LineClient.connect(r.host, r.port);
    writeProxyHeader(c.socket, {
      srcIP: r.sourceIP,
      srcPort: localPod.port,
      dstIP: r.endpoint!.ip,
      dstPort: r.endpoint!.port,
    });
    expect(await c.ask("hi")).toEqual({
      pod: "pod-b",
      src: `${localPod.ip}:40000`,
      dst: `${B}:8080`,
      text: "hi",
    });
    await c.destroy();
    r.release();
  });

  it("connect: a closed data plane refuses to route", async () => {
    const d = await planeWith([]);
    await d.close();
    await expect(d.connect(localPod, "10.96.0.100", 80, "TCP")).rejects.toThrow(/closed/);
  });
});
