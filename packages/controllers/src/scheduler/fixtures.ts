/** Test fixtures for the scheduler and the DaemonSet controller: defaults in one place, changes by mutator. */
import type { KObject } from "../client.ts";

/** A Ready node with 4 cpu, 8Gi and 110 pods allocatable. */
export function makeNode(name: string, mutate: (n: KObject) => void = () => {}): KObject {
  const n: KObject = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" },
    },
    spec: {},
    status: {
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True" }],
    },
  };
  mutate(n);
  return n;
}

/** A pending pod with one container and no requests. */
export function makePod(namespace: string, name: string, mutate: (p: KObject) => void = () => {}): KObject {
  const p: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, creationTimestamp: "2025-01-01T00:00:00Z" },
    spec: { schedulerName: "default-scheduler", containers: [{ name: "c", image: "nginx" }] },
    status: { phase: "Pending" },
  };
  mutate(p);
  return p;
}
