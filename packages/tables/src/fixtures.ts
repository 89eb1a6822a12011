// Test fixtures: each make* builds a plain-JSON object with the defaults a stored object has, and
// the mutator changes only what a test is about. Not exported from index.ts.

import type {
  CoreV1Event,
  EventsV1Event,
  V1ConfigMap,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
  V1EndpointSlice,
  V1Endpoints,
  V1Lease,
  V1Namespace,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Plain } from "./types.ts";

/** The clock every test prints with. */
export const NOW = new Date("2024-05-01T12:00:00Z");

/** A timestamp `ms` before NOW, as the JSON string the store holds. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(".000Z", "Z");
}

/** Milliseconds in a second, minute, hour and day. */
export const S = 1000;
/** See S. */
export const M = 60 * S;
/** See S. */
export const H = 60 * M;
/** See S. */
export const D = 24 * H;

/** Every fixture was created five minutes before NOW, so AGE reads "5m". */
export const CREATED = ago(5 * M);

type Mutator<T> = (obj: T) => void;

function meta(name: string, namespace?: string) {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: `uid-${name}`,
    resourceVersion: "42",
    creationTimestamp: CREATED,
  };
}

function make<T>(obj: T, mutate?: Mutator<T>): T {
  mutate?.(obj);
  return obj;
}

/** Fixture pod type: spec and status are always present so mutators need no null checks. */
export type TestPod = Plain<V1Pod> & {
  spec: NonNullable<Plain<V1Pod>["spec"]>;
  status: NonNullable<Plain<V1Pod>["status"]>;
};

/** A scheduled, running, ready pod with one container "app". */
export function makePod(namespace: string, name: string, mutate?: Mutator<TestPod>): TestPod {
  return make<TestPod>(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(name, namespace),
      spec: { nodeName: "node-1", containers: [{ name: "app", image: "nginx:1.27" }] },
      status: {
        phase: "Running",
        podIP: "10.244.1.5",
        podIPs: [{ ip: "10.244.1.5" }],
        conditions: [
          { type: "Initialized", status: "True" },
          { type: "Ready", status: "True" },
          { type: "ContainersReady", status: "True" },
          { type: "PodScheduled", status: "True" },
        ],
        containerStatuses: [
          {
            name: "app",
            image: "nginx:1.27",
            imageID: "",
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: ago(4 * M) } },
          },
        ],
      },
    },
    mutate,
  );
}

/** Fixture service type with spec present. */
export type TestService = Plain<V1Service> & { spec: NonNullable<Plain<V1Service>["spec"]> };

/** A ClusterIP service on 10.96.0.41 port 80/TCP selecting app=web. */
export function makeService(namespace: string, name: string, mutate?: Mutator<TestService>): TestService {
  return make<TestService>(
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(name, namespace),
      spec: {
        type: "ClusterIP",
        clusterIP: "10.96.0.41",
        clusterIPs: ["10.96.0.41"],
        ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
        selector: { app: "web" },
      },
      status: { loadBalancer: {} },
    },
    mutate,
  );
}

/** An Endpoints object with no subsets. */
export function makeEndpoints(namespace: string, name: string, mutate?: Mutator<Plain<V1Endpoints>>) {
  return make<Plain<V1Endpoints>>(
    { apiVersion: "v1", kind: "Endpoints", metadata: meta(name, namespace) },
    mutate,
  );
}

/** An IPv4 EndpointSlice with no ports and no endpoints. */
export function makeEndpointSlice(namespace: string, name: string, mutate?: Mutator<Plain<V1EndpointSlice>>) {
  return make<Plain<V1EndpointSlice>>(
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: meta(name, namespace),
      addressType: "IPv4",
    },
    mutate,
  );
}

/** Fixture node type with spec and status present. */
export type TestNode = Plain<V1Node> & {
  spec: NonNullable<Plain<V1Node>["spec"]>;
  status: NonNullable<Plain<V1Node>["status"]>;
  metadata: NonNullable<Plain<V1Node>["metadata"]>;
};

/** A Ready worker node reporting kubelet v1.32.0 with an InternalIP. */
export function makeNode(name: string, mutate?: Mutator<TestNode>): TestNode {
  return make<TestNode>(
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { ...meta(name), labels: { "kubernetes.io/hostname": name } },
      spec: {},
      status: {
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
        addresses: [
          { type: "InternalIP", address: "172.18.0.2" },
          { type: "Hostname", address: name },
        ],
        nodeInfo: {
          kubeletVersion: "v1.32.0",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          kernelVersion: "6.8.0-45-generic",
          containerRuntimeVersion: "containerd://1.7.18",
        },
      },
    },
    mutate,
  );
}

/** A core/v1 Normal Scheduled event about pod p1, seen once a minute ago. */
export function makeEvent(namespace: string, name: string, mutate?: Mutator<Plain<CoreV1Event>>) {
  return make<Plain<CoreV1Event>>(
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: meta(name, namespace),
      involvedObject: { kind: "Pod", namespace, name: "p1", apiVersion: "v1" },
      reason: "Scheduled",
      message: "Successfully assigned ns1/p1 to node-1",
      source: { component: "default-scheduler" },
      firstTimestamp: ago(1 * M),
      lastTimestamp: ago(1 * M),
      count: 1,
      type: "Normal",
    },
    mutate,
  );
}

/** An events.k8s.io/v1 Normal Pulled event about pod p1, observed a minute ago. */
export function makeEventsV1Event(namespace: string, name: string, mutate?: Mutator<Plain<EventsV1Event>>) {
  return make<Plain<EventsV1Event>>(
    {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: meta(name, namespace),
      eventTime: ago(1 * M),
      regarding: { kind: "Pod", namespace, name: "p1", apiVersion: "v1", fieldPath: "spec.containers{app}" },
      reason: "Pulled",
      note: "Container image already present on machine",
      type: "Normal",
      action: "Pulling",
      reportingController: "kubelet",
      reportingInstance: "node-1",
    },
    mutate,
  );
}

/** An Active namespace. */
export function makeNamespace(name: string, mutate?: Mutator<Plain<V1Namespace>>) {
  return make<Plain<V1Namespace>>(
    { apiVersion: "v1", kind: "Namespace", metadata: meta(name), status: { phase: "Active" } },
    mutate,
  );
}

/** A ConfigMap with no data. */
export function makeConfigMap(namespace: string, name: string, mutate?: Mutator<Plain<V1ConfigMap>>) {
  return make<Plain<V1ConfigMap>>(
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(name, namespace) },
    mutate,
  );
}

/** An Opaque Secret with no data. */
export function makeSecret(namespace: string, name: string, mutate?: Mutator<Plain<V1Secret>>) {
  return make<Plain<V1Secret>>(
    { apiVersion: "v1", kind: "Secret", metadata: meta(name, namespace), type: "Opaque" },
    mutate,
  );
}

/** A ServiceAccount with no secrets. */
export function makeServiceAccount(
  namespace: string,
  name: string,
  mutate?: Mutator<Plain<V1ServiceAccount>>,
) {
  return make<Plain<V1ServiceAccount>>(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(name, namespace) },
    mutate,
  );
}

/** A node heartbeat Lease held by its node. */
export function makeLease(namespace: string, name: string, mutate?: Mutator<Plain<V1Lease>>) {
  return make<Plain<V1Lease>>(
    {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: meta(name, namespace),
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: ago(5 * S) },
    },
    mutate,
  );
}

const redisTemplate = {
  metadata: { labels: { app: "redis", role: "Logstorage" } },
  spec: { containers: [{ name: "redis", image: "redis:7" }] },
};

/** Fixture deployment type with spec and status present. */
export type TestDeployment = Plain<V1Deployment> & {
  spec: NonNullable<Plain<V1Deployment>["spec"]>;
  status: NonNullable<Plain<V1Deployment>["status"]>;
};

/** The walkthrough's redis Deployment: one replica, ready. */
export function makeDeployment(
  namespace: string,
  name: string,
  mutate?: Mutator<TestDeployment>,
): TestDeployment {
  return make<TestDeployment>(
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(name, namespace),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "redis", role: "Logstorage" } },
        template: structuredClone(redisTemplate),
      },
      status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
    },
    mutate,
  );
}

/** Fixture replicaset type with spec and status present. */
export type TestReplicaSet = Plain<V1ReplicaSet> & {
  spec: NonNullable<Plain<V1ReplicaSet>["spec"]>;
  status: NonNullable<Plain<V1ReplicaSet>["status"]>;
};

/** The redis Deployment's ReplicaSet: one replica, ready. */
export function makeReplicaSet(
  namespace: string,
  name: string,
  mutate?: Mutator<TestReplicaSet>,
): TestReplicaSet {
  return make<TestReplicaSet>(
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta(name, namespace),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "redis", "pod-template-hash": "7d4f8b9c6d", role: "Logstorage" } },
        template: structuredClone(redisTemplate),
      },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    },
    mutate,
  );
}

/** Fixture daemonset type with spec and status present. */
export type TestDaemonSet = Plain<V1DaemonSet> & {
  spec: NonNullable<Plain<V1DaemonSet>["spec"]>;
  status: NonNullable<Plain<V1DaemonSet>["status"]>;
};

/** The walkthrough's nginx DaemonSet, scheduled and ready on three nodes. */
export function makeDaemonSet(
  namespace: string,
  name: string,
  mutate?: Mutator<TestDaemonSet>,
): TestDaemonSet {
  return make<TestDaemonSet>(
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta(name, namespace),
      spec: {
        selector: { matchLabels: { app: "nginx", release: "www" } },
        template: {
          metadata: { labels: { app: "nginx", release: "www" } },
          spec: {
            containers: [
              { name: "nginx", image: "nginx:1.27", ports: [{ name: "http", containerPort: 80 }] },
            ],
          },
        },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 3,
        updatedNumberScheduled: 3,
        numberAvailable: 3,
        numberMisscheduled: 0,
      },
    },
    mutate,
  );
}

/** Revision 1 of the nginx-linuxea DaemonSet. */
export function makeControllerRevision(
  namespace: string,
  name: string,
  mutate?: Mutator<Plain<V1ControllerRevision>>,
) {
  return make<Plain<V1ControllerRevision>>(
    {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        ...meta(name, namespace),
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "DaemonSet", name: "nginx-linuxea", uid: "u1", controller: true },
        ],
      },
      revision: 1,
    },
    mutate,
  );
}
