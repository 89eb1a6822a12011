import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  OPENAPI_V2_PROTOBUF,
  openapiV2Document,
  openapiV2Protobuf,
  openapiV2Response,
  type ServedResource,
} from "./index.ts";
import type { V2Document, V2Schema } from "./v2.ts";

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
  makeResource("Pod", "pods", (r) => (r.subresources = ["status", "eviction", "binding", "log"])),
  makeResource("Service", "services", (r) => (r.subresources = ["status"])),
  makeResource("Namespace", "namespaces", (r) => {
    r.namespaced = false;
    r.subresources = ["status"];
  }),
  makeResource("Deployment", "deployments", (r) => {
    r.group = "apps";
    r.subresources = ["status", "scale"];
  }),
  // A kemu-specific kind without a published schema.
  makeResource("PodChaos", "podchaos", (r) => (r.group = "chaos.kemu.io")),
];

const doc = (resources = RESOURCES) => JSON.parse(openapiV2Document(resources).json) as V2Document;

// Every schema node of every definition, with its path for failure messages.
function* walk(schema: V2Schema, path: string): Generator<[string, V2Schema]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* walk(v, `${path}.${k}`);
  if (schema.items) yield* walk(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === "object") yield* walk(schema.additionalProperties, `${path}{}`);
  for (const [i, s] of (schema.allOf ?? []).entries()) yield* walk(s, `${path}.allOf[${i}]`);
}

describe("openapiV2Document", () => {
  test("openapiV2Document: definitions are keyed by upstream names and carry their GVK", () => {
    const d = doc();
    expect(d.swagger).toBe("2.0");
    expect(d.definitions["io.k8s.api.core.v1.Pod"]?.["x-kubernetes-group-version-kind"]).toEqual([
      { group: "", version: "v1", kind: "Pod" },
    ]);
    expect(d.definitions["io.k8s.api.apps.v1.Deployment"]?.["x-kubernetes-group-version-kind"]).toEqual([
      { group: "apps", version: "v1", kind: "Deployment" },
    ]);
    expect(d.definitions["io.k8s.api.core.v1.ServiceSpec"]?.properties?.ports).toMatchObject({
      type: "array",
      items: { $ref: "#/definitions/io.k8s.api.core.v1.ServicePort" },
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-patch-merge-key": "port",
    });
  });

  test("openapiV2Document: every schema parses under kubectl's rules (kube-openapi pkg/util/proto)", () => {
    const d = doc();
    const problems: string[] = [];
    for (const [name, definition] of Object.entries(d.definitions))
      for (const [path, s] of walk(definition, name)) {
        if (s.$ref !== undefined) {
          const target = s.$ref.replace(/^#\/definitions\//, "");
          if (!s.$ref.startsWith("#/definitions/") || !d.definitions[target])
            problems.push(`${path}: dangling`);
          if (s.type || s.properties) problems.push(`${path}: $ref with a type or properties`);
        }
        if (s.type && !["object", "array", "string", "integer", "number", "boolean"].includes(s.type))
          problems.push(`${path}: type ${s.type}`);
        if (s.type === "array" && !s.items) problems.push(`${path}: array without items`);
        if (s.properties && s.type && s.type !== "object") problems.push(`${path}: properties on ${s.type}`);
      }
    expect(problems).toEqual([]);
  });

  test("openapiV2Document: a described ref is a sibling $ref, not v3's allOf wrapper", () => {
    const spec = doc().definitions["io.k8s.api.apps.v1.Deployment"]?.properties?.spec;
    expect(spec?.$ref).toBe("#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
    expect(spec?.description).toBeTruthy();
    expect(spec?.allOf).toBeUndefined();
  });

  test("openapiV2Document: IntOrString and Quantity are strings, as upstream's v2 has them", () => {
    const d = doc();
    expect(d.definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({
      type: "string",
      format: "int-or-string",
    });
    expect(d.definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]?.type).toBe("string");
  });

  test("openapiV2Document: a kind without a schema takes any fields (no properties to reject them)", () => {
    const chaos = doc().definitions["io.kemu.chaos.v1.PodChaos"];
    expect(chaos).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      "x-kubernetes-group-version-kind": [{ group: "chaos.kemu.io", version: "v1", kind: "PodChaos" }],
    });
    expect(chaos?.properties).toBeUndefined();
  });

  test("openapiV2Document: paths carry operations with action, GVK, body and query parameters", () => {
    const d = doc();
    const item = d.paths["/api/v1/namespaces/{namespace}/services/{name}"];
    expect(item?.parameters?.map((p) => p.name)).toEqual(["name", "namespace", "pretty"]);
    expect(item?.parameters?.[0]).toMatchObject({ in: "path", required: true, type: "string" });
    const patch = item?.patch;
    expect(patch).toMatchObject({
      operationId: "patchCoreV1NamespacedService",
      "x-kubernetes-action": "patch",
      "x-kubernetes-group-version-kind": { group: "", version: "v1", kind: "Service" },
      consumes: expect.arrayContaining(["application/strategic-merge-patch+json"]),
      responses: { "200": { schema: { $ref: "#/definitions/io.k8s.api.core.v1.Service" } } },
    });
    expect(patch?.parameters?.[0]).toEqual({
      name: "body",
      in: "body",
      required: true,
      schema: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" },
    });
    expect(patch?.parameters?.find((p) => p.name === "fieldValidation")).toMatchObject({
      in: "query",
      type: "string",
    });
    const create = d.paths["/apis/apps/v1/namespaces/{namespace}/deployments"]?.post;
    expect(create?.["x-kubernetes-action"]).toBe("post");
    expect(create?.parameters?.[0]).toMatchObject({
      in: "body",
      schema: { $ref: "#/definitions/io.k8s.api.apps.v1.Deployment" },
    });
    expect(d.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]?.put).toMatchObject({
      "x-kubernetes-group-version-kind": { group: "autoscaling", version: "v1", kind: "Scale" },
    });
    expect(d.paths["/api/v1/namespaces"]?.get?.["x-kubernetes-action"]).toBe("list");
  });

  test("openapiV2Document: ETag is the quoted SHA-512 of the JSON, shared with the protobuf", () => {
    const { json, etag } = openapiV2Document(RESOURCES);
    expect(etag).toBe(`"${createHash("sha512").update(json).digest("hex").toUpperCase()}"`);
    expect(openapiV2Protobuf(RESOURCES).etag).toBe(etag);
  });

  test("openapiV2Document: cached per resource set, whatever the order; a new set gets a new document", () => {
    const first = openapiV2Document(RESOURCES);
    expect(openapiV2Document([...RESOURCES].reverse())).toStrictEqual(first);
    expect(openapiV2Protobuf([...RESOURCES]).bytes).toBe(openapiV2Protobuf(RESOURCES).bytes);
    const fewer = openapiV2Document(RESOURCES.filter((r) => r.kind !== "Service"));
    expect(fewer.etag).not.toBe(first.etag);
    expect(JSON.parse(fewer.json).paths["/api/v1/namespaces/{namespace}/services"]).toBeUndefined();
  });
});

describe("openapiV2Response", () => {
  const typeFor = (accept: string | undefined) => openapiV2Response(RESOURCES, accept)?.contentType;

  test("openapiV2Response: kubectl's Accept gets the protobuf under the Content-Type client-go can parse", () => {
    const answer = openapiV2Response(RESOURCES, "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
    expect(answer?.contentType).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    expect(answer?.contentType).toBe(OPENAPI_V2_PROTOBUF);
    expect(answer?.body).toBe(openapiV2Protobuf(RESOURCES).bytes);
    expect(answer?.etag).toBe(openapiV2Document(RESOURCES).etag);
    expect(typeFor("application/com.github.proto-openapi.spec.v2.v1.0+protobuf")).toBe(OPENAPI_V2_PROTOBUF);
  });

  test("openapiV2Response: JSON for JSON, wildcards and no Accept; 406 (undefined) for anything else", () => {
    expect(openapiV2Response(RESOURCES, "application/json")?.body).toBe(openapiV2Document(RESOURCES).json);
    expect(typeFor(undefined)).toBe("application/json");
    expect(typeFor("")).toBe("application/json");
    expect(typeFor("*/*")).toBe("application/json");
    expect(typeFor("application/*")).toBe("application/json");
    expect(typeFor("text/html")).toBeUndefined();
  });

  test("openapiV2Response: the most preferred clause wins, by q and then specificity", () => {
    const pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    expect(typeFor(`application/json;q=0.5, ${pb}`)).toBe(OPENAPI_V2_PROTOBUF);
    expect(typeFor(`${pb};q=0.9, application/json`)).toBe("application/json");
    expect(typeFor(`*/*, ${pb}`)).toBe(OPENAPI_V2_PROTOBUF);
    expect(typeFor("text/html, application/json;q=0.1")).toBe("application/json");
  });
});
