// The OpenAPI v2 (swagger 2.0) document kube-apiserver serves at /openapi/v2, derived from this
// package's OpenAPI v3 documents: the paths of every served group-version and every published schema.
//
// What kubectl 1.32 reads from it (always as protobuf, see gnostic.ts):
//  - Client-side validation (openapivalidation.NewSchemaValidation), its fallback when the kind has no
//    PATCH operation with a fieldValidation parameter in /openapi/v3, which is always the case for
//    `kind: List` files. It finds the definition whose x-kubernetes-group-version-kind holds the
//    object's GVK (for a List, each item's) and walks it (kube-openapi pkg/util/proto): properties
//    (unknown fields are errors), required, primitive types, items, additionalProperties and
//    "#/definitions/..." refs. Parsing fails for the whole document on a $ref with a type or properties,
//    a dangling $ref, an array without items or a type outside the six JSON types.
//  - The fallback fieldValidation check (resource.QueryParamVerifier): the first path whose PATCH has
//    the kind's x-kubernetes-group-version-kind, and whether that PATCH lists a fieldValidation query
//    parameter.
//
// Differences from the v3 documents, as upstream's v2 has them: refs are "#/definitions/<name>" with
// sibling description and extensions instead of an allOf wrapper; IntOrString and Quantity (oneOf in
// the v3 schemas) are type string, which kubectl's validation takes to accept any scalar; a schema
// with x-kubernetes-preserve-unknown-fields loses its properties, as apiextensions' v2 conversion does,
// so kubectl does not reject the fields it does not know; request bodies are `in: body` parameters.
//
// Limitations vs Kubernetes: shared parameters are inlined instead of referenced from a top-level
// `parameters` section; info.version is "unversioned".

import { createHash } from "node:crypto";
import { groupVersionPath, openapiV3Document, type ServedResource } from "./document.ts";
import { encodeDocument } from "./gnostic.ts";
import { REF_PREFIX, catalog, type Schema } from "./schema.ts";

/** Vendor extensions: any key starting with "x-". */
export type Extensions = { [key: `x-${string}`]: unknown };

/** A swagger 2.0 schema object, as far as kemu's definitions use it. */
export interface V2Schema extends Extensions {
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  required?: string[];
  properties?: Record<string, V2Schema>;
  items?: V2Schema;
  additionalProperties?: V2Schema | boolean;
  allOf?: V2Schema[];
}

/** A query or path parameter. */
export interface V2NonBodyParameter {
  uniqueItems?: boolean;
  type: string;
  description?: string;
  name: string;
  in: "query" | "path";
  required?: boolean;
}

/** The request body of an operation. */
export interface V2BodyParameter {
  name: string;
  in: "body";
  description?: string;
  required?: boolean;
  schema: V2Schema;
}

/** A swagger 2.0 parameter object. */
export type V2Parameter = V2NonBodyParameter | V2BodyParameter;

/** A swagger 2.0 response object. */
export interface V2Response {
  description: string;
  schema?: V2Schema;
}

/** A swagger 2.0 operation object. */
export interface V2Operation extends Extensions {
  description?: string;
  consumes?: string[];
  produces?: string[];
  schemes?: string[];
  tags?: string[];
  operationId?: string;
  parameters?: V2Parameter[];
  responses: Record<string, V2Response>;
}

/** The HTTP methods kube-apiserver's paths use. */
export const V2_METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** A swagger 2.0 path item. */
export type V2PathItem = { [M in (typeof V2_METHODS)[number]]?: V2Operation } & {
  parameters?: V2Parameter[];
};

/** The api-key security scheme (kube-apiserver's BearerToken). */
export interface V2ApiKeySecurity {
  type: "apiKey";
  name: string;
  in: string;
  description?: string;
}

/** A swagger 2.0 document, as far as kube-apiserver's uses it. */
export interface V2Document {
  swagger: "2.0";
  info: { title: string; version: string };
  paths: Record<string, V2PathItem>;
  definitions: Record<string, V2Schema>;
  securityDefinitions: Record<string, V2ApiKeySecurity>;
  security: Record<string, string[]>[];
}

/** The v2 document, serialized; the protobuf is encoded on first request, from the JSON as upstream does. */
interface Built {
  json: string;
  etag: string;
  protobuf?: Uint8Array;
}

/** The /openapi/v2 document as JSON, with its ETag (quoted, ready for the header). */
export function openapiV2Document(resources: ServedResource[]): { json: string; etag: string } {
  const { json, etag } = build(resources);
  return { json, etag };
}

/** The /openapi/v2 document as gnostic's openapi_v2.Document protobuf, with the same ETag as the JSON. */
export function openapiV2Protobuf(resources: ServedResource[]): { bytes: Uint8Array; etag: string } {
  const built = build(resources);
  built.protobuf ??= encodeDocument(JSON.parse(built.json) as V2Document);
  return { bytes: built.protobuf, etag: built.etag };
}

/** The Content-Type kube-openapi answers a protobuf request with (client-go cannot parse the "@" form). */
export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// What GET /openapi/v2 can answer, in kube-openapi's order of preference for an equally acceptable
// range (so "*/*" gets JSON): JSON, then the protobuf under the name kubectl asks for and the new name.
const V2_MEDIA_TYPES = [
  { subtype: "json", contentType: "application/json", protobuf: false },
  {
    subtype: "com.github.proto-openapi.spec.v2@v1.0+protobuf",
    contentType: OPENAPI_V2_PROTOBUF,
    protobuf: true,
  },
  {
    subtype: "com.github.proto-openapi.spec.v2.v1.0+protobuf",
    contentType: OPENAPI_V2_PROTOBUF,
    protobuf: true,
  },
];

/**
 * The answer to GET /openapi/v2 for an Accept header, negotiated as kube-openapi does (clauses by
 * descending q, then specificity; the first servable one wins); undefined means 406 Not Acceptable.
 * Send it with its Content-Type, `ETag: etag` and `Vary: Accept`.
 */
export function openapiV2Response(
  resources: ServedResource[],
  accept: string | undefined,
): { contentType: string; body: string | Uint8Array; etag: string } | undefined {
  for (const clause of acceptClauses(accept || "*/*"))
    for (const t of V2_MEDIA_TYPES) {
      if (clause.type !== "application" && clause.type !== "*") continue;
      if (clause.subtype !== t.subtype && clause.subtype !== "*") continue;
      if (t.protobuf) {
        const { bytes, etag } = openapiV2Protobuf(resources);
        return { contentType: t.contentType, body: bytes, etag };
      }
      const { json, etag } = openapiV2Document(resources);
      return { contentType: t.contentType, body: json, etag };
    }
  return undefined;
}

// goautoneg.ParseAccept: media ranges with their q, most preferred first.
function acceptClauses(accept: string): { type: string; subtype: string }[] {
  return accept
    .split(",")
    .map((raw, index) => {
      const [range = "", ...params] = raw.split(";").map((p) => p.trim());
      const [type = "", subtype = ""] = range.split("/");
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
      const specificity = (type === "*" ? 0 : 1) + (subtype === "*" ? 0 : 1);
      return { type, subtype, q: Number.isNaN(q) ? 0 : q, specificity, index };
    })
    .sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.index - b.index);
}

// Keyed by the served resources, so a changed registry gets a new document without invalidation. A
// document is about half a megabyte in each encoding and an old resource set is rarely asked for again,
// so only the last two are kept.
const cache = new Map<string, Built>();
const CACHE_LIMIT = 2;

function build(resources: ServedResource[]): Built {
  const key = JSON.stringify(
    resources.map((r) => JSON.stringify(r)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const hit = cache.get(key);
  if (hit) return hit;
  const json = JSON.stringify(buildV2Document(resources));
  // kube-openapi's ETag: the quoted upper-case hex SHA-512 of the JSON, also sent with the protobuf.
  const etag = `"${createHash("sha512").update(json).digest("hex").toUpperCase()}"`;
  const built: Built = { json, etag };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, built);
  return built;
}

// The parts of the v3 documents (document.ts) that the conversion reads.
interface V3Parameter {
  name: string;
  in: "query" | "path";
  description?: string;
  required?: boolean;
  schema: { type: string };
}
interface V3Content {
  [mediaType: string]: { schema: Schema };
}
interface V3Operation {
  tags?: string[];
  description?: string;
  operationId?: string;
  parameters?: V3Parameter[];
  requestBody?: { content: V3Content; required?: boolean };
  responses: Record<string, { description: string; content?: V3Content }>;
  [key: `x-${string}`]: unknown;
}
type V3PathItem = { [M in (typeof V2_METHODS)[number]]?: V3Operation } & { parameters?: V3Parameter[] };
interface V3Document {
  paths: Record<string, V3PathItem>;
  components: { schemas: Record<string, Schema> };
}

/** Builds the v2 document: every group-version's paths, every published schema plus served kinds' own. */
function buildV2Document(resources: ServedResource[]): V2Document {
  const schemas: Record<string, Schema> = { ...catalog().schemas };
  const paths: Record<string, V2PathItem> = {};
  const gvPaths = [...new Set(resources.map((r) => groupVersionPath(r.group, r.version)))];
  for (const gvPath of gvPaths) {
    const v3 = openapiV3Document(gvPath, resources) as V3Document | undefined;
    if (!v3) continue;
    // Schemas of served kinds without a published one (document.ts addOpaqueSchemas) live only here.
    Object.assign(schemas, v3.components.schemas);
    for (const [path, item] of Object.entries(v3.paths)) paths[path] = toV2PathItem(item);
  }
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: "unversioned" },
    paths: sortKeys(paths),
    definitions: sortKeys(Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, toV2Schema(s)]))),
    securityDefinitions: {
      BearerToken: {
        type: "apiKey",
        name: "authorization",
        in: "header",
        description: "Bearer Token authentication",
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const V2_REF_PREFIX = "#/definitions/";

function v2Ref(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? V2_REF_PREFIX + ref.slice(REF_PREFIX.length) : ref;
}

/** A v3 component schema as swagger 2.0 has it (see the header for what changes). */
function toV2Schema(s: Schema): V2Schema {
  const out: V2Schema = {};
  // Upstream's v3 wraps a ref that has a description in a single-element allOf; v2 puts them side by side.
  const wrapped = s.allOf?.length === 1 && s.allOf[0]?.$ref !== undefined && !s.$ref;
  const ref = s.$ref ?? (wrapped ? s.allOf?.[0]?.$ref : undefined);
  if (ref !== undefined) out.$ref = v2Ref(ref);
  if (s.description !== undefined) out.description = s.description;
  if (ref === undefined) {
    // oneOf (IntOrString, Quantity) has no v2 form; upstream's v2 calls both strings.
    const type = s.type ?? (s.oneOf?.some((o) => o.type === "string") ? "string" : undefined);
    if (type !== undefined) out.type = type;
    if (s.format !== undefined) out.format = s.format;
    const open = s["x-kubernetes-preserve-unknown-fields"] === true;
    if (s.required && !open) out.required = s.required;
    if (s.properties && !open)
      out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toV2Schema(v)]));
    if (s.items) out.items = toV2Schema(s.items);
    if (s.additionalProperties) out.additionalProperties = toV2Schema(s.additionalProperties);
    if (s.allOf && !wrapped) out.allOf = s.allOf.map(toV2Schema);
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith("x-")) out[k as `x-${string}`] = v;
  return out;
}

function toV2PathItem(item: V3PathItem): V2PathItem {
  const out: V2PathItem = {};
  for (const m of V2_METHODS) {
    const op = item[m];
    if (op) out[m] = toV2Operation(op);
  }
  if (item.parameters) out.parameters = item.parameters.map(toV2Parameter);
  return out;
}

function toV2Parameter(p: V3Parameter): V2NonBodyParameter {
  const out: V2NonBodyParameter = { uniqueItems: true, type: p.schema.type, name: p.name, in: p.in };
  if (p.description) out.description = p.description;
  if (p.required) out.required = true;
  return out;
}

// The schema of a request or response: every media type of an operation carries the same one.
function contentSchema(content: V3Content | undefined): Schema | undefined {
  return content ? Object.values(content)[0]?.schema : undefined;
}

function toV2Operation(op: V3Operation): V2Operation {
  const parameters: V2Parameter[] = [];
  const body = contentSchema(op.requestBody?.content);
  if (body) {
    const p: V2BodyParameter = { name: "body", in: "body", schema: toV2Schema(body) };
    if (op.requestBody?.required) p.required = true;
    parameters.push(p);
  }
  parameters.push(...(op.parameters ?? []).map(toV2Parameter));
  const produces = new Set<string>();
  const responses: Record<string, V2Response> = {};
  for (const [code, r] of Object.entries(op.responses)) {
    for (const t of Object.keys(r.content ?? {})) produces.add(t);
    const schema = contentSchema(r.content);
    responses[code] = schema
      ? { description: r.description, schema: toV2Schema(schema) }
      : { description: r.description };
  }
  const out: V2Operation = {
    description: op.description ?? "",
    consumes: op.requestBody ? Object.keys(op.requestBody.content) : ["*/*"],
    produces: [...produces],
    schemes: ["https"],
    tags: op.tags ?? [],
    operationId: op.operationId ?? "",
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
  };
  for (const [k, v] of Object.entries(op)) if (k.startsWith("x-")) out[k as `x-${string}`] = v;
  return out;
}
