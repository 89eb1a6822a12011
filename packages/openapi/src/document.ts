// The /openapi/v3 discovery document and one OpenAPI v3 document per group-version, built from the
// API server's registry of served resources and the generated schemas.
//
// What kubectl 1.32 reads from them:
//  - Index (`GET /openapi/v3`): `paths["api/v1" | "apis/<group>/<version>"].serverRelativeURL`, fetched
//    as-is (hash query included). The hash is a content hash, so a changed document gets a new URL and
//    kubectl's HTTP cache never serves a stale one.
//  - fieldValidation support (cli-runtime QueryParamVerifierV3): in the kind's group-version document,
//    the first PATCH operation whose x-kubernetes-group-version-kind (a single {group,version,kind}
//    object) is the kind must list a `fieldValidation` query parameter. Paths are a Go map, so every
//    PATCH of the kind (status, scale, ...) must list it. Without it kubectl falls back to validating on
//    the client from /openapi/v2 (and fails if that is not served) instead of sending
//    fieldValidation=Strict.
//  - kubectl apply's three-way merge (Patcher.gvkSupportsPatchOpenAPIV3): a PATCH operation of the kind
//    whose requestBody offers application/strategic-merge-patch+json, then the component schema whose
//    x-kubernetes-group-version-kind array holds the kind; it follows properties, items, $ref and
//    allOf[0], reading x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key on properties.
//  - kubectl explain (template plaintext.tmpl): the GVK of an operation (get/post/put/patch/delete) on
//    <prefix>/<resource>[/{name}] or <prefix>/namespaces/{namespace}/<resource>[/{name}], then the
//    component schema whose GVK array contains exactly that {group,version,kind}.
//
// Limitations vs Kubernetes: no protobuf content types; connect subresources (exec, attach,
// portforward, proxy) are not described; subresources other than status, scale, ephemeralcontainers,
// resize, eviction, binding and log are skipped; the description of a field that holds an object is its
// type's description (client-node drops the field's own text); a served kind with no generated schema
// is described like a custom resource without one (any fields, no strategic merge patch).

import { createHash } from "node:crypto";
import { PKG, SCALAR } from "./catalog.ts";
import {
  deleteCollectionParams,
  deleteParams,
  listParams,
  logParams,
  nameParam,
  namespaceParam,
  patchParams,
  prettyParam,
  watchPathParams,
  writeParams,
  type Parameter,
} from "./parameters.ts";
import { REF_PREFIX, catalog, gvkKey, type GVK, type Schema } from "./schema.ts";

/** One served resource, as the API server's registry describes it. */
export interface ServedResource {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  subresources: string[];
  verbs: string[];
  shortNames?: string[];
}

/** A group-version document, serialized once, with the hash that the index puts in its URL. */
export interface SerializedDocument {
  /** The document as JSON, exactly the bytes that `hash` was computed over. */
  json: string;
  /** Upper-case hex SHA-512 of `json`, as upstream's `?hash=` values are. */
  hash: string;
}

/** The /openapi/v3 discovery document: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}. */
export function openapiV3Index(resources: ServedResource[]): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const gvPaths = [...new Set(resources.map((r) => groupVersionPath(r.group, r.version)))].sort();
  for (const path of gvPaths) {
    const built = build(path, resources);
    if (built) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${built.hash}` };
  }
  return { paths };
}

/**
 * The OpenAPI v3 document for one group-version path ("api/v1", "apis/apps/v1"): paths for every served
 * resource and verb, and the component schemas they reference. undefined if no resource is served there.
 * The result is cached and shared: treat it as read-only.
 */
export function openapiV3Document(path: string, resources: ServedResource[]): object | undefined {
  return build(path, resources)?.doc;
}

/** openapiV3Document serialized, with its content hash; what GET /openapi/v3/<path> should send. */
export function openapiV3DocumentJSON(
  path: string,
  resources: ServedResource[],
): SerializedDocument | undefined {
  const built = build(path, resources);
  return built && { json: built.json, hash: built.hash };
}

/** "api/v1" for the core group, "apis/<group>/<version>" otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group === "" ? `api/${version}` : `apis/${group}/${version}`;
}

interface Built extends SerializedDocument {
  doc: object;
}

// Keyed by the path and the served resources of that group-version, so a registry that changes (or is
// rebuilt as a new array) gets a new document without the caller having to invalidate anything.
const cache = new Map<string, Built>();
const CACHE_LIMIT = 64;

function build(path: string, resources: ServedResource[]): Built | undefined {
  const gv = parseGroupVersionPath(path);
  if (!gv) return undefined;
  const served = resources
    .filter((r) => r.group === gv.group && r.version === gv.version)
    .sort((a, b) => (a.resource < b.resource ? -1 : 1));
  if (served.length === 0) return undefined;
  const key = JSON.stringify([gv, served]);
  const hit = cache.get(key);
  if (hit) return hit;
  const doc = buildDocument(gv, served);
  const json = JSON.stringify(doc);
  const built = { doc, json, hash: createHash("sha512").update(json).digest("hex").toUpperCase() };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, built);
  return built;
}

function parseGroupVersionPath(path: string): { group: string; version: string } | undefined {
  const parts = path.replace(/^\/+/, "").split("/");
  if (parts.length === 2 && parts[0] === "api" && parts[1]) return { group: "", version: parts[1] };
  if (parts.length === 3 && parts[0] === "apis" && parts[1] && parts[2])
    return { group: parts[1], version: parts[2] };
  return undefined;
}

type Method = "get" | "put" | "post" | "delete" | "patch";
type PathItem = { parameters?: Parameter[] } & { [M in Method]?: object };

const STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";

// What every operation of one served resource shares.
interface ResourceContext {
  r: ServedResource;
  /** Operation ID in upstream's pattern, e.g. ("delete", "", "Collection") -> "deleteCoreV1CollectionNamespacedPod". */
  id: (verb: string, suffix?: string, infix?: string) => string;
  op: (o: Omit<OperationInput, "tag" | "gvk"> & { gvk?: GVK }) => object;
  byGVK: Map<string, string>;
  definition: string;
  /** Content types of PATCH: built-in kinds take strategic merge patch, kinds without a schema do not. */
  patchTypes: string[];
  /** "/api/v1" or "/apis/<group>/<version>". */
  prefix: string;
  /** prefix, plus "/namespaces/{namespace}" for namespaced resources. */
  base: string;
  common: Parameter[];
  itemParams: Parameter[];
}

type SubresourceOps = (c: ResourceContext, sub: string) => PathItem | undefined;

// get/put/patch of the same or another kind, as status and scale are.
const readWrite =
  (gvk: (r: ServedResource) => GVK): SubresourceOps =>
  (c, sub) => {
    const target = gvk(c.r);
    const definition = c.byGVK.get(gvkKey(target.group, target.version, target.kind));
    if (!definition) return undefined;
    const suffix = capitalize(sub);
    return {
      get: c.op({
        id: c.id("read", suffix),
        description: `read ${sub} of the specified ${c.r.kind}`,
        action: "get",
        gvk: target,
        responses: ok(definition),
      }),
      put: c.op({
        id: c.id("replace", suffix),
        description: `replace ${sub} of the specified ${c.r.kind}`,
        action: "put",
        gvk: target,
        params: writeParams,
        body: definition,
        responses: created(definition, false),
      }),
      patch: c.op({
        id: c.id("patch", suffix),
        description: `partially update ${sub} of the specified ${c.r.kind}`,
        action: "patch",
        gvk: target,
        params: patchParams,
        patchTypes: c.patchTypes,
        responses: created(definition, false),
      }),
    };
  };

// A POST of another kind, as eviction and binding are.
const createOf =
  (target: GVK): SubresourceOps =>
  (c, sub) => {
    const definition = c.byGVK.get(gvkKey(target.group, target.version, target.kind));
    if (!definition) return undefined;
    return {
      post: c.op({
        id: c.id("create", capitalize(sub)),
        description: `create ${sub} of ${article(c.r.kind)} ${c.r.kind}`,
        action: "post",
        gvk: target,
        params: writeParams,
        body: definition,
        responses: created(definition, true),
      }),
    };
  };

const sameKind = (r: ServedResource): GVK => ({ group: r.group, version: r.version, kind: r.kind });
const SUBRESOURCES: Record<string, SubresourceOps> = {
  status: readWrite(sameKind),
  ephemeralcontainers: readWrite(sameKind),
  resize: readWrite(sameKind),
  scale: readWrite(() => ({ group: "autoscaling", version: "v1", kind: "Scale" })),
  eviction: createOf({ group: "policy", version: "v1", kind: "Eviction" }),
  binding: createOf({ group: "", version: "v1", kind: "Binding" }),
  log: (c) => ({
    get: c.op({
      id: c.id("read", "Log"),
      description: `read log of the specified ${c.r.kind}`,
      action: "get",
      params: logParams,
      responses: { "200": { description: "OK", content: { "text/plain": { schema: { type: "string" } } } } },
    }),
  }),
};

// Builds one group-version document. Operations and their wording follow upstream's generated
// documents (operationId, tags, x-kubernetes-action), which some clients use for display.
function buildDocument(gv: { group: string; version: string }, served: ServedResource[]): object {
  const { schemas: published, byGVK: publishedGVKs } = catalog();
  const schemas = { ...published };
  const byGVK = new Map(publishedGVKs);
  const prefix = `/${groupVersionPath(gv.group, gv.version)}`;
  const gvId = groupVersionId(gv.group, gv.version);
  const tag = `${gv.group === "" ? "core" : (gv.group.split(".")[0] as string)}_${gv.version}`;
  const paths: Record<string, PathItem> = {};
  const add = (path: string, item: PathItem | undefined) => {
    if (item && (["get", "put", "post", "delete", "patch"] as const).some((m) => item[m])) paths[path] = item;
  };

  for (const r of served) {
    const definition = byGVK.get(gvkKey(r.group, r.version, r.kind)) ?? addOpaqueSchemas(r, schemas, byGVK);
    const common = r.namespaced ? [namespaceParam, prettyParam] : [prettyParam];
    const scope = r.namespaced ? "Namespaced" : "";
    const c: ResourceContext = {
      r,
      id: (verb, suffix = "", infix = "") => `${verb}${gvId}${infix}${scope}${r.kind}${suffix}`,
      op: (o) => operation({ tag, gvk: sameKind(r), ...o }),
      byGVK,
      definition,
      patchTypes: published[definition] ? PATCH_TYPES : CUSTOM_PATCH_TYPES,
      prefix,
      base: r.namespaced ? `${prefix}/namespaces/{namespace}` : prefix,
      common,
      itemParams: [nameParam(r.kind), ...common],
    };
    add(`${c.base}/${r.resource}`, collectionPath(c));
    add(`${c.base}/${r.resource}/{name}`, itemPath(c));
    if (r.namespaced) add(`${prefix}/${r.resource}`, allNamespacesPath(c, gvId));
    for (const [path, item] of watchPaths(c, gvId)) add(path, item);
    for (const sub of r.subresources) {
      const ops = SUBRESOURCES[sub]?.(c, sub);
      add(`${c.base}/${r.resource}/{name}/${sub}`, ops && { parameters: c.itemParams, ...ops });
    }
  }

  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "unversioned" },
    paths: sortedPaths,
    components: {
      schemas: referencedSchemas(sortedPaths, schemas),
      securitySchemes: {
        BearerToken: {
          type: "apiKey",
          in: "header",
          name: "authorization",
          description: "Bearer Token authentication",
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function listDefinition(c: ResourceContext): string | undefined {
  return c.r.verbs.includes("list")
    ? c.byGVK.get(gvkKey(c.r.group, c.r.version, `${c.r.kind}List`))
    : undefined;
}

function collectionPath(c: ResourceContext): PathItem {
  const { r, definition } = c;
  const item: PathItem = { parameters: c.common };
  const list = listDefinition(c);
  if (list)
    item.get = c.op({
      id: c.id("list"),
      description: `list or watch objects of kind ${r.kind}`,
      action: "list",
      params: listParams,
      responses: ok(list, LIST_TYPES),
    });
  if (r.verbs.includes("create"))
    item.post = c.op({
      id: c.id("create"),
      description: `create ${article(r.kind)} ${r.kind}`,
      action: "post",
      params: writeParams,
      body: definition,
      responses: created(definition, true),
    });
  if (r.verbs.includes("deletecollection"))
    item.delete = c.op({
      id: c.id("delete", "", "Collection"),
      description: `delete collection of ${r.kind}`,
      action: "deletecollection",
      params: deleteCollectionParams,
      body: DELETE_OPTIONS,
      responses: ok(STATUS),
    });
  return item;
}

function itemPath(c: ResourceContext): PathItem {
  const { r, definition } = c;
  const item: PathItem = { parameters: c.itemParams };
  if (r.verbs.includes("get"))
    item.get = c.op({
      id: c.id("read"),
      description: `read the specified ${r.kind}`,
      action: "get",
      responses: ok(definition),
    });
  if (r.verbs.includes("update"))
    item.put = c.op({
      id: c.id("replace"),
      description: `replace the specified ${r.kind}`,
      action: "put",
      params: writeParams,
      body: definition,
      responses: created(definition, false),
    });
  if (r.verbs.includes("patch"))
    item.patch = c.op({
      id: c.id("patch"),
      description: `partially update the specified ${r.kind}`,
      action: "patch",
      params: patchParams,
      patchTypes: c.patchTypes,
      responses: created(definition, false),
    });
  if (r.verbs.includes("delete"))
    item.delete = c.op({
      id: c.id("delete"),
      description: `delete ${article(r.kind)} ${r.kind}`,
      action: "delete",
      params: deleteParams,
      body: DELETE_OPTIONS,
      responses: { ...ok(STATUS), "202": response("Accepted", STATUS) },
    });
  return item;
}

function allNamespacesPath(c: ResourceContext, gvId: string): PathItem | undefined {
  const list = listDefinition(c);
  if (!list) return undefined;
  return {
    parameters: [prettyParam],
    get: c.op({
      id: `list${gvId}${c.r.kind}ForAllNamespaces`,
      description: `list or watch objects of kind ${c.r.kind}`,
      action: "list",
      params: listParams,
      responses: ok(list, LIST_TYPES),
    }),
  };
}

// The deprecated /watch/ paths, which upstream still serves and documents.
function watchPaths(c: ResourceContext, gvId: string): [string, PathItem][] {
  const { r } = c;
  if (!r.verbs.includes("watch")) return [];
  const listText = `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`;
  const itemText = `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`;
  const watch = (id: string, description: string, action: string, params: Parameter[]): PathItem => ({
    parameters: [...params, ...watchPathParams],
    get: c.op({ id, description, action, responses: ok(WATCH_EVENT, WATCH_TYPES) }),
  });
  const base = r.namespaced ? `${c.prefix}/watch/namespaces/{namespace}` : `${c.prefix}/watch`;
  const paths: [string, PathItem][] = [
    [`${base}/${r.resource}`, watch(c.id("watch", "List"), listText, "watchlist", c.common)],
    [`${base}/${r.resource}/{name}`, watch(c.id("watch"), itemText, "watch", c.itemParams)],
  ];
  if (r.namespaced)
    paths.push([
      `${c.prefix}/watch/${r.resource}`,
      watch(`watch${gvId}${r.kind}ListForAllNamespaces`, listText, "watchlist", []),
    ]);
  return paths;
}

// A served kind with no generated schema (a kemu-specific kind) is described the way kube-apiserver
// describes a custom resource without a structural schema: any fields are accepted, PATCH offers no
// strategic merge (so kubectl apply falls back to a JSON merge patch), and explain shows the envelope.
// Without its operations kubectl could not find fieldValidation support and would fail apply.
function addOpaqueSchemas(
  r: ServedResource,
  schemas: Record<string, Schema>,
  byGVK: Map<string, string>,
): string {
  const base = r.group === "" ? PKG.core : r.group.split(".").reverse().join(".");
  const name = `${base}.${r.version}.${r.kind}`;
  const envelope = schemas[`${PKG.core}.Pod`]?.properties ?? {};
  const typeMeta = { apiVersion: envelope.apiVersion ?? {}, kind: envelope.kind ?? {} };
  const gvk = (kind: string) => [{ group: r.group, version: r.version, kind }];
  schemas[name] = {
    description: `${r.kind} is served by kemu without a published schema; its fields are not described or checked.`,
    type: "object",
    properties: { ...typeMeta, metadata: { $ref: `${REF_PREFIX}${PKG.meta}.ObjectMeta` } },
    "x-kubernetes-preserve-unknown-fields": true,
    "x-kubernetes-group-version-kind": gvk(r.kind),
  };
  schemas[`${name}List`] = {
    description: `${r.kind}List is a list of ${r.kind}.`,
    type: "object",
    properties: {
      ...typeMeta,
      items: { type: "array", items: { $ref: REF_PREFIX + name } },
      metadata: { $ref: `${REF_PREFIX}${PKG.meta}.ListMeta` },
    },
    required: ["items"],
    "x-kubernetes-group-version-kind": gvk(`${r.kind}List`),
  };
  byGVK.set(gvkKey(r.group, r.version, r.kind), name);
  byGVK.set(gvkKey(r.group, r.version, `${r.kind}List`), `${name}List`);
  return name;
}

interface OperationInput {
  id: string;
  description: string;
  action: string;
  tag: string;
  gvk: GVK;
  params?: Parameter[];
  body?: string;
  patchTypes?: string[];
  responses: Record<string, object>;
}

const JSON_TYPES = ["application/json", "application/yaml"];
const LIST_TYPES = [...JSON_TYPES, "application/json;stream=watch"];
const WATCH_TYPES = ["application/json", "application/json;stream=watch"];
// kubectl apply only computes a strategic merge patch from openapi v3 when the PATCH operation offers it.
const CUSTOM_PATCH_TYPES = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
];
const PATCH_TYPES = [...CUSTOM_PATCH_TYPES, "application/strategic-merge-patch+json"];

function operation(o: OperationInput): object {
  const op: Record<string, unknown> = { tags: [o.tag], description: o.description, operationId: o.id };
  if (o.params && o.params.length > 0) op.parameters = o.params;
  if (o.body) op.requestBody = { content: content(o.body, JSON_TYPES), required: true };
  if (o.patchTypes) op.requestBody = { content: content(SCALAR.patch, o.patchTypes), required: true };
  op.responses = { ...o.responses, "401": { description: "Unauthorized" } };
  op["x-kubernetes-action"] = o.action;
  op["x-kubernetes-group-version-kind"] = { group: o.gvk.group, version: o.gvk.version, kind: o.gvk.kind };
  return op;
}

function content(definition: string, types: string[]): Record<string, { schema: Schema }> {
  return Object.fromEntries(types.map((t) => [t, { schema: { $ref: REF_PREFIX + definition } }]));
}

function response(description: string, definition: string, types = JSON_TYPES): object {
  return { description, content: content(definition, types) };
}

function ok(definition: string, types = JSON_TYPES): Record<string, object> {
  return { "200": response("OK", definition, types) };
}

function created(definition: string, accepted: boolean): Record<string, object> {
  const r: Record<string, object> = { ...ok(definition), "201": response("Created", definition) };
  if (accepted) r["202"] = response("Accepted", definition);
  return r;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? "an" : "a";
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// "CoreV1", "AppsV1", "CoordinationV1" (first label of the group), as in upstream operation IDs.
function groupVersionId(group: string, version: string): string {
  return capitalize(group === "" ? "core" : (group.split(".")[0] as string)) + capitalize(version);
}

// The component schemas reachable from the document's operations.
function referencedSchemas(paths: object, schemas: Record<string, Schema>): Record<string, Schema> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) visit(n);
    else if (node !== null && typeof node === "object")
      for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string" && v.startsWith(REF_PREFIX)) {
          const name = v.slice(REF_PREFIX.length);
          if (!names.has(name) && schemas[name]) {
            names.add(name);
            visit(schemas[name]);
          }
        } else visit(v);
      }
  };
  visit(paths);
  return Object.fromEntries([...names].sort().map((n) => [n, schemas[n] as Schema]));
}
