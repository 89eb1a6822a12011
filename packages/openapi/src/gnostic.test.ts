// Decodes the protobuf with a small reader written from OpenAPIv2.proto, independently of the encoder,
// and checks it gives back the JSON document. The reader rejects any field number it does not expect,
// so a field written under the wrong number fails here rather than being silently dropped by kubectl.

import { describe, expect, test } from "vitest";
import { openapiV2Document, openapiV2Protobuf, type ServedResource } from "./index.ts";
import { toYAML } from "./yaml.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const RESOURCES: ServedResource[] = [
  ["", "Pod", "pods", ["status", "eviction", "binding", "log"]] as const,
  ["", "Service", "services", ["status"]] as const,
  ["", "ConfigMap", "configmaps", []] as const,
  ["apps", "Deployment", "deployments", ["status", "scale"]] as const,
  ["chaos.kemu.io", "PodChaos", "podchaos", ["status"]] as const,
].map(([group, kind, resource, subresources]) => ({
  group,
  version: "v1",
  kind,
  resource,
  namespaced: true,
  subresources: [...subresources],
  verbs: ALL_VERBS,
}));

// ---- A minimal protobuf reader: a message is its fields grouped by number. ----

type Json = Record<string, unknown>;

class Message {
  private readonly fields = new Map<number, (number | Uint8Array)[]>();

  constructor(buf: Uint8Array, what: string, allowed: number[]) {
    let pos = 0;
    const varint = () => {
      let result = 0;
      let scale = 1;
      for (;;) {
        const b = buf[pos++];
        if (b === undefined) throw new Error(`${what}: truncated varint`);
        result += (b & 0x7f) * scale;
        if (b < 0x80) return result;
        scale *= 128;
      }
    };
    while (pos < buf.length) {
      const key = varint();
      const num = Math.floor(key / 8);
      const wireType = key % 8;
      if (!allowed.includes(num)) throw new Error(`${what}: unexpected field ${num}`);
      let value: number | Uint8Array;
      if (wireType === 0) value = varint();
      else if (wireType === 2) {
        const len = varint();
        if (pos + len > buf.length) throw new Error(`${what}: truncated field ${num}`);
        value = buf.subarray(pos, pos + len);
        pos += len;
      } else throw new Error(`${what}: wire type ${wireType} in field ${num}`);
      this.fields.set(num, [...(this.fields.get(num) ?? []), value]);
    }
  }

  private all(num: number): (number | Uint8Array)[] {
    return this.fields.get(num) ?? [];
  }

  bytesList(num: number): Uint8Array[] {
    return this.all(num).map((v) => {
      if (typeof v === "number") throw new Error(`field ${num} is a varint, expected bytes`);
      return v;
    });
  }

  bytes(num: number): Uint8Array | undefined {
    const list = this.bytesList(num);
    if (list.length > 1) throw new Error(`field ${num} repeated`);
    return list[0];
  }

  strings(num: number): string[] {
    return this.bytesList(num).map((b) => new TextDecoder("utf-8", { fatal: true }).decode(b));
  }

  string(num: number): string | undefined {
    return this.strings(num)[0];
  }

  bool(num: number): boolean | undefined {
    const v = this.all(num)[0];
    if (v === undefined) return undefined;
    if (typeof v !== "number") throw new Error(`field ${num} is bytes, expected a bool`);
    return v === 1;
  }

  has(num: number): boolean {
    return this.fields.has(num);
  }
}

// Sets out[key] only when the value is present, as JSON omits absent fields.
function put(out: Json, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} missing`);
  return v;
}

// Named* (name = 1, value = 2) as a JSON object entry.
function namedEntries(
  list: Uint8Array[],
  what: string,
  value: (b: Uint8Array) => unknown,
): [string, unknown][] {
  return list.map((b) => {
    const m = new Message(b, what, [1, 2]);
    return [required(m.string(1), `${what}.name`), value(required(m.bytes(2), `${what}.value`))];
  });
}

// vendor_extension: NamedAny { name, Any { value = 1 (unused), yaml = 2 } } -> { name: yaml text }.
function extensions(out: Json, list: Uint8Array[]): void {
  for (const [name, yaml] of namedEntries(list, "NamedAny", (b) =>
    required(new Message(b, "Any", [2]).string(2), "Any.yaml"),
  ))
    out[name] = yaml;
}

function schema(b: Uint8Array): Json {
  const m = new Message(b, "Schema", [1, 2, 4, 19, 21, 22, 23, 24, 25, 31]);
  const out: Json = {};
  put(out, "$ref", m.string(1));
  put(out, "format", m.string(2));
  put(out, "description", m.string(4));
  if (m.has(19)) out.required = m.strings(19);
  const additional = m.bytes(21);
  if (additional) {
    const a = new Message(additional, "AdditionalPropertiesItem", [1, 2]);
    const s = a.bytes(1);
    out.additionalProperties = s ? schema(s) : required(a.bool(2), "AdditionalPropertiesItem");
  }
  const type = m.bytes(22);
  if (type) {
    const types = new Message(type, "TypeItem", [1]).strings(1);
    expect(types).toHaveLength(1);
    out.type = types[0];
  }
  const items = m.bytes(23);
  if (items) {
    const list = new Message(items, "ItemsItem", [1]).bytesList(1);
    expect(list).toHaveLength(1);
    out.items = schema(list[0] as Uint8Array);
  }
  if (m.has(24)) out.allOf = m.bytesList(24).map(schema);
  const properties = m.bytes(25);
  if (properties)
    out.properties = Object.fromEntries(
      namedEntries(new Message(properties, "Properties", [1]).bytesList(1), "NamedSchema", schema),
    );
  extensions(out, m.bytesList(31));
  return out;
}

function parameter(b: Uint8Array): Json {
  const item = new Message(b, "ParametersItem", [1]);
  const p = new Message(required(item.bytes(1), "ParametersItem.parameter"), "Parameter", [1, 2]);
  const out: Json = {};
  const body = p.bytes(1);
  if (body) {
    const m = new Message(body, "BodyParameter", [1, 2, 3, 4, 5]);
    put(out, "description", m.string(1));
    put(out, "name", m.string(2));
    put(out, "in", m.string(3));
    put(out, "required", m.bool(4));
    out.schema = schema(required(m.bytes(5), "BodyParameter.schema"));
    expect(out.in).toBe("body");
    return out;
  }
  const nonBody = new Message(required(p.bytes(2), "Parameter"), "NonBodyParameter", [3, 4]);
  const query = nonBody.bytes(3);
  const sub = query
    ? new Message(query, "QueryParameterSubSchema", [1, 2, 3, 4, 6, 20])
    : new Message(
        required(nonBody.bytes(4), "NonBodyParameter"),
        "PathParameterSubSchema",
        [1, 2, 3, 4, 5, 19],
      );
  put(out, "required", sub.bool(1));
  put(out, "in", sub.string(2));
  put(out, "description", sub.string(3));
  put(out, "name", sub.string(4));
  put(out, "type", sub.string(query ? 6 : 5));
  put(out, "uniqueItems", sub.bool(query ? 20 : 19));
  expect(out.in).toBe(query ? "query" : "path");
  return out;
}

function operation(b: Uint8Array): Json {
  const m = new Message(b, "Operation", [1, 3, 5, 6, 7, 8, 9, 10, 13]);
  const out: Json = { tags: m.strings(1), produces: m.strings(6), consumes: m.strings(7) };
  put(out, "description", m.string(3));
  put(out, "operationId", m.string(5));
  if (m.has(8)) out.parameters = m.bytesList(8).map(parameter);
  const responses = new Message(required(m.bytes(9), "Operation.responses"), "Responses", [1]);
  out.responses = Object.fromEntries(
    namedEntries(responses.bytesList(1), "NamedResponseValue", (rv) => {
      const value = new Message(rv, "ResponseValue", [1]);
      const r = new Message(required(value.bytes(1), "ResponseValue.response"), "Response", [1, 2]);
      const response: Json = { description: r.string(1) };
      const item = r.bytes(2);
      if (item)
        response.schema = schema(required(new Message(item, "SchemaItem", [1]).bytes(1), "SchemaItem"));
      return response;
    }),
  );
  out.schemes = m.strings(10);
  extensions(out, m.bytesList(13));
  return out;
}

function pathItem(b: Uint8Array): Json {
  const m = new Message(b, "PathItem", [2, 3, 4, 5, 8, 9]);
  const out: Json = {};
  for (const [num, method] of [
    [2, "get"],
    [3, "put"],
    [4, "post"],
    [5, "delete"],
    [8, "patch"],
  ] as const) {
    const op = m.bytes(num);
    if (op) out[method] = operation(op);
  }
  if (m.has(9)) out.parameters = m.bytesList(9).map(parameter);
  return out;
}

function decodeDocument(b: Uint8Array): Json {
  const m = new Message(b, "Document", [1, 2, 8, 9, 12, 13]);
  const info = new Message(required(m.bytes(2), "Document.info"), "Info", [1, 2]);
  const paths = new Message(required(m.bytes(8), "Document.paths"), "Paths", [2]);
  const definitions = new Message(required(m.bytes(9), "Document.definitions"), "Definitions", [1]);
  const securityDefinitions = new Message(
    required(m.bytes(13), "securityDefinitions"),
    "SecurityDefinitions",
    [1],
  );
  return {
    swagger: m.string(1),
    info: { title: info.string(1), version: info.string(2) },
    paths: Object.fromEntries(namedEntries(paths.bytesList(2), "NamedPathItem", pathItem)),
    definitions: Object.fromEntries(namedEntries(definitions.bytesList(1), "NamedSchema", schema)),
    securityDefinitions: Object.fromEntries(
      namedEntries(securityDefinitions.bytesList(1), "NamedSecurityDefinitionsItem", (b) => {
        const item = new Message(b, "SecurityDefinitionsItem", [2]);
        const k = new Message(required(item.bytes(2), "api_key_security"), "ApiKeySecurity", [1, 2, 3, 4]);
        return { type: k.string(1), name: k.string(2), in: k.string(3), description: k.string(4) };
      }),
    ),
    security: m
      .bytesList(12)
      .map((b) =>
        Object.fromEntries(
          namedEntries(new Message(b, "SecurityRequirement", [1]).bytesList(1), "NamedStringArray", (a) =>
            new Message(a, "StringArray", [1]).strings(1),
          ),
        ),
      ),
  };
}

// The JSON document with every vendor extension's value replaced by the YAML text the protobuf carries.
function withYAMLExtensions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withYAMLExtensions);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k.startsWith("x-") ? toYAML(v) : withYAMLExtensions(v)]),
  );
}

describe("openapiV2Protobuf", () => {
  test("openapiV2Protobuf: decodes back to the JSON document, field for field", () => {
    const decoded = decodeDocument(openapiV2Protobuf(RESOURCES).bytes);
    const json: unknown = JSON.parse(openapiV2Document(RESOURCES).json);
    expect(decoded).toEqual(withYAMLExtensions(json));
  });

  test("openapiV2Protobuf: keeps document order of definitions and properties", () => {
    const decoded = decodeDocument(openapiV2Protobuf(RESOURCES).bytes) as {
      definitions: Record<string, { properties?: object }>;
    };
    const json = JSON.parse(openapiV2Document(RESOURCES).json) as typeof decoded;
    expect(Object.keys(decoded.definitions)).toEqual(Object.keys(json.definitions));
    const pod = "io.k8s.api.core.v1.PodSpec";
    expect(Object.keys(decoded.definitions[pod]?.properties ?? {})).toEqual(
      Object.keys(json.definitions[pod]?.properties ?? {}),
    );
  });

  test("openapiV2Protobuf: the GVK extension is YAML that kubectl's yaml.Unmarshal reads as a list of maps", () => {
    const decoded = decodeDocument(openapiV2Protobuf(RESOURCES).bytes) as {
      definitions: Record<string, Json>;
      paths: Record<string, Record<string, Json>>;
    };
    expect(decoded.definitions["io.k8s.api.core.v1.Service"]?.["x-kubernetes-group-version-kind"]).toBe(
      '- group: ""\n  version: v1\n  kind: Service\n',
    );
    const patch = decoded.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]?.patch;
    expect(patch?.["x-kubernetes-group-version-kind"]).toBe("group: apps\nversion: v1\nkind: Deployment\n");
    expect(patch?.["x-kubernetes-action"]).toBe("patch\n");
  });

  test("openapiV2Protobuf: the encoding is deterministic", () => {
    const a = openapiV2Protobuf(RESOURCES).bytes;
    const b = openapiV2Protobuf(RESOURCES.filter((r) => r.kind !== "ConfigMap")).bytes;
    const c = openapiV2Protobuf([...RESOURCES.slice(1), ...RESOURCES.slice(0, 1)]).bytes;
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(false);
  });
});
