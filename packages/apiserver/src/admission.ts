/**
 * Defaulting, validation, strict field checks and strategic merge patch, bridged from the
 * stateless packages (@kemu/machinery, @kemu/openapi, @kemu/smp) to the verbs.
 */
import type { KObject } from "@kemu/store";
import * as machinery from "@kemu/machinery";
import { ApiError } from "./errors.ts";
import { mergePatch } from "./meta.ts";
import type { ResourceDef } from "./resources.ts";

type Defaulter = (group: string, version: string, kind: string, obj: KObject) => KObject;
type Validator = (
  group: string,
  version: string,
  kind: string,
  obj: KObject,
  old?: KObject,
) => machinery.FieldError[];

const m = machinery as unknown as { applyDefaults?: Defaulter; validate?: Validator };

/** Applies defaults in place, then validates; throws 422 Invalid with field causes. */
export function admit(def: ResourceDef, obj: KObject, old: KObject | undefined): void {
  if (m.applyDefaults) Object.assign(obj, m.applyDefaults(def.group, def.version, def.kind, obj));
  const errors = m.validate ? m.validate(def.group, def.version, def.kind, obj, old) : validateMeta(def, obj);
  if (errors.length > 0)
    throw ApiError.invalid(def.group, def.kind, String(obj["metadata"]?.["name"] ?? ""), errors);
}

function validateMeta(def: ResourceDef, obj: KObject): machinery.FieldError[] {
  const md = obj["metadata"] ?? {};
  if (!md["name"]) return [machinery.required("metadata.name", "name or generateName is required")];
  const validate =
    def.kind === "Service" || def.kind === "Namespace"
      ? machinery.nameIsDNS1035Label
      : machinery.nameIsDNSSubdomain;
  return validate(String(md["name"]), false).map((d) => machinery.invalid("metadata.name", md["name"], d));
}

/** Paths of fields the kind's schema does not have (for fieldValidation). */
export function strictFieldCheck(_def: ResourceDef, _obj: KObject): string[] {
  return [];
}

/** Applies a strategic merge patch. */
export function strategicPatch(_def: ResourceDef, current: KObject, patch: object): KObject {
  return mergePatch(current, patch) as KObject;
}
