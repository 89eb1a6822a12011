// @kemu/smp: kube-apiserver's strategic merge patch (application/strategic-merge-patch+json).

export { strategicMergePatch } from "./merge.ts";
export { SmpError, type SmpErrorCode } from "./errors.ts";
export {
  schemaFromSpec,
  type FieldMeta,
  type FieldSpec,
  type PatchSchema,
  type SchemaSpec,
} from "./schema.ts";
export { KNOWN_PATCH_META, knownPatchSchema, type KnownFieldMeta } from "./known.ts";
