// Structural lookups for other packages (patch metadata, defaulting): what fields a definition has
// and what each holds, without having to read OpenAPI.

import { catalog, gvkKey, refOf, type Schema } from "./schema.ts";

/** One field of a definition. */
export interface FieldType {
  /** JSON type: string, integer, number, boolean, object, array, or int-or-string. */
  type: string;
  /** The definition the field holds, for object fields and scalar wrappers (Time, Quantity, IntOrString). */
  ref?: string;
  /** Element type of an array or value type of a map: a definition name or a JSON type. */
  items?: string;
  /** True for a map (an object with arbitrary keys, e.g. labels); `items` is then its value type. */
  map?: boolean;
  /** x-kubernetes-patch-strategy, e.g. "merge" or "merge,retainKeys". */
  patchStrategy?: string;
  /** x-kubernetes-patch-merge-key, e.g. "name" for containers. */
  patchMergeKey?: string;
}

/** Schema name for a GVK, e.g. ("apps","v1","Deployment") -> "io.k8s.api.apps.v1.Deployment" (upstream's definition names). */
export function definitionName(group: string, version: string, kind: string): string | undefined {
  return catalog().byGVK.get(gvkKey(group, version, kind));
}

/** The field names and value types of a definition, e.g. for building patch metadata; undefined if unknown. */
export function describeType(definition: string): { fields: Record<string, FieldType> } | undefined {
  const { schemas } = catalog();
  const schema = schemas[definition];
  if (!schema) return undefined;
  const fields: Record<string, FieldType> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) fields[name] = fieldType(schemas, prop);
  return { fields };
}

function fieldType(schemas: Record<string, Schema>, prop: Schema): FieldType {
  const ref = refOf(prop);
  let field: FieldType;
  if (ref !== undefined) field = { type: jsonType(schemas[ref]), ref };
  else if (prop.items) field = { type: "array", items: elementType(prop.items) };
  else if (prop.additionalProperties)
    field = { type: "object", map: true, items: elementType(prop.additionalProperties) };
  else field = { type: jsonType(prop) };
  if (prop["x-kubernetes-patch-strategy"]) field.patchStrategy = prop["x-kubernetes-patch-strategy"];
  if (prop["x-kubernetes-patch-merge-key"]) field.patchMergeKey = prop["x-kubernetes-patch-merge-key"];
  return field;
}

function elementType(s: Schema): string {
  return refOf(s) ?? jsonType(s);
}

// Quantity has no single OpenAPI type (string or number); its canonical form is a string.
function jsonType(s: Schema | undefined): string {
  if (s?.["x-kubernetes-int-or-string"]) return "int-or-string";
  return s?.type ?? (s?.oneOf ? "string" : "object");
}
