/**
 * ObjectMeta and metav1 validation (k8s.io/apimachinery/pkg/api/validation and
 * pkg/apis/meta/v1/validation): names, namespace, labels, annotations, owner references, finalizers,
 * label selectors, and the update rules on metadata.
 *
 * Limitations vs Kubernetes: managedFields are not validated. Map-valued fields are checked in sorted key
 * order (Go's order is random, so upstream's error order for them is not fixed either).
 */
import { compareStrings } from "./labels.ts";
import { forbidden, invalid, notSupported, required, tooLong } from "./errors.ts";
import type { FieldError } from "./errors.ts";
import { GoRepr, goQuote, goStringMap, goStringSlice } from "./gofmt.ts";
import { byteLength, isDNS1123Label, isQualifiedName, isValidLabelValue, nameIsDNSLabel } from "./names.ts";
import type { NameValidator } from "./names.ts";
import type { LabelSelectorSpec, ObjectMeta, OwnerReference } from "./types.ts";

/** ValidateImmutableField's detail. */
export const FIELD_IMMUTABLE = "field is immutable";
/** Detail for negative numbers (IsNegativeErrorMsg). */
export const IS_NEGATIVE = "must be greater than or equal to 0";
/** Total size limit of annotation keys plus values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Joins path segments: `child("spec", "ports")` is `spec.ports`. */
export function child(path: string, ...names: string[]): string {
  return [path, ...names].filter((p) => p !== "").join(".");
}

/** Sorted keys of a possibly missing map. */
export function sortedKeys(m: Record<string, unknown> | null | undefined): string[] {
  return Object.keys(m ?? {}).sort(compareStrings);
}

/** ValidateNonnegativeField. */
export function validateNonnegative(value: number | null | undefined, field: string): FieldError[] {
  return (value ?? 0) < 0 ? [invalid(field, value, IS_NEGATIVE)] : [];
}

/** Deep equality of plain JSON, treating missing, null, empty string, zero, false, [] and {} alike (as Go's zero values). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const isZero = (v: unknown) =>
    v === undefined ||
    v === null ||
    v === "" ||
    v === 0 ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    }
    return true;
  }
  return a === b;
}

/** ValidateImmutableField: `field: Invalid value: <new>: field is immutable` when the value changed. */
export function validateImmutable(
  newVal: unknown,
  oldVal: unknown,
  field: string,
  shown?: unknown,
): FieldError[] {
  return semanticEqual(newVal, oldVal)
    ? []
    : [invalid(field, shown === undefined ? newVal : shown, FIELD_IMMUTABLE)];
}

/** ValidateLabelName: a qualified name. */
export function validateLabelName(name: string, field: string): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(field, name, msg));
}

/** ValidateQualifiedName. */
export const validateQualifiedName = validateLabelName;

/** ValidateDNS1123Label on a field. */
export function validateDNS1123Label(value: string, field: string): FieldError[] {
  return isDNS1123Label(value).map((msg) => invalid(field, value, msg));
}

/** metav1 ValidateLabels: every key a qualified name, every value a valid label value. */
export function validateLabels(
  labels: Record<string, string> | null | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of sortedKeys(labels)) {
    errs.push(...validateLabelName(k, field));
    const v = labels?.[k] ?? "";
    errs.push(...isValidLabelValue(v).map((msg) => invalid(field, v, msg)));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (case-insensitive), total size at most 256 KiB. */
export function validateAnnotations(
  annotations: Record<string, string> | null | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const k of sortedKeys(annotations)) {
    errs.push(...isQualifiedName(k.toLowerCase()).map((msg) => invalid(field, k, msg)));
    total += byteLength(k) + byteLength(annotations?.[k] ?? "");
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, "", TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** Renders an owner reference as Go's %#v of metav1.OwnerReference. */
function goOwnerReference(ref: OwnerReference): string {
  const ptr = (v: boolean | null | undefined) =>
    v === undefined || v === null ? "(*bool)(nil)" : "(*bool)(0xc000000000)";
  return (
    `v1.OwnerReference{APIVersion:${goQuote(ref.apiVersion ?? "")}, Kind:${goQuote(ref.kind ?? "")}, ` +
    `Name:${goQuote(ref.name ?? "")}, UID:${goQuote(ref.uid ?? "")}, Controller:${ptr(ref.controller)}, ` +
    `BlockOwnerDeletion:${ptr(ref.blockOwnerDeletion)}}`
  );
}

/** ValidateOwnerReferences. */
export function validateOwnerReferences(
  refs: OwnerReference[] | null | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = "";
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? "";
    const slash = apiVersion.lastIndexOf("/");
    const group = slash >= 0 ? apiVersion.slice(0, slash) : "";
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    if (version === "")
      errs.push(invalid(child(field, "apiVersion"), apiVersion, "version must not be empty"));
    if (!ref.kind) errs.push(invalid(child(field, "kind"), ref.kind ?? "", "must not be empty"));
    if (!ref.name) errs.push(invalid(child(field, "name"), ref.name ?? "", "must not be empty"));
    if (!ref.uid) errs.push(invalid(child(field, "uid"), ref.uid ?? "", "must not be empty"));
    if (group === "" && version === "v1" && ref.kind === "Event") {
      errs.push(
        invalid(
          field,
          new GoRepr(goOwnerReference(ref)),
          "/v1, Kind=Event is disallowed from being an owner",
        ),
      );
    }
    if (ref.controller === true) {
      const name = `${ref.kind ?? ""}/${ref.name ?? ""}`;
      if (firstController !== "") {
        errs.push(
          invalid(
            field,
            new GoRepr("[]v1.OwnerReference{" + (refs ?? []).map(goOwnerReference).join(", ") + "}"),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      } else {
        firstController = name;
      }
    }
  }
  return errs;
}

/** ValidateFinalizers: qualified names, and not both orphan and foreground deletion. */
export function validateFinalizers(finalizers: string[] | null | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) errs.push(...validateLabelName(f, field));
  const list = finalizers ?? [];
  if (list.includes("orphan") && list.includes("foregroundDeletion")) {
    errs.push(
      invalid(
        field,
        new GoRepr(goStringSlice(list)),
        "finalizer orphan and foregroundDeletion cannot be both set",
      ),
    );
  }
  return errs;
}

/**
 * ValidateObjectMeta for create: name (or generateName) through `nameFn`, namespace presence and format,
 * generation, labels, annotations, owner references and finalizers.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameFn: NameValidator,
  field = "metadata",
): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    errs.push(
      ...nameFn(m.generateName, true).map((msg) =>
        invalid(child(field, "generateName"), m.generateName, msg),
      ),
    );
  }
  if (!m.name) {
    errs.push(required(child(field, "name"), "name or generateName is required"));
  } else {
    errs.push(...nameFn(m.name, false).map((msg) => invalid(child(field, "name"), m.name, msg)));
  }
  if (namespaced) {
    if (!m.namespace) {
      errs.push(required(child(field, "namespace")));
    } else {
      errs.push(
        ...nameIsDNSLabel(m.namespace, false).map((msg) =>
          invalid(child(field, "namespace"), m.namespace, msg),
        ),
      );
    }
  } else if (m.namespace) {
    errs.push(forbidden(child(field, "namespace"), "not allowed on this type"));
  }
  errs.push(...validateNonnegative(m.generation, child(field, "generation")));
  errs.push(...validateLabels(m.labels, child(field, "labels")));
  errs.push(...validateAnnotations(m.annotations, child(field, "annotations")));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(field, "ownerReferences")));
  errs.push(...validateFinalizers(m.finalizers, child(field, "finalizers")));
  return errs;
}

/** ValidateObjectMetaUpdate: resourceVersion required, identity fields immutable, plus the create checks on contents. */
export function validateObjectMetaUpdate(
  meta: ObjectMeta | undefined,
  old: ObjectMeta | undefined,
  field = "metadata",
): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const extra = (m.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (extra.length > 0) {
      const list = [...new Set(extra)].sort(compareStrings);
      errs.push(
        forbidden(
          child(field, "finalizers"),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(list)}`,
        ),
      );
    }
  }
  if (!m.resourceVersion) {
    errs.push(
      invalid(child(field, "resourceVersion"), m.resourceVersion ?? "", "must be specified for an update"),
    );
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) {
    errs.push(invalid(child(field, "generation"), m.generation ?? 0, "must not be decremented"));
  }
  errs.push(...validateImmutable(m.name ?? "", o.name ?? "", child(field, "name")));
  errs.push(...validateImmutable(m.namespace ?? "", o.namespace ?? "", child(field, "namespace")));
  errs.push(...validateImmutable(m.uid ?? "", o.uid ?? "", child(field, "uid")));
  errs.push(
    ...validateImmutable(
      m.creationTimestamp ?? null,
      o.creationTimestamp ?? null,
      child(field, "creationTimestamp"),
      new GoRepr(goTime(m.creationTimestamp)),
    ),
  );
  errs.push(
    ...validateImmutable(
      m.deletionTimestamp ?? null,
      o.deletionTimestamp ?? null,
      child(field, "deletionTimestamp"),
      m.deletionTimestamp ? new GoRepr(goTime(m.deletionTimestamp)) : null,
    ),
  );
  errs.push(
    ...validateImmutable(
      m.deletionGracePeriodSeconds ?? null,
      o.deletionGracePeriodSeconds ?? null,
      child(field, "deletionGracePeriodSeconds"),
    ),
  );
  errs.push(...validateLabels(m.labels, child(field, "labels")));
  errs.push(...validateAnnotations(m.annotations, child(field, "annotations")));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(field, "ownerReferences")));
  return errs;
}

/** metav1.Time as Go prints it with %#v (approximately: the RFC 3339 text). */
function goTime(t: string | null | undefined): string {
  return t ? `time.Date(${t})` : "v1.Time{Time:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)}";
}

/** Renders a label selector as Go's %#v of metav1.LabelSelector (as in `field is immutable` errors). */
export function goLabelSelector(sel: LabelSelectorSpec | null | undefined): string {
  if (sel === null || sel === undefined) return "(*v1.LabelSelector)(nil)";
  const ml =
    sel.matchLabels === undefined || sel.matchLabels === null
      ? "map[string]string(nil)"
      : goStringMap(sel.matchLabels);
  const exprs = sel.matchExpressions;
  const me =
    exprs === undefined || exprs === null
      ? "[]v1.LabelSelectorRequirement(nil)"
      : "[]v1.LabelSelectorRequirement{" +
        exprs
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${goStringSlice(
                e.values ?? undefined,
              )}}`,
          )
          .join(", ") +
        "}";
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`;
}

/** metav1 ValidateLabelSelector (strict: label values in expressions are validated). */
export function validateLabelSelector(
  sel: LabelSelectorSpec | null | undefined,
  field: string,
): FieldError[] {
  if (sel === null || sel === undefined) return [];
  const errs = validateLabels(sel.matchLabels, child(field, "matchLabels"));
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = `${child(field, "matchExpressions")}[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(required(child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(
            forbidden(
              child(p, "values"),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(invalid(child(p, "operator"), expr.operator, "not a valid selector operator"));
    }
    errs.push(...validateLabelName(expr.key, child(p, "key")));
    values.forEach((v, vi) => {
      errs.push(...isValidLabelValue(v).map((msg) => invalid(`${child(p, "values")}[${vi}]`, v, msg)));
    });
  });
  return errs;
}

/** A NotSupported error for an enum field, or Required when empty; nothing when the value is allowed. */
export function validateEnum(
  value: string | null | undefined,
  allowed: readonly string[],
  field: string,
  requiredWhenEmpty = true,
): FieldError[] {
  if (value === undefined || value === null || value === "")
    return requiredWhenEmpty ? [required(field)] : [];
  return allowed.includes(value) ? [] : [notSupported(field, value, allowed)];
}
