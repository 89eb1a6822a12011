import { describe, expect, it } from "vitest";
import { KNOWN_PATCH_META, knownPatchSchema } from "./known.ts";
import { schemaFromSpec, type PatchSchema, type SchemaSpec } from "./schema.ts";

describe("schemaFromSpec", () => {
  it("schemaFromSpec: returns the declared strategy and merge key", () => {
    const schema = schemaFromSpec({
      fields: { containers: { patchStrategy: "merge", patchMergeKey: "name" } },
    });
    expect(schema.field("containers")).toEqual({ patchStrategy: "merge", patchMergeKey: "name" });
  });

  it("schemaFromSpec: unknown and prototype field names are unknown", () => {
    const schema = schemaFromSpec({ fields: { a: {} } });
    expect(schema.field("b")).toBeUndefined();
    expect(schema.field("constructor")).toBeUndefined();
    expect(schema.field("__proto__")).toBeUndefined();
  });

  it("schemaFromSpec: a recursive spec yields one schema per type", () => {
    const item: SchemaSpec = { fields: {} };
    item.fields.children = { patchStrategy: "merge", patchMergeKey: "name", schema: item };
    const schema = schemaFromSpec(item);
    const child = schema.field("children")?.schema;
    expect(child).toBe(schema);
    expect(child?.field("children")?.schema).toBe(schema);
  });

  it("schemaFromSpec: a nested PatchSchema is used as it is", () => {
    const inner: PatchSchema = { field: (name) => (name === "x" ? { patchStrategy: "merge" } : undefined) };
    const schema = schemaFromSpec({ fields: { spec: { schema: inner } } });
    expect(schema.field("spec")?.schema).toBe(inner);
  });
});

describe("KNOWN_PATCH_META", () => {
  const types = Object.keys(KNOWN_PATCH_META);

  it("KNOWN_PATCH_META: every referenced type has an entry", () => {
    for (const t of types) {
      for (const [field, meta] of Object.entries(KNOWN_PATCH_META[t] ?? {})) {
        if (meta.type !== undefined) expect(types, `${t}.${field}`).toContain(meta.type);
      }
    }
  });

  it("KNOWN_PATCH_META: strategies are ones apimachinery knows, merge keys only with merge", () => {
    for (const t of types) {
      for (const [field, meta] of Object.entries(KNOWN_PATCH_META[t] ?? {})) {
        const where = `${t}.${field}`;
        if (meta.patchStrategy !== undefined) {
          expect(["merge", "retainKeys", "merge,retainKeys"], where).toContain(meta.patchStrategy);
        }
        if (meta.patchMergeKey !== undefined) expect(meta.patchStrategy, where).toMatch(/^merge/);
      }
    }
  });

  it("KNOWN_PATCH_META: the served kinds have entries", () => {
    for (const kind of [
      "io.k8s.api.core.v1.Pod",
      "io.k8s.api.core.v1.Service",
      "io.k8s.api.core.v1.Node",
      "io.k8s.api.core.v1.Namespace",
      "io.k8s.api.core.v1.Endpoints",
      "io.k8s.api.core.v1.ConfigMap",
      "io.k8s.api.core.v1.Event",
      "io.k8s.api.events.v1.Event",
      "io.k8s.api.coordination.v1.Lease",
      "io.k8s.api.discovery.v1.EndpointSlice",
      "io.k8s.api.apps.v1.Deployment",
      "io.k8s.api.apps.v1.ReplicaSet",
      "io.k8s.api.apps.v1.DaemonSet",
    ]) {
      expect(KNOWN_PATCH_META[kind]?.metadata?.type, kind).toBe(
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
      );
    }
  });
});

describe("knownPatchSchema", () => {
  it("knownPatchSchema: walks from a Deployment down to container ports", () => {
    const deployment = knownPatchSchema("io.k8s.api.apps.v1.Deployment");
    const podSpec = deployment?.field("spec")?.schema?.field("template")?.schema?.field("spec")?.schema;
    const containers = podSpec?.field("containers");
    expect(containers).toMatchObject({ patchStrategy: "merge", patchMergeKey: "name" });
    expect(containers?.schema?.field("ports")).toEqual({
      patchStrategy: "merge",
      patchMergeKey: "containerPort",
    });
    expect(podSpec?.field("volumes")).toEqual({ patchStrategy: "merge,retainKeys", patchMergeKey: "name" });
    expect(podSpec?.field("tolerations")).toEqual({});
    expect(podSpec?.field("nodeSelector")).toBeUndefined();
  });

  it("knownPatchSchema: ObjectMeta merges finalizers as a set and ownerReferences by uid", () => {
    const meta = knownPatchSchema("io.k8s.api.core.v1.Pod")?.field("metadata")?.schema;
    expect(meta?.field("finalizers")).toEqual({ patchStrategy: "merge" });
    expect(meta?.field("ownerReferences")).toEqual({ patchStrategy: "merge", patchMergeKey: "uid" });
    expect(meta?.field("labels")).toBeUndefined();
  });

  it("knownPatchSchema: unknown types are undefined and known ones are memoised", () => {
    expect(knownPatchSchema("io.k8s.api.core.v1.Nope")).toBeUndefined();
    expect(knownPatchSchema("toString")).toBeUndefined();
    expect(knownPatchSchema("io.k8s.api.core.v1.Pod")).toBe(knownPatchSchema("io.k8s.api.core.v1.Pod"));
  });
});
