// Per-field patch metadata, the TypeScript stand-in for the patchStrategy/patchMergeKey
// struct tags (or the x-kubernetes-patch-strategy/-merge-key OpenAPI extensions) that
// apimachinery's LookupPatchMeta reads.

/** How one field of an object type is patched; comes from the OpenAPI extensions
 * x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key / x-kubernetes-list-type. */
export interface FieldMeta {
  /** "merge" for lists merged by key (or primitive lists merged as sets), "replace" (default for lists:
   *  the patch list replaces), "retainKeys" and "merge,retainKeys" as in Kubernetes. */
  patchStrategy?: string;
  /** merge key for lists of objects, e.g. "name" for containers, "containerPort" for container ports. */
  patchMergeKey?: string;
  /** schema of the field's value when it is an object, or of the list items / map values when it is a list or map. */
  schema?: PatchSchema;
}

/** Look-up of per-field patch metadata for one object type. undefined means unknown field/type
 * (then: plain JSON merge semantics, lists replaced). */
export interface PatchSchema {
  /** The patch metadata of field `name`, or undefined when the field is unknown. */
  field(name: string): FieldMeta | undefined;
}

/** One field in a SchemaSpec: FieldMeta whose nested schema may itself be a plain SchemaSpec. */
export interface FieldSpec {
  /** As FieldMeta.patchStrategy. */
  patchStrategy?: string;
  /** As FieldMeta.patchMergeKey. */
  patchMergeKey?: string;
  /** Schema of the value / list items: a SchemaSpec (may refer back to an enclosing one) or a ready PatchSchema. */
  schema?: SchemaSpec | PatchSchema;
}

/** A plain description of one object type's patch metadata, e.g.
 * `{ fields: { containers: { patchStrategy: "merge", patchMergeKey: "name", schema: containerSpec } } }`. */
export interface SchemaSpec {
  /** Fields by JSON name; fields not listed are unknown (plain merge, lists replaced). */
  fields: Record<string, FieldSpec>;
}

function isPatchSchema(s: SchemaSpec | PatchSchema): s is PatchSchema {
  return typeof (s as PatchSchema).field === "function";
}

/** Builds a PatchSchema from a plain description, handy for tests and for callers without OpenAPI. */
export function schemaFromSpec(spec: SchemaSpec): PatchSchema {
  // Specs may be recursive (a MergeItem holds a list of MergeItems), so nested specs are
  // converted on first use and memoised, which also keeps one PatchSchema per spec.
  const built = new WeakMap<SchemaSpec, PatchSchema>();
  const build = (s: SchemaSpec): PatchSchema => {
    const existing = built.get(s);
    if (existing) return existing;
    const metas = new Map<string, FieldMeta>();
    const schema: PatchSchema = {
      field(name: string): FieldMeta | undefined {
        const cached = metas.get(name);
        if (cached) return cached;
        if (!Object.hasOwn(s.fields, name)) return undefined;
        const f = s.fields[name];
        if (f === undefined) return undefined;
        const meta: FieldMeta = {};
        if (f.patchStrategy !== undefined) meta.patchStrategy = f.patchStrategy;
        if (f.patchMergeKey !== undefined) meta.patchMergeKey = f.patchMergeKey;
        if (f.schema !== undefined) meta.schema = isPatchSchema(f.schema) ? f.schema : build(f.schema);
        metas.set(name, meta);
        return meta;
      },
    };
    built.set(s, schema);
    return schema;
  };
  return build(spec);
}
