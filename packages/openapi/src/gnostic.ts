// The swagger 2.0 document as gnostic's openapi_v2.Document protobuf (github.com/google/gnostic-models,
// openapiv2/OpenAPIv2.proto), the encoding kubectl asks /openapi/v2 for
// (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and proto.Unmarshals.
//
// kube-apiserver produces it by parsing its JSON document with gnostic (kube-openapi ToProtoBinary), so
// this encodes what that parse yields: maps become repeated Named* (name, value) pairs in document
// order; a schema's `type` is a TypeItem and its `items` an ItemsItem holding one schema; a parameter
// is a ParametersItem > Parameter > BodyParameter or NonBodyParameter > Query/PathParameterSubSchema;
// every "x-" key becomes a NamedAny whose Any carries the value's YAML text (yaml.ts), not a
// google.protobuf.Any. Fields are written in field-number order, as Go's proto.Marshal does.
//
// Only the fields kemu's documents use are encoded; the V2* types in v2.ts name exactly those, so a new
// field there is a compile-time prompt to encode it here.

import type {
  V2ApiKeySecurity,
  V2Document,
  V2Operation,
  V2Parameter,
  V2PathItem,
  V2Response,
  V2Schema,
} from "./v2.ts";
import { ProtoWriter } from "./wire.ts";
import { toYAML } from "./yaml.ts";

/** The gnostic openapi_v2.Document encoding of `doc`. */
export function encodeDocument(doc: V2Document): Uint8Array {
  const w = new ProtoWriter().string(1, doc.swagger);
  w.bytes(2, new ProtoWriter().string(1, doc.info.title).string(2, doc.info.version).finish());
  const paths = new ProtoWriter();
  for (const [name, item] of Object.entries(doc.paths)) paths.bytes(2, named(name, pathItem(item)));
  w.bytes(8, paths.finish());
  w.bytes(9, namedSchemas(doc.definitions));
  for (const requirement of doc.security) {
    const r = new ProtoWriter();
    for (const [name, scopes] of Object.entries(requirement))
      r.bytes(1, named(name, new ProtoWriter().strings(1, scopes).finish()));
    w.bytes(12, r.finish());
  }
  const defs = new ProtoWriter();
  for (const [name, scheme] of Object.entries(doc.securityDefinitions))
    defs.bytes(1, named(name, new ProtoWriter().bytes(2, apiKeySecurity(scheme)).finish()));
  w.bytes(13, defs.finish());
  // A copy, so the cached document does not keep the writer's spare capacity alive.
  return w.finish().slice();
}

// Named* messages: name = 1, value = 2.
function named(name: string, value: Uint8Array): Uint8Array {
  return new ProtoWriter().string(1, name).bytes(2, value).finish();
}

// Definitions and Properties: repeated NamedSchema additional_properties = 1.
function namedSchemas(schemas: Record<string, V2Schema>): Uint8Array {
  const w = new ProtoWriter();
  for (const [name, s] of Object.entries(schemas)) w.bytes(1, named(name, schema(s)));
  return w.finish();
}

// NamedAny { name, Any { yaml = 2 } } for every "x-" key, in document order.
function vendorExtensions(w: ProtoWriter, num: number, obj: object): void {
  for (const [k, v] of Object.entries(obj))
    if (k.startsWith("x-")) w.bytes(num, named(k, new ProtoWriter().string(2, toYAML(v)).finish()));
}

function schema(s: V2Schema): Uint8Array {
  const w = new ProtoWriter().string(1, s.$ref).string(2, s.format).string(4, s.description);
  w.strings(19, s.required);
  if (s.additionalProperties !== undefined) {
    const a = s.additionalProperties;
    w.bytes(
      21,
      typeof a === "boolean"
        ? new ProtoWriter().bool(2, a, true).finish()
        : new ProtoWriter().bytes(1, schema(a)).finish(),
    );
  }
  if (s.type !== undefined) w.bytes(22, new ProtoWriter().strings(1, [s.type]).finish());
  if (s.items) w.bytes(23, new ProtoWriter().bytes(1, schema(s.items)).finish());
  for (const a of s.allOf ?? []) w.bytes(24, schema(a));
  if (s.properties) w.bytes(25, namedSchemas(s.properties));
  vendorExtensions(w, 31, s);
  return w.finish();
}

function pathItem(item: V2PathItem): Uint8Array {
  const w = new ProtoWriter();
  // PathItem: get = 2, put = 3, post = 4, delete = 5, (options = 6, head = 7), patch = 8.
  const methods = [
    [2, item.get],
    [3, item.put],
    [4, item.post],
    [5, item.delete],
    [8, item.patch],
  ] as const;
  for (const [num, op] of methods) if (op) w.bytes(num, operation(op));
  for (const p of item.parameters ?? []) w.bytes(9, parametersItem(p));
  return w.finish();
}

function operation(op: V2Operation): Uint8Array {
  const w = new ProtoWriter().strings(1, op.tags).string(3, op.description).string(5, op.operationId);
  w.strings(6, op.produces).strings(7, op.consumes);
  for (const p of op.parameters ?? []) w.bytes(8, parametersItem(p));
  const responses = new ProtoWriter();
  for (const [code, r] of Object.entries(op.responses)) responses.bytes(1, named(code, responseValue(r)));
  w.bytes(9, responses.finish());
  w.strings(10, op.schemes);
  vendorExtensions(w, 13, op);
  return w.finish();
}

// ResponseValue { response = 1: Response { description = 1, schema = 2: SchemaItem { schema = 1 } } }.
function responseValue(r: V2Response): Uint8Array {
  const response = new ProtoWriter().string(1, r.description);
  if (r.schema) response.bytes(2, new ProtoWriter().bytes(1, schema(r.schema)).finish());
  return new ProtoWriter().bytes(1, response.finish()).finish();
}

// ParametersItem { parameter = 1: Parameter { body_parameter = 1 | non_body_parameter = 2 } }.
function parametersItem(p: V2Parameter): Uint8Array {
  const parameter = new ProtoWriter();
  if (p.in === "body") {
    const body = new ProtoWriter().string(1, p.description).string(2, p.name).string(3, p.in);
    body.bool(4, p.required).bytes(5, schema(p.schema));
    parameter.bytes(1, body.finish());
  } else {
    // QueryParameterSubSchema and PathParameterSubSchema share fields 1-4 (required, in, description,
    // name); query has allow_empty_value = 5 before type = 6 and unique_items = 20, path has type = 5
    // and unique_items = 19. NonBodyParameter: query_parameter_sub_schema = 3, path_parameter_sub_schema = 4.
    const query = p.in === "query";
    const sub = new ProtoWriter()
      .bool(1, p.required)
      .string(2, p.in)
      .string(3, p.description)
      .string(4, p.name);
    sub.string(query ? 6 : 5, p.type).bool(query ? 20 : 19, p.uniqueItems);
    parameter.bytes(2, new ProtoWriter().bytes(query ? 3 : 4, sub.finish()).finish());
  }
  return new ProtoWriter().bytes(1, parameter.finish()).finish();
}

// ApiKeySecurity { type = 1, name = 2, in = 3, description = 4 }.
function apiKeySecurity(s: V2ApiKeySecurity): Uint8Array {
  return new ProtoWriter()
    .string(1, s.type)
    .string(2, s.name)
    .string(3, s.in)
    .string(4, s.description)
    .finish();
}
