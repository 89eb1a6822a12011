import { describe, expect, it } from "vitest";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { Protocol } from "@kemu/fabric";
import type { FlowSource, FlowVerdict, NodeInfo, RuleSet } from "../types.ts";
import { computeRules } from "./compute.ts";
import { snatFor, traceFlow } from "./trace.ts";
import {
  TEST_CONFIG,
  endpoint,
  makeEndpointSlice,
  makeService,
  terminating,
  walkthrough,
} from "./fixtures.ts";

const NODE = (n: number): NodeInfo => ({ name: `node-${n}`, ip: `127.0.1.${n}` });

/** Where connections come from, as seen by node-1. */
const FROM = {
  localPod: { ip: "10.244.1.50", port: 40000, origin: "local-pod" },
  remotePod: { ip: "10.244.2.50", port: 40000, origin: "remote-pod" },
  host: { ip: "127.0.1.1", port: 40000, origin: "host" },
  external: { ip: "192.0.2.99", port: 40000, origin: "external" },
} satisfies Record<string, FlowSource>;

/** One packet-flow case: "a connection from src to dst:port lands on one of expect". */
interface Flow {
  name: string;
  src: FlowSource;
  dst: string;
  port: number;
  proto?: Protocol;
  /** Candidate endpoints "ip:port", or what happens instead. */
  expect: string[] | "reject" | "drop" | "no-rule";
  /** For forwards: whether the source is masqueraded. */
  snat?: boolean;
}

/** kube-proxy's runPacketFlowTests: every case, reported together. */
function runFlows(rules: RuleSet, flows: Flow[]): void {
  const got = flows.map((f) => describeVerdict(traceFlow(rules, f.src, f.dst, f.port, f.proto ?? "TCP")));
  const want = flows.map((f) =>
    Array.isArray(f.expect) ? `forward ${[...f.expect].join(",")} snat=${f.snat ?? false}` : f.expect,
  );
  expect(flows.map((f, i) => `${f.name}: ${got[i]}`)).toEqual(flows.map((f, i) => `${f.name}: ${want[i]}`));
}

function describeVerdict(v: FlowVerdict): string {
  if (v.kind === "forward")
    return `forward ${v.candidates.map((e) => `${e.ip}:${e.port}`).join(",")} snat=${v.snat}`;
  return v.kind;
}

function rulesFor(node: NodeInfo, services: V1Service[], slices: V1EndpointSlice[]): RuleSet {
  return computeRules(services, slices, node, TEST_CONFIG);
}

const NGINX = ["10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80"];

describe("trace: the walkthrough", () => {
  it("trace: redis ClusterIP, linuxea NodePort on every node, and the headless service not proxied", () => {
    const { services, slices } = walkthrough("None");
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "pod to redis",
        src: FROM.localPod,
        dst: "10.96.65.65",
        port: 6379,
        expect: ["10.244.2.3:6379"],
      },
      {
        name: "pod on node-2 routed here, to redis",
        src: FROM.remotePod,
        dst: "10.96.65.65",
        port: 6379,
        expect: ["10.244.2.3:6379"],
      },
      {
        name: "node to redis",
        src: FROM.host,
        dst: "10.96.65.65",
        port: 6379,
        expect: ["10.244.2.3:6379"],
        snat: true,
      },
      { name: "redis on another port", src: FROM.localPod, dst: "10.96.65.65", port: 80, expect: "no-rule" },
      {
        name: "redis over UDP",
        src: FROM.localPod,
        dst: "10.96.65.65",
        port: 6379,
        proto: "UDP",
        expect: "no-rule",
      },
      { name: "pod to linuxea", src: FROM.localPod, dst: "10.96.66.66", port: 80, expect: NGINX },
      {
        name: "outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.1",
        port: 31180,
        expect: NGINX,
        snat: true,
      },
      {
        name: "pod to NodePort",
        src: FROM.localPod,
        dst: "127.0.1.1",
        port: 31180,
        expect: NGINX,
        snat: true,
      },
      {
        name: "node to its NodePort",
        src: FROM.host,
        dst: "127.0.1.1",
        port: 31180,
        expect: NGINX,
        snat: true,
      },
      { name: "another node's IP", src: FROM.external, dst: "127.0.1.2", port: 31180, expect: "no-rule" },
      {
        name: "NodePort on the ClusterIP",
        src: FROM.localPod,
        dst: "10.96.66.66",
        port: 31180,
        expect: "no-rule",
      },
      {
        name: "headless: straight to a pod",
        src: FROM.localPod,
        dst: "10.244.3.2",
        port: 80,
        expect: "no-rule",
      },
      { name: "kubernetes API", src: FROM.localPod, dst: "10.96.0.1", port: 443, expect: ["127.0.0.1:6443"] },
    ]);
  });

  it("trace: NodePort traffic to any of the 3 nodes lands on one of the 3 nginx pods", () => {
    const { services, slices } = walkthrough("ClientIP");
    for (const n of [1, 2, 3]) {
      runFlows(rulesFor(NODE(n), services, slices), [
        {
          name: `outside to node-${n}`,
          src: FROM.external,
          dst: `127.0.1.${n}`,
          port: 31180,
          expect: NGINX,
          snat: true,
        },
      ]);
    }
    // Affinity is a property of the rule; the data plane keeps the client -> endpoint table.
    const rule = rulesFor(NODE(1), services, slices).rules.find((r) => r.id === "default/linuxea:");
    expect(rule?.affinityTimeoutSeconds).toBe(10_800);
  });
});

/** web: port 80 -> 8080, endpoints on node-1 and node-2 unless the test says otherwise. */
function web(
  mutate: (s: ReturnType<typeof makeService>) => void,
  eps = [endpoint("10.244.1.2", "node-1"), endpoint("10.244.2.2", "node-2")],
) {
  const svc = makeService("ns1", "web", (s) => {
    s.spec.clusterIP = "10.96.0.80";
    s.spec.ports = [{ name: "http", port: 80, protocol: "TCP", nodePort: 30080 }];
    s.spec.type = "NodePort";
    mutate(s);
  });
  const slice = makeEndpointSlice("ns1", "web", 1, (s) => {
    s.ports = [{ name: "http", port: 8080, protocol: "TCP" }];
    s.endpoints = eps;
  });
  return { services: [svc], slices: [slice] };
}

describe("trace: traffic policies", () => {
  it("trace: a service without endpoints rejects on every destination, whatever the policy", () => {
    for (const policy of ["Cluster", "Local"]) {
      const { services, slices } = web((s) => {
        s.spec.type = "LoadBalancer";
        s.spec.externalTrafficPolicy = policy;
        s.spec.internalTrafficPolicy = policy;
        s.spec.externalIPs = ["192.0.2.10"];
        s.status.loadBalancer = { ingress: [{ ip: "127.0.2.5" }] };
      }, []);
      runFlows(rulesFor(NODE(1), services, slices), [
        { name: `${policy}: ClusterIP`, src: FROM.localPod, dst: "10.96.0.80", port: 80, expect: "reject" },
        { name: `${policy}: NodePort`, src: FROM.external, dst: "127.0.1.1", port: 30080, expect: "reject" },
        { name: `${policy}: external IP`, src: FROM.external, dst: "192.0.2.10", port: 80, expect: "reject" },
        { name: `${policy}: LB IP`, src: FROM.external, dst: "127.0.2.5", port: 80, expect: "reject" },
      ]);
    }
  });

  it("trace: internalTrafficPolicy Local uses local endpoints and drops on nodes without one", () => {
    const { services, slices } = web((s) => (s.spec.internalTrafficPolicy = "Local"));
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "node-1: pod to ClusterIP",
        src: FROM.localPod,
        dst: "10.96.0.80",
        port: 80,
        expect: ["10.244.1.2:8080"],
      },
      // External traffic still follows externalTrafficPolicy (Cluster).
      {
        name: "node-1: outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.1",
        port: 30080,
        expect: ["10.244.1.2:8080", "10.244.2.2:8080"],
        snat: true,
      },
    ]);
    runFlows(rulesFor(NODE(3), services, slices), [
      {
        name: "node-3: pod to ClusterIP",
        src: { ...FROM.localPod, ip: "10.244.3.50" },
        dst: "10.96.0.80",
        port: 80,
        expect: "drop",
      },
      {
        name: "node-3: outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.3",
        port: 30080,
        expect: ["10.244.1.2:8080", "10.244.2.2:8080"],
        snat: true,
      },
    ]);
  });

  it("trace: externalTrafficPolicy Local keeps the client IP on local endpoints; pods and the node short-circuit", () => {
    const { services, slices } = web((s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.healthCheckNodePort = 32000;
      s.spec.externalIPs = ["192.0.2.10"];
      s.status.loadBalancer = { ingress: [{ ip: "127.0.2.5" }] };
    });
    const both = ["10.244.1.2:8080", "10.244.2.2:8080"];
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "node-1: outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.1",
        port: 30080,
        expect: ["10.244.1.2:8080"],
      },
      {
        name: "node-1: outside to LB IP",
        src: FROM.external,
        dst: "127.0.2.5",
        port: 80,
        expect: ["10.244.1.2:8080"],
      },
      {
        name: "node-1: outside to external IP",
        src: FROM.external,
        dst: "192.0.2.10",
        port: 80,
        expect: ["10.244.1.2:8080"],
      },
      { name: "node-1: pod to NodePort", src: FROM.localPod, dst: "127.0.1.1", port: 30080, expect: both },
      { name: "node-1: pod to LB IP", src: FROM.localPod, dst: "127.0.2.5", port: 80, expect: both },
      { name: "node-1: node to LB IP", src: FROM.host, dst: "127.0.2.5", port: 80, expect: both, snat: true },
      { name: "node-1: pod to ClusterIP", src: FROM.localPod, dst: "10.96.0.80", port: 80, expect: both },
    ]);
    runFlows(rulesFor(NODE(3), services, slices), [
      {
        name: "node-3: outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.3",
        port: 30080,
        expect: "drop",
      },
      { name: "node-3: outside to LB IP", src: FROM.external, dst: "127.0.2.5", port: 80, expect: "drop" },
      {
        name: "node-3: outside to external IP",
        src: FROM.external,
        dst: "192.0.2.10",
        port: 80,
        expect: "drop",
      },
      {
        name: "node-3: pod to NodePort",
        src: { ...FROM.localPod, ip: "10.244.3.50" },
        dst: "127.0.1.3",
        port: 30080,
        expect: both,
      },
      {
        name: "node-3: pod from node-1 to NodePort",
        src: { ...FROM.remotePod, ip: "10.244.1.50" },
        dst: "127.0.1.3",
        port: 30080,
        expect: both,
      },
      {
        name: "node-3: node to NodePort",
        src: { ...FROM.host, ip: "127.0.1.3" },
        dst: "127.0.1.3",
        port: 30080,
        expect: both,
        snat: true,
      },
    ]);
  });

  it("trace: with both policies Local, pods reach a NodePort through the Cluster-policy endpoints", () => {
    const { services, slices } = web((s) => {
      s.spec.externalTrafficPolicy = "Local";
      s.spec.internalTrafficPolicy = "Local";
    });
    runFlows(rulesFor(NODE(3), services, slices), [
      {
        name: "pod to ClusterIP",
        src: { ...FROM.localPod, ip: "10.244.3.50" },
        dst: "10.96.0.80",
        port: 80,
        expect: "drop",
      },
      {
        name: "pod to NodePort",
        src: { ...FROM.localPod, ip: "10.244.3.50" },
        dst: "127.0.1.3",
        port: 30080,
        expect: ["10.244.1.2:8080", "10.244.2.2:8080"],
      },
      { name: "outside to NodePort", src: FROM.external, dst: "127.0.1.3", port: 30080, expect: "drop" },
    ]);
  });

  it("trace: with no ready endpoint, connections land on serving terminating ones", () => {
    const eps = [
      endpoint("10.244.1.2", "node-1", (e) => terminating(e)),
      endpoint("10.244.2.2", "node-2", (e) => terminating(e, false)),
      endpoint("10.244.3.2", "node-3", (e) => terminating(e)),
    ];
    const { services, slices } = web(() => {}, eps);
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "pod to ClusterIP",
        src: FROM.localPod,
        dst: "10.96.0.80",
        port: 80,
        expect: ["10.244.1.2:8080", "10.244.3.2:8080"],
      },
      {
        name: "outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.1",
        port: 30080,
        expect: ["10.244.1.2:8080", "10.244.3.2:8080"],
        snat: true,
      },
    ]);
  });

  it("trace: a Local-policy node whose only endpoint is terminating still serves external traffic with it", () => {
    const eps = [endpoint("10.244.1.2", "node-1", (e) => terminating(e)), endpoint("10.244.2.2", "node-2")];
    const { services, slices } = web((s) => (s.spec.externalTrafficPolicy = "Local"), eps);
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "outside to NodePort",
        src: FROM.external,
        dst: "127.0.1.1",
        port: 30080,
        expect: ["10.244.1.2:8080"],
      },
      {
        name: "pod to ClusterIP",
        src: FROM.localPod,
        dst: "10.96.0.80",
        port: 80,
        expect: ["10.244.2.2:8080"],
      },
    ]);
  });
});

describe("trace: masquerade", () => {
  it("trace: a pod whose only endpoint is itself is hairpinned (masqueraded)", () => {
    const { services, slices } = web(() => {}, [endpoint("10.244.1.2", "node-1")]);
    const self = { ip: "10.244.1.2", port: 40000, origin: "local-pod" } satisfies FlowSource;
    runFlows(rulesFor(NODE(1), services, slices), [
      {
        name: "pod to itself through the ClusterIP",
        src: self,
        dst: "10.96.0.80",
        port: 80,
        expect: ["10.244.1.2:8080"],
        snat: true,
      },
    ]);
  });

  it("trace: snatFor masquerades only the endpoint that is the source itself", () => {
    const { services, slices } = web(() => {});
    const rules = rulesFor(NODE(1), services, slices);
    const self = { ip: "10.244.1.2", port: 40000, origin: "local-pod" } satisfies FlowSource;
    const v = traceFlow(rules, self, "10.96.0.80", 80, "TCP");
    expect(v.kind === "forward" && v.snat).toBe(false);
    if (v.kind !== "forward") throw new Error("expected a forward");
    expect(v.candidates.map((ep) => snatFor(v, self, ep))).toEqual([true, false]);
    const ext = traceFlow(rules, FROM.external, "127.0.1.1", 30080, "TCP");
    if (ext.kind !== "forward") throw new Error("expected a forward");
    expect(ext.candidates.map((ep) => snatFor(ext, FROM.external, ep))).toEqual([true, true]);
    expect(snatFor({ kind: "no-rule" }, self, v.candidates[0]!)).toBe(false);
  });
});
