/**
 * Defaulting, validation, strict field checks and strategic merge patch, bridged from the
 * stateless packages (@kemu/machinery, @kemu/openapi, @kemu/smp) to the verbs.
 */
import type { KObject } from "@kemu/store";
import { applyDefaults, prepareServiceUpdate, validate } from "@kemu/machinery";
import { definitionName, unknownFields } from "@kemu/openapi";
import { knownPatchSchema, SmpError, strategicMergePatch } from "@kemu/smp";
import { ApiError } from "./errors.ts";
import type { ResourceDef } from "./resources.ts";

/** Returns obj defaulted, after validating it; throws 422 Invalid with field causes. */
export function admit(def: ResourceDef, obj: KObject, old: KObject | undefined): KObject {
  if (old && def.kind === "Service" && !def.group) prepareServiceUpdate(obj as never, old as never);
  const defaulted = applyDefaults(def.group, def.version, def.kind, obj, old ? "update" : "create");
  const errors = validate(def.group, def.version, def.kind, defaulted, old);
  if (errors.length > 0) {
    throw ApiError.invalid(def.group, def.kind, String(defaulted["metadata"]?.["name"] ?? ""), errors);
  }
  return defaulted;
}

/** Paths of fields the kind's schema does not have (for fieldValidation), e.g. `spec.foo`. */
export function strictFieldCheck(def: ResourceDef, obj: KObject): string[] {
  return unknownFields(def.group, def.version, def.kind, obj);
}

/** Applies a strategic merge patch with the kind's merge keys and strategies. */
export function strategicPatch(def: ResourceDef, current: KObject, patch: object): KObject {
  const type = definitionName(def.group, def.version, def.kind);
  try {
    return strategicMergePatch(current, patch, type ? knownPatchSchema(type) : undefined) as KObject;
  } catch (err) {
    if (err instanceof SmpError) {
      if (err.status === 422) {
        throw ApiError.invalid(def.group, def.kind, String(current["metadata"]?.["name"] ?? ""), [
          { type: "FieldValueInvalid", field: "", badValue: "", detail: err.message },
        ]);
      }
      if (err.status === 400) throw ApiError.badRequest(err.message);
      throw ApiError.internal(err.message);
    }
    throw err;
  }
}
