// Patches the way kubectl sends them, against live objects of the kinds kemu serves, with
// the patch metadata of KNOWN_PATCH_META. The expected results were checked against
// kubectl 1.32's own implementation (`kubectl patch --local --type strategic`).

import { describe } from "vitest";
import { makeDeployment, makeNode, makePod, makeService } from "./fixtures.ts";
import { knownPatchSchema } from "./known.ts";
import { applyCases } from "./testing.ts";

const deployment = knownPatchSchema("io.k8s.api.apps.v1.Deployment");
const service = knownPatchSchema("io.k8s.api.core.v1.Service");
const pod = knownPatchSchema("io.k8s.api.core.v1.Pod");
const node = knownPatchSchema("io.k8s.api.core.v1.Node");
const namespace = knownPatchSchema("io.k8s.api.core.v1.Namespace");

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

describe("deployment", () => {
  applyCases(
    "deployment apply",
    [
      {
        name: "a new image merges into the container by name",
        original: makeDeployment(),
        patch: {
          metadata: { annotations: { [LAST_APPLIED]: "{}" } },
          spec: {
            template: {
              spec: {
                "$setElementOrder/containers": [{ name: "web" }],
                containers: [{ name: "web", image: "nginx:1.26" }],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.metadata.annotations[LAST_APPLIED] = "{}";
          d.spec.template.spec.containers[0].image = "nginx:1.26";
        }),
      },
      {
        name: "env vars merge by name: one added, one removed",
        original: makeDeployment(),
        patch: {
          spec: {
            template: {
              spec: {
                "$setElementOrder/containers": [{ name: "web" }],
                containers: [
                  {
                    name: "web",
                    "$setElementOrder/env": [{ name: "MODE" }, { name: "REGION" }],
                    env: [
                      { name: "REGION", value: "eu" },
                      { name: "LOG_LEVEL", $patch: "delete" },
                    ],
                  },
                ],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers[0].env = [
            { name: "MODE", value: "prod" },
            { name: "REGION", value: "eu" },
          ];
        }),
      },
      {
        name: "ports merge by containerPort",
        original: makeDeployment(),
        patch: {
          spec: {
            template: {
              spec: {
                "$setElementOrder/containers": [{ name: "web" }],
                containers: [
                  {
                    name: "web",
                    "$setElementOrder/ports": [{ containerPort: 80 }, { containerPort: 443 }],
                    ports: [{ containerPort: 443, name: "https" }],
                  },
                ],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers[0].ports = [
            { containerPort: 80, protocol: "TCP" },
            { containerPort: 443, name: "https" },
          ];
        }),
      },
      {
        name: "volumeMounts merge by mountPath",
        original: makeDeployment(),
        patch: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: "web", volumeMounts: [{ mountPath: "/data", name: "data", readOnly: true }] },
                ],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers[0].volumeMounts = [
            { name: "data", mountPath: "/data", readOnly: true },
          ];
        }),
      },
      {
        name: "a sidecar container is appended where $setElementOrder says",
        original: makeDeployment(),
        patch: {
          spec: {
            template: {
              spec: {
                "$setElementOrder/containers": [{ name: "web" }, { name: "sidecar" }],
                containers: [{ name: "sidecar", image: "busybox:1.36", args: ["sleep", "3600"] }],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers.push({
            name: "sidecar",
            image: "busybox:1.36",
            args: ["sleep", "3600"],
          });
        }),
      },
      {
        name: "a container removed from the config is deleted",
        original: makeDeployment((d) => {
          d.spec.template.spec.containers.push({ name: "sidecar", image: "busybox:1.36" });
        }),
        patch: {
          spec: {
            template: {
              spec: {
                "$setElementOrder/containers": [{ name: "web" }],
                containers: [{ name: "sidecar", $patch: "delete" }],
              },
            },
          },
        },
        expected: makeDeployment(),
      },
      {
        name: "$retainKeys on strategy drops rollingUpdate when switching to Recreate",
        original: makeDeployment(),
        patch: { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } },
        expected: makeDeployment((d) => {
          d.spec.strategy = { type: "Recreate" };
        }),
      },
      {
        name: "$retainKeys on a volume switches its source",
        original: makeDeployment(),
        patch: {
          spec: {
            template: {
              spec: {
                "$setElementOrder/volumes": [{ name: "data" }],
                volumes: [
                  { $retainKeys: ["configMap", "name"], name: "data", configMap: { name: "web-config" } },
                ],
              },
            },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.volumes = [{ name: "data", configMap: { name: "web-config" } }];
        }),
      },
      {
        name: "a template label added and a selector-unrelated one removed",
        original: makeDeployment((d) => {
          d.spec.template.metadata.labels.old = "x";
        }),
        patch: { spec: { template: { metadata: { labels: { old: null, version: "v2" } } } } },
        expected: makeDeployment((d) => {
          d.spec.template.metadata.labels.version = "v2";
        }),
      },
    ],
    deployment,
  );

  applyCases(
    "deployment patch",
    [
      {
        name: "kubectl scale-style replicas patch",
        original: makeDeployment(),
        patch: { spec: { replicas: 5 } },
        expected: makeDeployment((d) => {
          d.spec.replicas = 5;
        }),
      },
      {
        name: "a container without a $setElementOrder lands before the live ones",
        original: makeDeployment(),
        patch: { spec: { template: { spec: { containers: [{ name: "sidecar", image: "busybox:1.36" }] } } } },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers.unshift({ name: "sidecar", image: "busybox:1.36" });
        }),
      },
      {
        name: "$patch: replace makes the patch list the whole container list",
        original: makeDeployment(),
        patch: {
          spec: {
            template: { spec: { containers: [{ $patch: "replace" }, { name: "api", image: "api:2" }] } },
          },
        },
        expected: makeDeployment((d) => {
          d.spec.template.spec.containers = [{ name: "api", image: "api:2" }];
        }),
      },
      {
        name: "null removes container resources",
        original: makeDeployment(),
        patch: { spec: { template: { spec: { containers: [{ name: "web", resources: null }] } } } },
        expected: makeDeployment((d) => {
          delete d.spec.template.spec.containers[0].resources;
        }),
      },
      {
        name: "a status condition merges by type (status subresource)",
        original: makeDeployment(),
        patch: {
          status: {
            conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }],
            observedGeneration: 2,
          },
        },
        expected: makeDeployment((d) => {
          d.status.observedGeneration = 2;
          d.status.conditions[1].reason = "ReplicaSetUpdated";
        }),
      },
    ],
    deployment,
  );
});

describe("service", () => {
  applyCases(
    "service patch",
    [
      {
        name: "kubectl patch svc -p sessionAffinity ClientIP",
        original: makeService(),
        patch: { spec: { sessionAffinity: "ClientIP" } },
        expected: makeService((s) => {
          s.spec.sessionAffinity = "ClientIP";
        }),
      },
      {
        name: "session affinity with its timeout",
        original: makeService(),
        patch: {
          spec: { sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } },
        },
        expected: makeService((s) => {
          s.spec.sessionAffinity = "ClientIP";
          s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 60 } };
        }),
      },
      {
        name: "a port merges by port number and keeps its nodePort",
        original: makeService(),
        patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
        expected: makeService((s) => {
          s.spec.ports[0].targetPort = 9090;
        }),
      },
      {
        name: "a new port without $setElementOrder lands first",
        original: makeService(),
        patch: { spec: { ports: [{ name: "https", port: 443, targetPort: 8443 }] } },
        expected: makeService((s) => {
          s.spec.ports.unshift({ name: "https", port: 443, targetPort: 8443 });
        }),
      },
      {
        name: "kubectl apply adds a port after the existing one",
        original: makeService(),
        patch: {
          spec: {
            "$setElementOrder/ports": [{ port: 80 }, { port: 443 }],
            ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 8443 }],
          },
        },
        expected: makeService((s) => {
          s.spec.ports.push({ name: "https", port: 443, protocol: "TCP", targetPort: 8443 });
        }),
      },
      {
        name: "$patch: delete removes a port",
        original: makeService((s) => {
          s.spec.ports.push({ name: "https", protocol: "TCP", port: 443, targetPort: 8443, nodePort: 30443 });
        }),
        patch: {
          spec: { "$setElementOrder/ports": [{ port: 443 }], ports: [{ port: 80, $patch: "delete" }] },
        },
        expected: makeService((s) => {
          s.spec.ports = [{ name: "https", protocol: "TCP", port: 443, targetPort: 8443, nodePort: 30443 }];
        }),
      },
      {
        name: "type switch and an externalIPs list, which is replaced",
        original: makeService((s) => {
          s.spec.externalIPs = ["192.0.2.1"];
        }),
        patch: { spec: { type: "LoadBalancer", externalIPs: ["192.0.2.7"] } },
        expected: makeService((s) => {
          s.spec.type = "LoadBalancer";
          s.spec.externalIPs = ["192.0.2.7"];
        }),
      },
      {
        name: "a selector map merges key by key",
        original: makeService(),
        patch: { spec: { selector: { tier: "frontend", app: null } } },
        expected: makeService((s) => {
          s.spec.selector = { tier: "frontend" };
        }),
      },
    ],
    service,
  );
});

describe("metadata", () => {
  applyCases(
    "metadata",
    [
      {
        name: "labels are added, changed and removed",
        original: makePod(),
        patch: { metadata: { labels: { app: "api", "pod-template-hash": null, env: "prod" } } },
        expected: makePod((p) => {
          p.metadata.labels = { app: "api", env: "prod" };
        }),
      },
      {
        name: "annotations appear and null removes one",
        original: makePod((p) => {
          p.metadata.annotations = { a: "1", b: "2" };
        }),
        patch: { metadata: { annotations: { b: null, c: "3" } } },
        expected: makePod((p) => {
          p.metadata.annotations = { a: "1", c: "3" };
        }),
      },
      {
        name: "annotations are created when missing",
        original: makePod(),
        patch: { metadata: { annotations: { note: "hi", gone: null } } },
        expected: makePod((p) => {
          p.metadata.annotations = { note: "hi" };
        }),
      },
      {
        name: "$patch: replace on labels replaces the whole map",
        original: makePod(),
        patch: { metadata: { labels: { $patch: "replace", only: "this" } } },
        expected: makePod((p) => {
          p.metadata.labels = { only: "this" };
        }),
      },
      {
        name: "a finalizer added by kubectl patch goes first",
        original: makePod(),
        patch: { metadata: { finalizers: ["example.com/second"] } },
        expected: makePod((p) => {
          p.metadata.finalizers = ["example.com/second", "example.com/cleanup"];
        }),
      },
      {
        name: "a finalizer already present is not duplicated",
        original: makePod(),
        patch: { metadata: { finalizers: ["example.com/cleanup"] } },
        expected: makePod(),
      },
      {
        name: "$deleteFromPrimitiveList removes a finalizer",
        original: makePod((p) => {
          p.metadata.finalizers.push("example.com/second");
        }),
        patch: { metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/cleanup"] } },
        expected: makePod((p) => {
          p.metadata.finalizers = ["example.com/second"];
        }),
      },
      {
        name: "kubectl apply adds a finalizer in the configured order",
        original: makePod(),
        patch: {
          metadata: {
            "$setElementOrder/finalizers": ["example.com/cleanup", "example.com/second"],
            finalizers: ["example.com/second"],
          },
        },
        expected: makePod((p) => {
          p.metadata.finalizers = ["example.com/cleanup", "example.com/second"];
        }),
      },
      {
        name: "finalizers: null clears the list",
        original: makePod(),
        patch: { metadata: { finalizers: null } },
        expected: makePod((p) => {
          delete p.metadata.finalizers;
        }),
      },
      {
        name: "ownerReferences merge by uid",
        original: makePod(),
        patch: {
          metadata: {
            ownerReferences: [
              { uid: "rs-uid-1", blockOwnerDeletion: false },
              { apiVersion: "v1", kind: "ConfigMap", name: "cfg", uid: "cm-uid-2" },
            ],
          },
        },
        expected: makePod((p) => {
          p.metadata.ownerReferences = [
            { ...p.metadata.ownerReferences[0], blockOwnerDeletion: false },
            { apiVersion: "v1", kind: "ConfigMap", name: "cfg", uid: "cm-uid-2" },
          ];
        }),
      },
      {
        name: "an ownerReference is deleted by uid",
        original: makePod(),
        patch: { metadata: { ownerReferences: [{ uid: "rs-uid-1", $patch: "delete" }] } },
        expected: makePod((p) => {
          p.metadata.ownerReferences = [];
        }),
      },
    ],
    pod,
  );

  applyCases(
    "namespace",
    [
      {
        name: "spec.finalizers has no merge strategy and is replaced, metadata.finalizers merges",
        original: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "team-a", finalizers: ["a.example.com/x"] },
          spec: { finalizers: ["kubernetes"] },
        },
        patch: { metadata: { finalizers: ["b.example.com/y"] }, spec: { finalizers: ["other"] } },
        expected: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "team-a", finalizers: ["b.example.com/y", "a.example.com/x"] },
          spec: { finalizers: ["other"] },
        },
      },
    ],
    namespace,
  );
});

describe("pod and node status", () => {
  applyCases(
    "pod",
    [
      {
        name: "a kubelet status patch merges conditions by type",
        original: makePod(),
        patch: {
          status: {
            "$setElementOrder/conditions": [
              { type: "Initialized" },
              { type: "Ready" },
              { type: "ContainersReady" },
              { type: "PodScheduled" },
            ],
            conditions: [
              { type: "Ready", status: "True" },
              { type: "ContainersReady", status: "True" },
            ],
          },
        },
        expected: makePod((p) => {
          p.status.conditions = [
            { type: "Initialized", status: "True" },
            { type: "Ready", status: "True" },
            { type: "ContainersReady", status: "True" },
            { type: "PodScheduled", status: "True" },
          ];
        }),
      },
      {
        name: "podIPs merge by ip",
        original: makePod(),
        patch: { status: { podIPs: [{ ip: "fd00::5" }] } },
        expected: makePod((p) => {
          p.status.podIPs = [{ ip: "fd00::5" }, { ip: "10.244.1.5" }];
        }),
      },
      {
        name: "tolerations have no merge strategy and are replaced",
        original: makePod(),
        patch: {
          spec: {
            tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }],
          },
        },
        expected: makePod((p) => {
          p.spec.tolerations = [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }];
        }),
      },
    ],
    pod,
  );

  applyCases(
    "node",
    [
      {
        name: "a heartbeat updates one condition in place",
        original: makeNode(),
        patch: {
          status: {
            "$setElementOrder/conditions": [{ type: "MemoryPressure" }, { type: "Ready" }],
            conditions: [{ type: "Ready", lastHeartbeatTime: "2024-01-01T00:00:40Z" }],
          },
        },
        expected: makeNode((n) => {
          n.status.conditions[1].lastHeartbeatTime = "2024-01-01T00:00:40Z";
        }),
      },
      {
        name: "addresses merge by type",
        original: makeNode(),
        patch: { status: { addresses: [{ type: "InternalIP", address: "172.18.0.9" }] } },
        expected: makeNode((n) => {
          n.status.addresses[0].address = "172.18.0.9";
        }),
      },
      {
        name: "taints are replaced whole",
        original: makeNode((n) => {
          n.spec.taints = [{ key: "a", effect: "NoSchedule" }];
        }),
        patch: { spec: { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }] } },
        expected: makeNode((n) => {
          n.spec.taints = [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }];
        }),
      },
      {
        name: "podCIDRs merge as a set",
        original: makeNode(),
        patch: { spec: { podCIDRs: ["10.244.1.0/24", "fd00:1::/64"] } },
        expected: makeNode((n) => {
          n.spec.podCIDRs = ["10.244.1.0/24", "fd00:1::/64"];
        }),
      },
    ],
    node,
  );
});
