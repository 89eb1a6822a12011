/**
 * The table of every resource the API server serves. Discovery, OpenAPI, routing, storage and
 * field selectors all read this one table; there is no other list of resources.
 *
 * To serve a new resource: add an entry here (and, for custom behaviour, hooks in
 * hooks/<resource>.ts registered in hooks/index.ts).
 */
import type { KObject } from "@kemu/store";
import type { PrinterColumn } from "./crds.ts";

/** Subresources the API server knows how to serve. */
export type Subresource = "status" | "scale" | "binding" | "eviction" | "finalize" | "log";

/** One served resource. */
export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  /** Plural, lower case: "services". */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Subresource[];
  verbs: string[];
  /** metadata.generation is kept and bumped on spec changes. */
  generation?: boolean;
  /** Annotation changes bump generation too (Deployments, as upstream's strategy does). */
  generationOnAnnotations?: boolean;
  /** Status updates may change annotations (the apps workloads' status strategies). */
  statusUpdatesAnnotations?: boolean;
  /** Extra field selector fields beyond metadata.name and metadata.namespace. */
  fields?: Record<string, (obj: KObject) => string | undefined>;
  /** Storage token override: resources that share storage with another (events.k8s.io Event). */
  storage?: string;
  /** Update may create an object that does not exist (AllowCreateOnUpdate). */
  createOnUpdate?: boolean;
  /** Set for custom resources (served from a CustomResourceDefinition). */
  custom?: { printerColumns: PrinterColumn[] };
}

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function def(
  d: Omit<ResourceDef, "subresources" | "verbs"> & Partial<Pick<ResourceDef, "subresources" | "verbs">>,
): ResourceDef {
  return { subresources: [], verbs: ALL_VERBS, ...d };
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const at = (obj: KObject, ...path: string[]): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking arbitrary JSON
  path.reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);

const eventFields: ResourceDef["fields"] = {
  "involvedObject.kind": (o) => str(at(o, "involvedObject", "kind")) ?? "",
  "involvedObject.namespace": (o) => str(at(o, "involvedObject", "namespace")) ?? "",
  "involvedObject.name": (o) => str(at(o, "involvedObject", "name")) ?? "",
  "involvedObject.uid": (o) => str(at(o, "involvedObject", "uid")) ?? "",
  "involvedObject.apiVersion": (o) => str(at(o, "involvedObject", "apiVersion")) ?? "",
  "involvedObject.resourceVersion": (o) => str(at(o, "involvedObject", "resourceVersion")) ?? "",
  "involvedObject.fieldPath": (o) => str(at(o, "involvedObject", "fieldPath")) ?? "",
  reason: (o) => str(o["reason"]) ?? "",
  reportingComponent: (o) => str(o["reportingComponent"]) ?? "",
  source: (o) => str(at(o, "source", "component")) ?? str(o["reportingComponent"]) ?? "",
  type: (o) => str(o["type"]) ?? "",
};

/** Every served resource. */
export const RESOURCES: readonly ResourceDef[] = [
  def({
    group: "",
    version: "v1",
    kind: "Namespace",
    resource: "namespaces",
    singular: "namespace",
    namespaced: false,
    shortNames: ["ns"],
    subresources: ["status", "finalize"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    fields: { "status.phase": (o) => str(at(o, "status", "phase")) ?? "" },
  }),
  def({
    group: "",
    version: "v1",
    kind: "Node",
    resource: "nodes",
    singular: "node",
    namespaced: false,
    shortNames: ["no"],
    subresources: ["status"],
    fields: { "spec.unschedulable": (o) => String(at(o, "spec", "unschedulable") === true) },
  }),
  def({
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    singular: "pod",
    namespaced: true,
    shortNames: ["po"],
    categories: ["all"],
    subresources: ["status", "binding", "eviction", "log"],
    fields: {
      "spec.nodeName": (o) => str(at(o, "spec", "nodeName")) ?? "",
      "spec.restartPolicy": (o) => str(at(o, "spec", "restartPolicy")) ?? "",
      "spec.schedulerName": (o) => str(at(o, "spec", "schedulerName")) ?? "",
      "spec.serviceAccountName": (o) => str(at(o, "spec", "serviceAccountName")) ?? "",
      "spec.hostNetwork": (o) => String(at(o, "spec", "hostNetwork") === true),
      "status.phase": (o) => str(at(o, "status", "phase")) ?? "",
      "status.podIP": (o) => str(at(o, "status", "podIP")) ?? "",
      "status.nominatedNodeName": (o) => str(at(o, "status", "nominatedNodeName")) ?? "",
    },
  }),
  def({
    group: "",
    version: "v1",
    kind: "Service",
    resource: "services",
    singular: "service",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    subresources: ["status"],
    fields: {
      "spec.clusterIP": (o) => str(at(o, "spec", "clusterIP")) ?? "",
      "spec.type": (o) => str(at(o, "spec", "type")) ?? "",
    },
  }),
  def({
    group: "",
    version: "v1",
    kind: "Endpoints",
    resource: "endpoints",
    singular: "endpoints",
    namespaced: true,
    shortNames: ["ep"],
    createOnUpdate: true,
  }),
  def({
    group: "",
    version: "v1",
    kind: "Event",
    resource: "events",
    singular: "event",
    namespaced: true,
    shortNames: ["ev"],
    fields: eventFields,
    createOnUpdate: true,
  }),
  def({
    group: "",
    version: "v1",
    kind: "ConfigMap",
    resource: "configmaps",
    singular: "configmap",
    namespaced: true,
    shortNames: ["cm"],
  }),
  def({
    group: "",
    version: "v1",
    kind: "Secret",
    resource: "secrets",
    singular: "secret",
    namespaced: true,
    fields: { type: (o) => str(o["type"]) ?? "" },
  }),
  def({
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    resource: "serviceaccounts",
    singular: "serviceaccount",
    namespaced: true,
    shortNames: ["sa"],
  }),
  def({
    group: "coordination.k8s.io",
    version: "v1",
    kind: "Lease",
    resource: "leases",
    singular: "lease",
    namespaced: true,
    createOnUpdate: true,
  }),
  def({
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    resource: "endpointslices",
    singular: "endpointslice",
    namespaced: true,
    generation: true,
  }),
  def({
    group: "events.k8s.io",
    version: "v1",
    kind: "Event",
    resource: "events",
    singular: "event",
    namespaced: true,
    shortNames: ["ev"],
    storage: "events",
    fields: eventFields,
  }),
  def({
    group: "apps",
    version: "v1",
    kind: "Deployment",
    resource: "deployments",
    singular: "deployment",
    namespaced: true,
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: ["status", "scale"],
    generation: true,
    statusUpdatesAnnotations: true,
    generationOnAnnotations: true,
  }),
  def({
    group: "apps",
    version: "v1",
    kind: "ReplicaSet",
    resource: "replicasets",
    singular: "replicaset",
    namespaced: true,
    shortNames: ["rs"],
    categories: ["all"],
    subresources: ["status", "scale"],
    generation: true,
    statusUpdatesAnnotations: true,
    fields: { "status.replicas": (o) => String(at(o, "status", "replicas") ?? 0) },
  }),
  def({
    group: "apps",
    version: "v1",
    kind: "DaemonSet",
    resource: "daemonsets",
    singular: "daemonset",
    namespaced: true,
    shortNames: ["ds"],
    categories: ["all"],
    subresources: ["status"],
    generation: true,
    statusUpdatesAnnotations: true,
  }),
  def({
    group: "apps",
    version: "v1",
    kind: "ControllerRevision",
    resource: "controllerrevisions",
    singular: "controllerrevision",
    namespaced: true,
  }),
  def({
    group: "apiextensions.k8s.io",
    version: "v1",
    kind: "CustomResourceDefinition",
    resource: "customresourcedefinitions",
    singular: "customresourcedefinition",
    namespaced: false,
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    subresources: ["status"],
  }),
];

/** The apiVersion string of a resource: "v1" or "apps/v1". */
export function apiVersionOf(d: ResourceDef): string {
  return d.group ? `${d.group}/${d.version}` : d.version;
}

/**
 * Looks up resources by group/version/resource and by kind. Built-in resources are fixed;
 * custom resources come and go with their CustomResourceDefinitions.
 */
export class Registry {
  #resources: readonly ResourceDef[];
  #byGVR = new Map<string, ResourceDef>();
  #byGVK = new Map<string, ResourceDef>();
  #custom = new Map<string, ResourceDef[]>();
  readonly #builtin: readonly ResourceDef[];

  constructor(resources: readonly ResourceDef[] = RESOURCES) {
    this.#builtin = resources;
    this.#resources = resources;
    this.#index();
  }

  #index(): void {
    this.#resources = [...this.#builtin, ...[...this.#custom.values()].flat()];
    this.#byGVR = new Map(this.#resources.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
    this.#byGVK = new Map(this.#resources.map((r) => [`${r.group}/${r.version}/${r.kind}`, r]));
  }

  /** Every served resource; a new array whenever the set changes. */
  get resources(): readonly ResourceDef[] {
    return this.#resources;
  }

  /** Serves (or re-serves) the resources of one custom resource definition, by its name. */
  setCustom(name: string, defs: ResourceDef[]): void {
    this.#custom.set(name, defs);
    this.#index();
  }

  /** Stops serving a custom resource definition's resources. */
  removeCustom(name: string): void {
    if (this.#custom.delete(name)) this.#index();
  }

  /** The resource served at group/version/resource, if any. */
  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.#byGVR.get(`${group}/${version}/${resource}`);
  }

  /** The resource for a kind, if served. */
  byKind(group: string, version: string, kind: string): ResourceDef | undefined {
    return this.#byGVK.get(`${group}/${version}/${kind}`);
  }

  /** Served group versions, in discovery order (legacy core first). */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Set<string>();
    const out: { group: string; version: string }[] = [];
    for (const r of this.#resources) {
      const k = `${r.group}/${r.version}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ group: r.group, version: r.version });
      }
    }
    return out;
  }
}

/** The storage token for a resource (shared storage resolves to its owner's token). */
export function storageToken(d: ResourceDef): string {
  const base = d.storage ?? (d.group ? `${d.resource}.${d.group}` : d.resource);
  return base.replace(/\./g, "_");
}
