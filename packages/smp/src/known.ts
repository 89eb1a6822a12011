// Patch metadata of the built-in types kemu serves, as the patchStrategy / patchMergeKey
// struct tags in k8s.io/api and k8s.io/apimachinery (Kubernetes 1.32) declare it; the same
// data kube-apiserver publishes as x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key.
// Merge strategies and keys were checked against kubectl 1.32's own strategicpatch
// (`kubectl patch --local --type strategic`), which reads these tags.
//
// A field listed with no strategy is a list that kube-apiserver replaces whole (tolerations,
// taints, endpoint subsets, ...); it is listed so the table says it was checked. Fields not
// listed at all are scalars, maps or structs without patch metadata of their own.

import type { FieldMeta, PatchSchema } from "./schema.ts";

/** One field in KNOWN_PATCH_META: its patch strategy and merge key, and the type of its value or list items. */
export interface KnownFieldMeta {
  /** As FieldMeta.patchStrategy; absent means the default (a list is replaced, a struct merged). */
  readonly patchStrategy?: string;
  /** As FieldMeta.patchMergeKey. */
  readonly patchMergeKey?: string;
  /** OpenAPI definition name of the value (or list item) type, set when that type has its own entry here. */
  readonly type?: string;
}

const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const CORE = "io.k8s.api.core.v1.";
const APPS = "io.k8s.api.apps.v1.";

const OBJECT_META = `${META}ObjectMeta`;

// Container and EphemeralContainer carry the same tags.
const CONTAINER_FIELDS: Readonly<Record<string, KnownFieldMeta>> = {
  ports: { patchStrategy: "merge", patchMergeKey: "containerPort" },
  env: { patchStrategy: "merge", patchMergeKey: "name" },
  volumeMounts: { patchStrategy: "merge", patchMergeKey: "mountPath" },
  volumeDevices: { patchStrategy: "merge", patchMergeKey: "devicePath" },
  envFrom: {},
  resizePolicy: {},
};

/** Patch strategy and merge keys of the Kubernetes types kemu serves, by OpenAPI definition name and field. */
export const KNOWN_PATCH_META: Readonly<Record<string, Readonly<Record<string, KnownFieldMeta>>>> = {
  [OBJECT_META]: {
    finalizers: { patchStrategy: "merge" },
    ownerReferences: { patchStrategy: "merge", patchMergeKey: "uid" },
    managedFields: {},
  },

  [`${CORE}Pod`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${CORE}PodSpec` },
    status: { type: `${CORE}PodStatus` },
  },
  [`${CORE}PodTemplateSpec`]: { metadata: { type: OBJECT_META }, spec: { type: `${CORE}PodSpec` } },
  [`${CORE}PodSpec`]: {
    volumes: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
    initContainers: { patchStrategy: "merge", patchMergeKey: "name", type: `${CORE}Container` },
    containers: { patchStrategy: "merge", patchMergeKey: "name", type: `${CORE}Container` },
    ephemeralContainers: { patchStrategy: "merge", patchMergeKey: "name", type: `${CORE}EphemeralContainer` },
    imagePullSecrets: { patchStrategy: "merge", patchMergeKey: "name" },
    hostAliases: { patchStrategy: "merge", patchMergeKey: "ip" },
    topologySpreadConstraints: { patchStrategy: "merge", patchMergeKey: "topologyKey" },
    resourceClaims: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
    schedulingGates: { patchStrategy: "merge", patchMergeKey: "name" },
    tolerations: {},
    readinessGates: {},
  },
  [`${CORE}Container`]: CONTAINER_FIELDS,
  [`${CORE}EphemeralContainer`]: CONTAINER_FIELDS,
  [`${CORE}PodStatus`]: {
    conditions: { patchStrategy: "merge", patchMergeKey: "type" },
    hostIPs: { patchStrategy: "merge", patchMergeKey: "ip" },
    podIPs: { patchStrategy: "merge", patchMergeKey: "ip" },
    resourceClaimStatuses: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
    containerStatuses: {},
    initContainerStatuses: {},
    ephemeralContainerStatuses: {},
  },

  [`${CORE}Service`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${CORE}ServiceSpec` },
    status: { type: `${CORE}ServiceStatus` },
  },
  [`${CORE}ServiceSpec`]: {
    ports: { patchStrategy: "merge", patchMergeKey: "port" },
    clusterIPs: {},
    externalIPs: {},
    ipFamilies: {},
    loadBalancerSourceRanges: {},
  },
  [`${CORE}ServiceStatus`]: { conditions: { patchStrategy: "merge", patchMergeKey: "type" } },

  [`${CORE}Node`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${CORE}NodeSpec` },
    status: { type: `${CORE}NodeStatus` },
  },
  [`${CORE}NodeSpec`]: { podCIDRs: { patchStrategy: "merge" }, taints: {} },
  [`${CORE}NodeStatus`]: {
    conditions: { patchStrategy: "merge", patchMergeKey: "type" },
    addresses: { patchStrategy: "merge", patchMergeKey: "type" },
    images: {},
    volumesInUse: {},
    volumesAttached: {},
  },

  [`${CORE}Namespace`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${CORE}NamespaceSpec` },
    status: { type: `${CORE}NamespaceStatus` },
  },
  // Unlike ObjectMeta.finalizers, the namespace finalizers list has no merge strategy.
  [`${CORE}NamespaceSpec`]: { finalizers: {} },
  [`${CORE}NamespaceStatus`]: { conditions: { patchStrategy: "merge", patchMergeKey: "type" } },

  [`${CORE}Endpoints`]: { metadata: { type: OBJECT_META }, subsets: { type: `${CORE}EndpointSubset` } },
  [`${CORE}EndpointSubset`]: { addresses: {}, notReadyAddresses: {}, ports: {} },
  ["io.k8s.api.discovery.v1.EndpointSlice"]: { metadata: { type: OBJECT_META }, endpoints: {}, ports: {} },
  [`${CORE}ConfigMap`]: { metadata: { type: OBJECT_META } },
  [`${CORE}Event`]: { metadata: { type: OBJECT_META } },
  ["io.k8s.api.events.v1.Event"]: { metadata: { type: OBJECT_META } },
  ["io.k8s.api.coordination.v1.Lease"]: { metadata: { type: OBJECT_META } },

  [`${APPS}Deployment`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${APPS}DeploymentSpec` },
    status: { type: `${APPS}DeploymentStatus` },
  },
  [`${APPS}DeploymentSpec`]: {
    template: { type: `${CORE}PodTemplateSpec` },
    strategy: { patchStrategy: "retainKeys" },
  },
  [`${APPS}DeploymentStatus`]: { conditions: { patchStrategy: "merge", patchMergeKey: "type" } },
  [`${APPS}ReplicaSet`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${APPS}ReplicaSetSpec` },
    status: { type: `${APPS}ReplicaSetStatus` },
  },
  [`${APPS}ReplicaSetSpec`]: { template: { type: `${CORE}PodTemplateSpec` } },
  [`${APPS}ReplicaSetStatus`]: { conditions: { patchStrategy: "merge", patchMergeKey: "type" } },
  [`${APPS}DaemonSet`]: {
    metadata: { type: OBJECT_META },
    spec: { type: `${APPS}DaemonSetSpec` },
    status: { type: `${APPS}DaemonSetStatus` },
  },
  // updateStrategy has no retainKeys, unlike DeploymentSpec.strategy.
  [`${APPS}DaemonSetSpec`]: { template: { type: `${CORE}PodTemplateSpec` } },
  [`${APPS}DaemonSetStatus`]: { conditions: { patchStrategy: "merge", patchMergeKey: "type" } },
};

const knownSchemas = new Map<string, PatchSchema>();

/** A PatchSchema for a type in KNOWN_PATCH_META (e.g. "io.k8s.api.apps.v1.Deployment"), or undefined if it is not listed. */
export function knownPatchSchema(typeName: string): PatchSchema | undefined {
  const cached = knownSchemas.get(typeName);
  if (cached) return cached;
  if (!Object.hasOwn(KNOWN_PATCH_META, typeName)) return undefined;
  const fields = KNOWN_PATCH_META[typeName] ?? {};
  const schema: PatchSchema = {
    field(name: string): FieldMeta | undefined {
      if (!Object.hasOwn(fields, name)) return undefined;
      const f = fields[name];
      if (f === undefined) return undefined;
      const meta: FieldMeta = {};
      if (f.patchStrategy !== undefined) meta.patchStrategy = f.patchStrategy;
      if (f.patchMergeKey !== undefined) meta.patchMergeKey = f.patchMergeKey;
      const nested = f.type === undefined ? undefined : knownPatchSchema(f.type);
      if (nested !== undefined) meta.schema = nested;
      return meta;
    },
  };
  knownSchemas.set(typeName, schema);
  return schema;
}
