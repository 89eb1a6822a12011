// Server-side field validation (fieldValidation=Strict|Warn): which fields of a decoded request body
// the kind's schema does not have.
//
// Upstream decodes built-in kinds into Go structs with sigs.k8s.io/json's strict mode, which records
// every unknown field by its path and keeps decoding. The path has no leading dot, joins struct fields
// and map keys with ".", and puts list indexes in brackets: `spec.template.spec.containers[0].bogus`.
// kube-apiserver then reports them as
//   Strict: 400 BadRequest `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding
//           error: unknown field "spec.foo", unknown field "spec.bar"`
//   Warn:   one `Warning: 299 - "unknown field \"spec.foo\""` header per field.
// (Server-side apply reports differently: `.spec.foo: field not declared in schema`.)
// An unknown field's contents are skipped, so nothing below it is reported; apiVersion, kind and
// metadata are ordinary fields of every kind (metadata.foo is reported like any other).
//
// Limitations vs Kubernetes: duplicate fields (`duplicate field "x"`) cannot be seen in an object that
// has already been parsed; type mismatches are not reported here (they are decode errors upstream).

import { catalog, gvkKey, refOf, type Schema } from "./schema.ts";

/** Paths of the fields in `obj` that kind group/version/kind does not declare, in document order; [] for an unknown kind. */
export function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  const { schemas, byGVK } = catalog();
  const name = byGVK.get(gvkKey(group, version, kind));
  const schema = name === undefined ? undefined : schemas[name];
  if (!schema) return [];
  const found: string[] = [];
  walk(schemas, schema, obj, "", found);
  return found;
}

function walk(
  schemas: Record<string, Schema>,
  schema: Schema,
  value: unknown,
  path: string,
  found: string[],
): void {
  if (value === null || typeof value !== "object") return;
  const ref = refOf(schema);
  const s = ref === undefined ? schema : schemas[ref];
  if (!s) return;
  if (Array.isArray(value)) {
    const items = s.items;
    if (items) value.forEach((v, i) => walk(schemas, items, v, `${path}[${i}]`, found));
    return;
  }
  const join = (key: string) => (path === "" ? key : `${path}.${key}`);
  if (s.properties) {
    for (const [key, v] of Object.entries(value)) {
      const field = s.properties[key];
      if (field) walk(schemas, field, v, join(key), found);
      else found.push(join(key));
    }
    return;
  }
  // A map; a schema with neither properties nor additionalProperties (RawExtension, FieldsV1) takes anything.
  const values = s.additionalProperties;
  if (values) for (const [key, v] of Object.entries(value)) walk(schemas, values, v, join(key), found);
}
