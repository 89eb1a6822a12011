/**
 * Test fixtures for the Endpoints and EndpointSlice controllers: objects as the API returns them,
 * with defaults in one place and a mutator for what a test changes
 * (`makePod("ns1", "p1", (p) => { p.status.podIP = "10.244.1.9" })`).
 */
import type { KObject } from "../client.ts";

let seq = 0;

/** A ClusterIP Service selecting app=<name> on port 80 -> 8080 (TCP). */
export function makeService(namespace: string, name: string, mutate?: (svc: KObject) => void): KObject {
  const svc: KObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      uid: `uid-svc-${namespace}-${name}`,
      resourceVersion: String(++seq),
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.50",
      clusterIPs: ["10.96.0.50"],
      ipFamilies: ["IPv4"],
      selector: { app: name },
      ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
    },
  };
  mutate?.(svc);
  return svc;
}

/**
 * A Running, Ready pod labelled app=web on node-1 with IP 10.244.1.<n>, one container serving
 * 8080 named "http".
 */
export function makePod(namespace: string, name: string, mutate?: (pod: KObject) => void): KObject {
  const n = ++seq;
  const ip = `10.244.1.${(n % 250) + 2}`;
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      uid: `uid-pod-${namespace}-${name}`,
      resourceVersion: String(n),
      labels: { app: "web" },
    },
    spec: {
      nodeName: "node-1",
      containers: [
        { name: "app", image: "nginx", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] },
      ],
    },
    status: {
      phase: "Running",
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:01:00Z" }],
    },
  };
  mutate?.(pod);
  return pod;
}

/** Sets a pod's Ready condition (and its lastTransitionTime). */
export function setReady(pod: KObject, ready: boolean, at = "2026-01-01T00:02:00Z"): void {
  pod["status"]["conditions"] = [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: at }];
}

/** A Node, with the labels given. */
export function makeNode(name: string, labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
  };
}
