// What the generator needs to know that @kubernetes/client-node's models do not say: which upstream
// package each model belongs to, which kinds are roots, and the schema extensions (patch strategy,
// Quantity) that the generated models drop. The generator (src/generate.ts) reads all of it; at run
// time only the SCALAR names are used, and the schemas come from the generated schemas.json.

import type { Schema } from "./schema.ts";

/** Upstream definition-name prefixes (the Go import path, reversed DNS style). */
export const PKG = {
  core: "io.k8s.api.core.v1",
  apps: "io.k8s.api.apps.v1",
  autoscaling: "io.k8s.api.autoscaling.v1",
  coordination: "io.k8s.api.coordination.v1",
  discovery: "io.k8s.api.discovery.v1",
  events: "io.k8s.api.events.v1",
  policy: "io.k8s.api.policy.v1",
  meta: "io.k8s.apimachinery.pkg.apis.meta.v1",
  intstr: "io.k8s.apimachinery.pkg.util.intstr",
  resource: "io.k8s.apimachinery.pkg.api.resource",
  runtime: "io.k8s.apimachinery.pkg.runtime",
} as const;

/** A kind with its own x-kubernetes-group-version-kind, and the client-node model that describes it. */
export interface RootKind {
  group: string;
  version: string;
  kind: string;
  model: string;
}

const core = (kind: string, model = `V1${kind}`): RootKind => ({ group: "", version: "v1", kind, model });
const gv =
  (group: string) =>
  (kind: string, model = `V1${kind}`) => ({ group, version: "v1", kind, model });
const apps = gv("apps");
const coordination = gv("coordination.k8s.io");
const discovery = gv("discovery.k8s.io");

/** Every kind kemu serves, with its List kind. Add a row here (and its models to MODEL_PACKAGE) to serve more. */
export const ROOT_KINDS: RootKind[] = [
  ...["Namespace", "Node", "Pod", "Service", "Endpoints", "ConfigMap", "Secret", "ServiceAccount"].flatMap(
    (k) => [core(k), core(`${k}List`)],
  ),
  core("Event", "CoreV1Event"),
  core("EventList", "CoreV1EventList"),
  core("Binding"),
  gv("policy")("Eviction"),
  coordination("Lease"),
  coordination("LeaseList"),
  discovery("EndpointSlice"),
  discovery("EndpointSliceList"),
  gv("events.k8s.io")("Event", "EventsV1Event"),
  gv("events.k8s.io")("EventList", "EventsV1EventList"),
  ...["Deployment", "ReplicaSet", "DaemonSet", "ControllerRevision"].flatMap((k) => [
    apps(k),
    apps(`${k}List`),
  ]),
  gv("autoscaling")("Scale"),
  core("Status"),
];

/** Meta kinds that upstream tags with one GVK per served group-version. */
export const SHARED_META_KINDS = [
  { kind: "DeleteOptions", model: "V1DeleteOptions" },
  { kind: "WatchEvent", model: "V1WatchEvent" },
];

/** The group-versions that SHARED_META_KINDS are tagged with (every group-version in ROOT_KINDS). */
export const GROUP_VERSIONS: { group: string; version: string }[] = [
  ...new Map(
    ROOT_KINDS.map((k) => [`${k.group}/${k.version}`, { group: k.group, version: k.version }]),
  ).values(),
];

// Models outside core/v1. Everything reached from a root and not listed here is core/v1, so a new
// non-core type must be added here or it gets the wrong definition name.
const NON_CORE: Record<string, readonly string[]> = {
  [PKG.meta]: [
    "V1ObjectMeta",
    "V1ListMeta",
    "V1LabelSelector",
    "V1LabelSelectorRequirement",
    "V1OwnerReference",
    "V1ManagedFieldsEntry",
    "V1Status",
    "V1StatusCause",
    "V1StatusDetails",
    "V1DeleteOptions",
    "V1Preconditions",
    "V1WatchEvent",
    "V1Condition",
  ],
  [PKG.apps]: [
    "V1Deployment",
    "V1DeploymentList",
    "V1DeploymentSpec",
    "V1DeploymentStatus",
    "V1DeploymentCondition",
    "V1DeploymentStrategy",
    "V1RollingUpdateDeployment",
    "V1ReplicaSet",
    "V1ReplicaSetList",
    "V1ReplicaSetSpec",
    "V1ReplicaSetStatus",
    "V1ReplicaSetCondition",
    "V1DaemonSet",
    "V1DaemonSetList",
    "V1DaemonSetSpec",
    "V1DaemonSetStatus",
    "V1DaemonSetCondition",
    "V1DaemonSetUpdateStrategy",
    "V1RollingUpdateDaemonSet",
    "V1ControllerRevision",
    "V1ControllerRevisionList",
  ],
  [PKG.autoscaling]: ["V1Scale", "V1ScaleSpec", "V1ScaleStatus"],
  [PKG.policy]: ["V1Eviction"],
  [PKG.coordination]: ["V1Lease", "V1LeaseList", "V1LeaseSpec"],
  [PKG.discovery]: [
    "V1EndpointSlice",
    "V1EndpointSliceList",
    "V1Endpoint",
    "V1EndpointConditions",
    "V1EndpointHints",
    "V1ForZone",
    "V1ForNode",
    "DiscoveryV1EndpointPort",
  ],
  [PKG.events]: ["EventsV1Event", "EventsV1EventList", "EventsV1EventSeries"],
};

const MODEL_PACKAGE = new Map(
  Object.entries(NON_CORE).flatMap(([pkg, models]) => models.map((m) => [m, pkg])),
);

/** Upstream definition name of a client-node model, e.g. "V1PodSpec" -> "io.k8s.api.core.v1.PodSpec". */
export function modelDefinition(model: string): string {
  const pkg = MODEL_PACKAGE.get(model) ?? PKG.core;
  return `${pkg}.${model.replace(/^(V1|CoreV1|EventsV1|DiscoveryV1)/, "")}`;
}

/** Upstream definition names of the scalar and free-form types that client-node flattens. */
export const SCALAR = {
  time: `${PKG.meta}.Time`,
  microTime: `${PKG.meta}.MicroTime`,
  fieldsV1: `${PKG.meta}.FieldsV1`,
  patch: `${PKG.meta}.Patch`,
  intOrString: `${PKG.intstr}.IntOrString`,
  quantity: `${PKG.resource}.Quantity`,
  rawExtension: `${PKG.runtime}.RawExtension`,
} as const;

// The descriptions below are kemu's own wording of what these types are on the wire.
/** Schemas for the types in SCALAR, which have no client-node model. */
export const SCALAR_SCHEMAS: Record<string, Schema> = {
  [SCALAR.time]: {
    description: "Time is a timestamp serialized as an RFC 3339 string with second precision.",
    type: "string",
    format: "date-time",
  },
  [SCALAR.microTime]: {
    description: "MicroTime is a timestamp serialized as an RFC 3339 string with microsecond precision.",
    type: "string",
    format: "date-time",
  },
  [SCALAR.fieldsV1]: {
    description: "FieldsV1 is a set of field paths, encoded as a JSON trie, used by server-side apply.",
    type: "object",
  },
  [SCALAR.patch]: {
    description: "Patch names the body of a PATCH request; its format is given by the Content-Type.",
    type: "object",
  },
  [SCALAR.intOrString]: {
    description:
      "IntOrString holds either an int32 or a string, and serializes as whichever it holds (for example a port number or a port name).",
    format: "int-or-string",
    oneOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
  },
  [SCALAR.quantity]: {
    description:
      'Quantity is a fixed-point number with an optional SI or binary suffix, serialized as a string such as "100m", "1.5" or "2Gi".',
    oneOf: [{ type: "string" }, { type: "number" }],
  },
  [SCALAR.rawExtension]: {
    description: "RawExtension is an embedded object of any kind, kept as the JSON the client sent.",
    type: "object",
  },
};

/** client-node fields typed `any`, and the upstream type they stand for. */
export const ANY_FIELDS: Record<string, string> = {
  "V1WatchEvent.object": SCALAR.rawExtension,
  "V1ControllerRevision.data": SCALAR.rawExtension,
  "V1ManagedFieldsEntry.fieldsV1": SCALAR.fieldsV1,
};

/** client-node fields typed `string` (or a map of them) that are resource.Quantity upstream. */
export const QUANTITY_FIELDS = new Set([
  "V1ResourceRequirements.limits",
  "V1ResourceRequirements.requests",
  "V1VolumeResourceRequirements.limits",
  "V1VolumeResourceRequirements.requests",
  "V1NodeStatus.capacity",
  "V1NodeStatus.allocatable",
  "V1PodSpec.overhead",
  "V1PodStatus.allocatedResources",
  "V1ContainerStatus.allocatedResources",
  "V1NodeAllocatableResourceClaimStatus.resources",
  "V1EmptyDirVolumeSource.sizeLimit",
  "V1ResourceFieldSelector.divisor",
]);

/** Strategic-merge-patch metadata from the upstream Go struct tags, keyed by "Definition.field". */
export const PATCH_META: Record<string, { strategy: string; mergeKey?: string }> = {
  [`${PKG.meta}.ObjectMeta.finalizers`]: { strategy: "merge" },
  [`${PKG.meta}.ObjectMeta.ownerReferences`]: { strategy: "merge", mergeKey: "uid" },
  [`${PKG.core}.PodSpec.volumes`]: { strategy: "merge,retainKeys", mergeKey: "name" },
  [`${PKG.core}.PodSpec.initContainers`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.core}.PodSpec.containers`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.core}.PodSpec.ephemeralContainers`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.core}.PodSpec.imagePullSecrets`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.core}.PodSpec.hostAliases`]: { strategy: "merge", mergeKey: "ip" },
  [`${PKG.core}.PodSpec.topologySpreadConstraints`]: { strategy: "merge", mergeKey: "topologyKey" },
  [`${PKG.core}.PodSpec.schedulingGates`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.core}.PodSpec.resourceClaims`]: { strategy: "merge,retainKeys", mergeKey: "name" },
  ...Object.fromEntries(
    ["Container", "EphemeralContainer"].flatMap((t) => [
      [`${PKG.core}.${t}.ports`, { strategy: "merge", mergeKey: "containerPort" }],
      [`${PKG.core}.${t}.env`, { strategy: "merge", mergeKey: "name" }],
      [`${PKG.core}.${t}.volumeMounts`, { strategy: "merge", mergeKey: "mountPath" }],
      [`${PKG.core}.${t}.volumeDevices`, { strategy: "merge", mergeKey: "devicePath" }],
    ]),
  ),
  [`${PKG.core}.PodStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.core}.PodStatus.podIPs`]: { strategy: "merge", mergeKey: "ip" },
  [`${PKG.core}.PodStatus.hostIPs`]: { strategy: "merge", mergeKey: "ip" },
  [`${PKG.core}.PodStatus.resourceClaimStatuses`]: { strategy: "merge,retainKeys", mergeKey: "name" },
  [`${PKG.core}.ServiceSpec.ports`]: { strategy: "merge", mergeKey: "port" },
  [`${PKG.core}.ServiceStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.core}.NodeSpec.podCIDRs`]: { strategy: "merge" },
  [`${PKG.core}.NodeStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.core}.NodeStatus.addresses`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.core}.NamespaceStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.core}.ServiceAccount.secrets`]: { strategy: "merge", mergeKey: "name" },
  [`${PKG.apps}.DeploymentSpec.strategy`]: { strategy: "retainKeys" },
  [`${PKG.apps}.DeploymentStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.apps}.ReplicaSetStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
  [`${PKG.apps}.DaemonSetStatus.conditions`]: { strategy: "merge", mergeKey: "type" },
};
