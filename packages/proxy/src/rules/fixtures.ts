/**
 * Test fixtures for rule generation, after kube-proxy's makeTestService and
 * makeTestEndpointSlice: defaults live here, and each test shows only what differs
 * (`makeService("ns1", "svc1", (s) => { s.spec.clusterIP = "10.96.0.41" })`).
 */
import type { V1Endpoint, V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { NodeInfo, ProxyConfig } from "../types.ts";

/** A Service with a spec and status that mutators can write without null checks. */
export type TestService = V1Service & {
  metadata: NonNullable<V1Service["metadata"]>;
  spec: NonNullable<V1Service["spec"]>;
  status: NonNullable<V1Service["status"]>;
};

/** An EndpointSlice whose metadata, ports and endpoints exist. */
export type TestEndpointSlice = V1EndpointSlice & {
  metadata: NonNullable<V1EndpointSlice["metadata"]>;
  ports: NonNullable<V1EndpointSlice["ports"]>;
  endpoints: V1Endpoint[];
};

/** node-1 at 127.0.1.1, the node the tests' rules are computed for. */
export const NODE_1: NodeInfo = { name: "node-1", ip: "127.0.1.1" };

/** iptables mode with the default periods. */
export const TEST_CONFIG: ProxyConfig = {
  mode: "iptables",
  ipvsScheduler: "rr",
  clusterCIDR: "10.244.0.0/16",
  minSyncPeriodMs: 1_000,
  syncPeriodMs: 30_000,
};

/** A ClusterIP Service with no ports and no IP yet: mutators add what the test is about. */
export function makeService(namespace: string, name: string, mutate?: (s: TestService) => void): TestService {
  const svc: TestService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace, name },
    spec: { type: "ClusterIP", sessionAffinity: "None", ports: [] },
    status: {},
  };
  mutate?.(svc);
  return svc;
}

/** An IPv4 EndpointSlice "<svc>-<n>" of Service svcName, with no ports or endpoints yet. */
export function makeEndpointSlice(
  namespace: string,
  svcName: string,
  n: number,
  mutate?: (s: TestEndpointSlice) => void,
): TestEndpointSlice {
  const slice: TestEndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      namespace,
      name: `${svcName}-${n}`,
      labels: { "kubernetes.io/service-name": svcName },
    },
    addressType: "IPv4",
    ports: [],
    endpoints: [],
  };
  mutate?.(slice);
  return slice;
}

/** A ready, serving, not terminating endpoint for ip on node. */
export function endpoint(ip: string, node: string, mutate?: (e: V1Endpoint) => void): V1Endpoint {
  const e: V1Endpoint = {
    addresses: [ip],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: node,
  };
  mutate?.(e);
  return e;
}

/** Marks an endpoint terminating; it keeps serving unless serving is false. */
export function terminating(e: V1Endpoint, serving = true): void {
  e.conditions = { ready: false, serving, terminating: true };
}

/**
 * The walkthrough's objects as the controllers would write them: the kubernetes Service, redis
 * (ClusterIP 10.96.65.65, one pod on node-2), linuxea (NodePort 10.96.66.66:80 -> 31180, one
 * nginx pod on each of node-1..3) and the headless none-linuxea.
 */
export function walkthrough(sessionAffinity: "None" | "ClientIP"): {
  services: V1Service[];
  slices: V1EndpointSlice[];
} {
  const services: V1Service[] = [
    makeService("default", "kubernetes", (s) => {
      s.spec.clusterIP = "10.96.0.1";
      s.spec.clusterIPs = ["10.96.0.1"];
      s.spec.ports = [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }];
    }),
    makeService("default", "redis", (s) => {
      s.spec.clusterIP = "10.96.65.65";
      s.spec.clusterIPs = ["10.96.65.65"];
      s.spec.selector = { app: "redis", role: "Logstorage" };
      s.spec.ports = [{ port: 6379, protocol: "TCP", targetPort: 6379 }];
    }),
    makeService("default", "linuxea", (s) => {
      s.spec.type = "NodePort";
      s.spec.clusterIP = "10.96.66.66";
      s.spec.clusterIPs = ["10.96.66.66"];
      s.spec.selector = { app: "nginx", release: "www" };
      s.spec.externalTrafficPolicy = "Cluster";
      s.spec.ports = [{ port: 80, protocol: "TCP", targetPort: 80, nodePort: 31180 }];
      s.spec.sessionAffinity = sessionAffinity;
      if (sessionAffinity === "ClientIP")
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10_800 } };
    }),
    makeService("default", "none-linuxea", (s) => {
      s.spec.clusterIP = "None";
      s.spec.clusterIPs = ["None"];
      s.spec.selector = { app: "nginx", release: "www" };
      s.spec.ports = [{ port: 80, protocol: "TCP", targetPort: 80 }];
    }),
  ];
  const pod = (name: string) => (e: { targetRef?: { kind?: string; namespace?: string; name?: string } }) => {
    e.targetRef = { kind: "Pod", namespace: "default", name };
  };
  const nginx = [
    endpoint("10.244.1.2", "node-1", pod("nginx-linuxea-aaaaa")),
    endpoint("10.244.2.2", "node-2", pod("nginx-linuxea-bbbbb")),
    endpoint("10.244.3.2", "node-3", pod("nginx-linuxea-ccccc")),
  ];
  const slices: V1EndpointSlice[] = [
    makeEndpointSlice("default", "kubernetes", 0, (s) => {
      s.metadata.name = "kubernetes";
      s.ports = [{ name: "https", port: 6443, protocol: "TCP" }];
      s.endpoints = [{ addresses: ["127.0.0.1"], conditions: { ready: true } }];
    }),
    makeEndpointSlice("default", "redis", 1, (s) => {
      s.ports = [{ name: "", port: 6379, protocol: "TCP" }];
      s.endpoints = [endpoint("10.244.2.3", "node-2", pod("redis-5b4d8f9c7-x2x9z"))];
    }),
    makeEndpointSlice("default", "linuxea", 1, (s) => {
      s.ports = [{ name: "", port: 80, protocol: "TCP" }];
      s.endpoints = nginx;
    }),
    makeEndpointSlice("default", "none-linuxea", 1, (s) => {
      s.ports = [{ name: "", port: 80, protocol: "TCP" }];
      s.endpoints = nginx;
    }),
  ];
  return { services, slices };
}
