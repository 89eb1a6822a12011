// Builds schemas.json from @kubernetes/client-node's generated models: the field names, JSON names and
// types come from each model's attributeTypeMap, descriptions and required-ness from its .d.ts doc
// comments, and what neither carries (upstream package, GVKs, patch metadata, Quantity) from catalog.ts.
// Run by scripts/generate.ts; generate.test.ts checks the committed file is what this produces.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as clientNode from "@kubernetes/client-node";
import {
  ANY_FIELDS,
  GROUP_VERSIONS,
  PATCH_META,
  QUANTITY_FIELDS,
  ROOT_KINDS,
  SCALAR,
  SCALAR_SCHEMAS,
  SHARED_META_KINDS,
  modelDefinition,
} from "./catalog.ts";
import { REF_PREFIX, type GVK, type Schema, type SchemaFile } from "./schema.ts";

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface DocComments {
  description?: string;
  fields: Map<string, { description?: string; required: boolean }>;
}

const models = clientNode as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>;
const clientNodeDist = dirname(fileURLToPath(import.meta.resolve("@kubernetes/client-node")));

/** Generates the schema file contents from the installed @kubernetes/client-node. */
export function generateSchemaFile(): SchemaFile {
  const pkg = JSON.parse(readFileSync(join(clientNodeDist, "..", "package.json"), "utf8")) as {
    version: string;
  };
  const gvks = new Map<string, GVK[]>();
  for (const r of ROOT_KINDS) gvks.set(r.model, [{ group: r.group, version: r.version, kind: r.kind }]);
  for (const m of SHARED_META_KINDS)
    gvks.set(
      m.model,
      GROUP_VERSIONS.map((gv) => ({ ...gv, kind: m.kind })),
    );

  const used = new Set<string>();
  const schemas: Record<string, Schema> = { ...SCALAR_SCHEMAS };
  const queue = [...gvks.keys()];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const model = queue.shift() as string;
    if (seen.has(model)) continue;
    seen.add(model);
    const name = modelDefinition(model);
    if (schemas[name]) throw new Error(`two models map to ${name}`);
    schemas[name] = modelSchema(model, gvks.get(model), used, (m) => queue.push(m));
  }

  const unused = [...Object.keys(ANY_FIELDS), ...QUANTITY_FIELDS, ...Object.keys(PATCH_META)].filter(
    (k) => !used.has(k),
  );
  if (unused.length > 0) throw new Error(`catalog entries match no field: ${unused.join(", ")}`);

  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { generatedFrom: `@kubernetes/client-node@${pkg.version}`, schemas: sorted };
}

function modelSchema(
  model: string,
  gvk: GVK[] | undefined,
  used: Set<string>,
  visit: (model: string) => void,
): Schema {
  const attrs = models[model]?.attributeTypeMap;
  if (!attrs) throw new Error(`@kubernetes/client-node has no model ${model}`);
  const docs = readDocComments(model);
  const definition = modelDefinition(model);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const a of attrs) {
    const doc = docs.fields.get(a.name);
    // client-node documents MicroTime and IntOrString fields with the type's text, not the field's.
    const ownDescription = TYPE_TEXT_ONLY.has(a.type) ? undefined : doc?.description;
    const key = `${model}.${a.name}`;
    let prop = fieldSchema(a, key, used, visit);
    const ref = prop.$ref?.slice(REF_PREFIX.length);
    if (ref && ownDescription) {
      // Upstream's form: a sibling of $ref is ignored by OpenAPI 3.0, so the field's own text sits
      // next to an allOf that holds the reference.
      prop = { description: ownDescription, allOf: [{ $ref: prop.$ref as string }] };
    } else if (ref) {
      // client-node drops the field text of object-typed fields. kubectl explain lists a field with
      // its own description only, so borrow the type's; a plain $ref (not allOf) keeps explain from
      // printing that text twice when the field itself is explained.
      const target = SCALAR_SCHEMAS[ref]?.description ?? readDocComments(a.type).description;
      if (target) prop.description = target;
    } else if (ownDescription) {
      prop = { description: ownDescription, ...prop };
    }
    const patch = PATCH_META[`${definition}.${a.baseName}`];
    if (patch) {
      used.add(`${definition}.${a.baseName}`);
      prop["x-kubernetes-patch-strategy"] = patch.strategy;
      if (patch.mergeKey) prop["x-kubernetes-patch-merge-key"] = patch.mergeKey;
    }
    properties[a.baseName] = prop;
    if (doc?.required) required.push(a.baseName);
  }
  const schema: Schema = {};
  if (docs.description) schema.description = docs.description;
  schema.type = "object";
  schema.properties = properties;
  if (required.length > 0) schema.required = required;
  if (gvk) schema["x-kubernetes-group-version-kind"] = gvk;
  return schema;
}

const TYPE_TEXT_ONLY = new Set(["V1MicroTime", "IntOrString"]);
const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

function fieldSchema(a: Attribute, key: string, used: Set<string>, visit: (model: string) => void): Schema {
  if (QUANTITY_FIELDS.has(key)) {
    used.add(key);
    const quantity = { $ref: REF_PREFIX + SCALAR.quantity };
    if (a.type === "string") return quantity;
    if (MAP.test(a.type)) return { type: "object", additionalProperties: quantity };
    throw new Error(`${key}: Quantity field has type ${a.type}`);
  }
  if (a.type === "any") {
    const target = ANY_FIELDS[key];
    if (!target) throw new Error(`${key}: add this \`any\` field to ANY_FIELDS`);
    used.add(key);
    return { $ref: REF_PREFIX + target };
  }
  const array = ARRAY.exec(a.type);
  if (array) return { type: "array", items: typeSchema(array[1] as string, a.format, key, visit) };
  const map = MAP.exec(a.type);
  if (map)
    return { type: "object", additionalProperties: typeSchema(map[1] as string, a.format, key, visit) };
  return typeSchema(a.type, a.format, key, visit);
}

function typeSchema(type: string, format: string, key: string, visit: (model: string) => void): Schema {
  switch (type) {
    case "string":
      return format ? { type: "string", format } : { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "number":
      if (format === "int32" || format === "int64") return { type: "integer", format };
      return format ? { type: "number", format } : { type: "number" };
    case "Date":
      return { $ref: REF_PREFIX + SCALAR.time };
    case "V1MicroTime":
      return { $ref: REF_PREFIX + SCALAR.microTime };
    case "IntOrString":
      return { $ref: REF_PREFIX + SCALAR.intOrString };
  }
  if (!/^[A-Z]\w+$/.test(type)) throw new Error(`${key}: unsupported client-node type ${type}`);
  visit(type);
  return { $ref: REF_PREFIX + modelDefinition(type) };
}

const docCache = new Map<string, DocComments>();

// Reads the doc comments of a generated model's .d.ts: one single-line comment block before the class
// (its description) and before each property (the field's). A property without `?` is required.
function readDocComments(model: string): DocComments {
  const cached = docCache.get(model);
  if (cached) return cached;
  const lines = readFileSync(join(clientNodeDist, "gen", "models", `${model}.d.ts`), "utf8").split("\n");
  const docs: DocComments = { fields: new Map() };
  let pending: string[] | undefined;
  let inComment = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "/**") {
      inComment = true;
      pending = [];
      continue;
    }
    if (inComment) {
      if (line === "*/") inComment = false;
      else pending?.push(line.replace(/^\* ?/, ""));
      continue;
    }
    const description = pending && pending.length > 0 ? unescape(pending.join(" ").trim()) : undefined;
    pending = undefined;
    if (line.startsWith("export declare class ")) {
      docs.description = description;
      continue;
    }
    const prop = /^'([^']+)'(\?)?:/.exec(line);
    if (prop) docs.fields.set(prop[1] as string, { description, required: !prop[2] });
  }
  docCache.set(model, docs);
  return docs;
}

// The generator writes descriptions as TypeScript comment text with quotes backslash-escaped.
function unescape(text: string): string {
  return text.replace(/\\(["'\\/])/g, "$1");
}
