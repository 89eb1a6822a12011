/** API discovery documents, legacy and aggregated (apidiscovery.k8s.io/v2), built from the resource table. */
import type { Registry, ResourceDef, Subresource } from "./resources.ts";

/** The Kubernetes version kemu emulates. */
export const KUBE_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-kemu" };

const SUBRESOURCES: Record<
  Subresource,
  { group?: string; version?: string; kind?: string; verbs: string[] }
> = {
  status: { verbs: ["get", "patch", "update"] },
  scale: { group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] },
  binding: { kind: "Binding", verbs: ["create"] },
  eviction: { group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
  finalize: { verbs: ["update"] },
  log: { verbs: ["get"] },
};

/** /version. */
export function versionInfo(): object {
  return {
    ...KUBE_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

/** /api: the legacy core group's versions. */
export function apiVersions(serverAddress: string): object {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupsOf(reg: Registry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { group, version } of reg.groupVersions()) {
    if (!group) continue;
    const vs = groups.get(group) ?? [];
    vs.push(version);
    groups.set(group, vs);
  }
  return groups;
}

function apiGroup(name: string, versions: string[]): object {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** /apis: every named group. */
export function apiGroupList(reg: Registry): object {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groupsOf(reg)].map(([name, vs]) => apiGroup(name, vs)),
  };
}

/** /apis/<group>, or undefined if the group is not served. */
export function apiGroupDoc(reg: Registry, group: string): object | undefined {
  const vs = groupsOf(reg).get(group);
  return vs ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, vs) } : undefined;
}

/** /api/v1 or /apis/<group>/<version>: the legacy APIResourceList, or undefined. */
export function apiResourceList(reg: Registry, group: string, version: string): object | undefined {
  const defs = sortedResources(reg.resources.filter((r) => r.group === group && r.version === version));
  if (defs.length === 0) return undefined;
  const resources: object[] = [];
  for (const d of defs) {
    const r: Record<string, unknown> = {
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
    };
    if (d.shortNames) r["shortNames"] = d.shortNames;
    if (d.categories) r["categories"] = d.categories;
    resources.push(r);
    for (const s of d.subresources) {
      const sub = SUBRESOURCES[s];
      const e: Record<string, unknown> = {
        name: `${d.resource}/${s}`,
        singularName: "",
        namespaced: d.namespaced,
        kind: sub.kind ?? d.kind,
        verbs: sub.verbs,
      };
      if (sub.group) e["group"] = sub.group;
      if (sub.version) e["version"] = sub.version;
      resources.push(e);
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function discoveryResource(d: ResourceDef): object {
  const r: Record<string, unknown> = {
    resource: d.resource,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? "Namespaced" : "Cluster",
    singularResource: d.singular,
    verbs: d.verbs,
  };
  if (d.shortNames) r["shortNames"] = d.shortNames;
  if (d.categories) r["categories"] = d.categories;
  if (d.subresources.length > 0) {
    r["subresources"] = d.subresources.map((s) => {
      const sub = SUBRESOURCES[s];
      return {
        subresource: s,
        responseKind: {
          group: sub.group ?? d.group,
          version: sub.version ?? d.version,
          kind: sub.kind ?? d.kind,
        },
        verbs: sub.verbs,
      };
    });
  }
  return r;
}

/** Aggregated discovery for /api (legacy: true) or /apis. */
export function aggregatedDiscovery(reg: Registry, legacy: boolean): object {
  const byGroup = new Map<string, Map<string, ResourceDef[]>>();
  for (const d of reg.resources) {
    if (legacy !== (d.group === "")) continue;
    const versions = byGroup.get(d.group) ?? new Map<string, ResourceDef[]>();
    const list = versions.get(d.version) ?? [];
    list.push(d);
    versions.set(d.version, list);
    byGroup.set(d.group, versions);
  }
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: [...byGroup].map(([group, versions]) => ({
      metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
      versions: [...versions].map(([version, defs]) => ({
        version,
        resources: sortedResources(defs).map(discoveryResource),
        freshness: "Current",
      })),
    })),
  };
}

/** The content type of aggregated discovery responses. */
export const AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** Resources in the order kube-apiserver lists them: alphabetical by plural name. */
function sortedResources(defs: ResourceDef[]): ResourceDef[] {
  return [...defs].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}
