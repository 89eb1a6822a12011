import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { openapiV3Document, openapiV3DocumentJSON, openapiV3Index, type ServedResource } from "./index.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function makeResource(
  kind: string,
  resource: string,
  mutate: (r: ServedResource) => void = () => {},
): ServedResource {
  const r: ServedResource = {
    group: "",
    version: "v1",
    kind,
    resource,
    namespaced: true,
    subresources: [],
    verbs: ALL_VERBS,
  };
  mutate(r);
  return r;
}

const RESOURCES: ServedResource[] = [
  makeResource("Pod", "pods", (r) => (r.subresources = ["status", "eviction", "binding", "log", "exec"])),
  makeResource("Service", "services", (r) => (r.subresources = ["status"])),
  makeResource("Namespace", "namespaces", (r) => {
    r.namespaced = false;
    r.subresources = ["status"];
  }),
  makeResource("Binding", "bindings", (r) => (r.verbs = ["create"])),
  makeResource("Deployment", "deployments", (r) => {
    r.group = "apps";
    r.subresources = ["status", "scale"];
  }),
  makeResource("Lease", "leases", (r) => (r.group = "coordination.k8s.io")),
];

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, unknown> };
  "x-kubernetes-group-version-kind": { group: string; version: string; kind: string };
  "x-kubernetes-action": string;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { "x-kubernetes-group-version-kind"?: object[] }> };
}

const doc = (path: string) => openapiV3Document(path, RESOURCES) as Doc;
const operations = (d: Doc, method: string) =>
  Object.entries(d.paths).flatMap(([path, item]) => (item[method] ? [{ path, op: item[method] }] : []));

describe("openapiV3Index", () => {
  test("openapiV3Index: lists each served group-version with a content-hashed URL", () => {
    const index = openapiV3Index(RESOURCES) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1"]);
    const url = index.paths["apis/apps/v1"]?.serverRelativeURL ?? "";
    const serialized = openapiV3DocumentJSON("apis/apps/v1", RESOURCES);
    expect(url).toBe(`/openapi/v3/apis/apps/v1?hash=${serialized?.hash}`);
    expect(serialized?.hash).toBe(
      createHash("sha512")
        .update(serialized?.json ?? "")
        .digest("hex")
        .toUpperCase(),
    );
  });

  test("openapiV3Index: the hash changes when the served resources change", () => {
    const before = openapiV3DocumentJSON("api/v1", RESOURCES)?.hash;
    const fewer = RESOURCES.filter((r) => r.resource !== "services");
    expect(openapiV3DocumentJSON("api/v1", fewer)?.hash).not.toBe(before);
    expect(openapiV3DocumentJSON("api/v1", [...RESOURCES])?.hash).toBe(before);
  });
});

describe("openapiV3Document", () => {
  test("openapiV3Document: undefined for a group-version nothing is served in", () => {
    expect(openapiV3Document("apis/batch/v1", RESOURCES)).toBeUndefined();
    expect(openapiV3Document("nonsense", RESOURCES)).toBeUndefined();
    expect(openapiV3Document("/api/v1", RESOURCES)).toBeDefined();
  });

  test("openapiV3Document: every PATCH offers fieldValidation and strategic merge patch (what kubectl checks)", () => {
    for (const path of ["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1"]) {
      const patches = operations(doc(path), "patch");
      expect(patches.length).toBeGreaterThan(0);
      for (const { op } of patches) {
        expect(op.parameters?.some((p) => p.name === "fieldValidation" && p.in === "query")).toBe(true);
        expect(op.requestBody?.content).toHaveProperty(["application/strategic-merge-patch+json"]);
      }
    }
    for (const { op } of [...operations(doc("api/v1"), "post"), ...operations(doc("api/v1"), "put")])
      expect(op.parameters?.map((p) => p.name)).toEqual(
        expect.arrayContaining(["dryRun", "fieldManager", "fieldValidation"]),
      );
  });

  test("openapiV3Document: paths follow the served verbs, scope and subresources", () => {
    const core = doc("api/v1");
    expect(Object.keys(core.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/namespaces/{namespace}/pods",
        "/api/v1/namespaces/{namespace}/pods/{name}",
        "/api/v1/namespaces/{namespace}/pods/{name}/status",
        "/api/v1/namespaces/{namespace}/pods/{name}/eviction",
        "/api/v1/namespaces/{namespace}/pods/{name}/binding",
        "/api/v1/namespaces/{namespace}/pods/{name}/log",
        "/api/v1/pods",
        "/api/v1/watch/namespaces/{namespace}/pods",
        "/api/v1/watch/pods",
        "/api/v1/namespaces",
        "/api/v1/namespaces/{name}",
        "/api/v1/namespaces/{name}/status",
        "/api/v1/watch/namespaces/{name}",
      ]),
    );
    expect(Object.keys(core.paths).filter((p) => p.includes("exec"))).toEqual([]);
    expect(Object.keys(core.paths).filter((p) => p.includes("bindings"))).toEqual([
      "/api/v1/namespaces/{namespace}/bindings",
    ]);
    expect(Object.keys(core.paths["/api/v1/namespaces/{namespace}/bindings"] ?? {})).toEqual([
      "parameters",
      "post",
    ]);
  });

  test("openapiV3Document: subresources carry the GVK of what they read and write", () => {
    const core = doc("api/v1");
    const gvk = (path: string, method: string) =>
      core.paths[path]?.[method]?.["x-kubernetes-group-version-kind"];
    expect(gvk("/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post")).toEqual({
      group: "policy",
      version: "v1",
      kind: "Eviction",
    });
    expect(gvk("/api/v1/namespaces/{namespace}/pods/{name}/status", "patch")).toEqual({
      group: "",
      version: "v1",
      kind: "Pod",
    });
    const apps = doc("apis/apps/v1");
    expect(
      apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]?.put?.[
        "x-kubernetes-group-version-kind"
      ],
    ).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(Object.keys(apps.components.schemas)).toEqual(
      expect.arrayContaining([
        "io.k8s.api.apps.v1.Deployment",
        "io.k8s.api.autoscaling.v1.Scale",
        "io.k8s.api.core.v1.PodSpec",
      ]),
    );
  });

  test("openapiV3Document: every operation's GVK has a component schema, and every $ref resolves", () => {
    for (const path of ["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1"]) {
      const d = doc(path);
      const gvks = Object.values(d.components.schemas).flatMap(
        (s) => s["x-kubernetes-group-version-kind"] ?? [],
      );
      for (const item of Object.values(d.paths))
        for (const [method, op] of Object.entries(item))
          if (method !== "parameters") expect(gvks).toContainEqual(op["x-kubernetes-group-version-kind"]);
      const refs = JSON.stringify(d).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
      const missing = refs
        .map((r) => r.slice('"#/components/schemas/'.length, -1))
        .filter((n) => !d.components.schemas[n]);
      expect(missing).toEqual([]);
    }
  });

  test("openapiV3Document: a group-version only carries the schemas it references", () => {
    const lease = doc("apis/coordination.k8s.io/v1");
    expect(Object.keys(lease.components.schemas)).toContain("io.k8s.api.coordination.v1.Lease");
    expect(Object.keys(lease.components.schemas)).not.toContain("io.k8s.api.core.v1.PodSpec");
  });

  test("openapiV3Document: a served kind without a schema gets a permissive one and no strategic merge", () => {
    const chaos = makeResource("PodChaos", "podchaos", (r) => {
      r.group = "chaos.kemu.io";
      r.subresources = ["status"];
    });
    const d = openapiV3Document("apis/chaos.kemu.io/v1", [chaos]) as Doc;
    const schema = d.components.schemas["io.kemu.chaos.v1.PodChaos"] as Record<string, unknown>;
    expect(schema["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    expect(schema["x-kubernetes-group-version-kind"]).toEqual([
      { group: "chaos.kemu.io", version: "v1", kind: "PodChaos" },
    ]);
    expect(d.components.schemas).toHaveProperty(["io.kemu.chaos.v1.PodChaosList"]);
    const patches = operations(d, "patch");
    expect(patches.map((p) => p.path)).toEqual([
      "/apis/chaos.kemu.io/v1/namespaces/{namespace}/podchaos/{name}",
      "/apis/chaos.kemu.io/v1/namespaces/{namespace}/podchaos/{name}/status",
    ]);
    for (const { op } of patches) {
      expect(op.parameters?.some((p) => p.name === "fieldValidation")).toBe(true);
      expect(Object.keys(op.requestBody?.content ?? {})).not.toContain(
        "application/strategic-merge-patch+json",
      );
    }
  });
});
