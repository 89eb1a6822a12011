/**
 * Test fixtures, built with a mutator so each test shows only what differs from the defaults here.
 * Not exported from the package.
 */
import type {
  ConfigMap,
  Endpoints,
  EndpointSlice,
  Lease,
  Namespace,
  Node,
  Pod,
  Secret,
  Service,
  Workload,
} from "./types.ts";

type Mutator<T> = (o: T) => void;

function build<T>(base: T, mutate?: Mutator<T>): T {
  mutate?.(base);
  return base;
}

/** A ClusterIP Service with one TCP port 80 -> 8080 selecting app=web. */
export function makeService(
  ns: string,
  name: string,
  mutate?: Mutator<Service & { spec: NonNullable<Service["spec"]> }>,
): Service & { spec: NonNullable<Service["spec"]> } {
  return build(
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: ns },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    mutate,
  );
}

/** A Pod with one nginx container. */
export function makePod(
  ns: string,
  name: string,
  mutate?: Mutator<Pod & { spec: NonNullable<Pod["spec"]> }>,
) {
  return build<Pod & { spec: NonNullable<Pod["spec"]> }>(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: ns, labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }] }] },
    },
    mutate,
  );
}

/** A workload (Deployment, ReplicaSet or DaemonSet) selecting and labelling app=web. */
export function makeWorkload(
  kind: "Deployment" | "ReplicaSet" | "DaemonSet",
  ns: string,
  name: string,
  mutate?: Mutator<Workload & { spec: NonNullable<Workload["spec"]> }>,
) {
  return build<Workload & { spec: NonNullable<Workload["spec"]> }>(
    {
      apiVersion: "apps/v1",
      kind,
      metadata: { name, namespace: ns },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx" }] },
        },
      },
    },
    mutate,
  );
}

/** A Namespace. */
export function makeNamespace(name: string, mutate?: Mutator<Namespace>): Namespace {
  return build<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, mutate);
}

/** A Node with capacity. */
export function makeNode(name: string, mutate?: Mutator<Node>): Node {
  return build<Node>(
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name },
      status: { capacity: { cpu: "2", memory: "4Gi", pods: "110" } },
    },
    mutate,
  );
}

/** Endpoints with one ready address and one port. */
export function makeEndpoints(ns: string, name: string, mutate?: Mutator<Endpoints>): Endpoints {
  return build<Endpoints>(
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name, namespace: ns },
      subsets: [{ addresses: [{ ip: "10.244.1.5" }], ports: [{ port: 8080 }] }],
    },
    mutate,
  );
}

/** An IPv4 EndpointSlice with one endpoint and one port. */
export function makeEndpointSlice(ns: string, name: string, mutate?: Mutator<EndpointSlice>): EndpointSlice {
  return build<EndpointSlice>(
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name, namespace: ns },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true } }],
      ports: [{ name: "http", port: 8080 }],
    },
    mutate,
  );
}

/** A ConfigMap with one key. */
export function makeConfigMap(ns: string, name: string, mutate?: Mutator<ConfigMap>): ConfigMap {
  return build<ConfigMap>(
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { key: "v" } },
    mutate,
  );
}

/** An Opaque Secret with one key. */
export function makeSecret(ns: string, name: string, mutate?: Mutator<Secret>): Secret {
  return build<Secret>(
    { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, data: { key: "dg==" } },
    mutate,
  );
}

/** A node Lease. */
export function makeLease(ns: string, name: string, mutate?: Mutator<Lease>): Lease {
  return build<Lease>(
    {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: ns },
      spec: { holderIdentity: name, leaseDurationSeconds: 40 },
    },
    mutate,
  );
}
