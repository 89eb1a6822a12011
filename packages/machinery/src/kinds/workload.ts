/**
 * What Deployment, ReplicaSet and DaemonSet share (pkg/apis/apps/validation): the selector and its
 * agreement with the template labels, the pod template rules of controllers, int-or-percent fields, and
 * selector immutability in apps/v1.
 */
import { invalid, notSupported, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr, goStringMap } from "../gofmt.ts";
import { labelSelectorFromObject } from "../labels.ts";
import type { LabelSelector } from "../labels.ts";
import {
  FIELD_IMMUTABLE,
  child,
  goLabelSelector,
  semanticEqual,
  validateLabelSelector,
  validateNonnegative,
} from "../meta.ts";
import type { IntOrString, LabelSelectorSpec, PodTemplateSpec } from "../types.ts";
import { validatePodTemplateSpec } from "./podspec.ts";

/** The selector as Go's %#v prints the pointer's target in errors. */
export function shownSelector(sel: LabelSelectorSpec | null | undefined): GoRepr {
  return new GoRepr(goLabelSelector(sel));
}

/** The template labels as upstream prints them in the mismatch error. */
export function shownLabels(labels: Record<string, string> | null | undefined): GoRepr {
  return new GoRepr(goStringMap(labels));
}

/** Converts a selector, or undefined when it is invalid (LabelSelectorAsSelector failed). */
export function selectorOrUndefined(sel: LabelSelectorSpec | null | undefined): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return undefined;
  }
}

/** Selector checks of Deployment and ReplicaSet: required, valid, not empty. */
export function validateRequiredSelector(
  sel: LabelSelectorSpec | null | undefined,
  field: string,
  emptyMessage: string,
): FieldError[] {
  if (sel === null || sel === undefined) return [required(field)];
  const errs = validateLabelSelector(sel, field);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(invalid(field, shownSelector(sel), emptyMessage));
  }
  return errs;
}

/**
 * ValidatePodTemplateSpecForReplicaSet: labels must satisfy the selector, the template must be valid, and
 * controllers only run pods with restartPolicy Always and no activeDeadlineSeconds.
 */
export function validateTemplateForController(
  template: PodTemplateSpec | undefined,
  selector: LabelSelector,
  field: string,
  owner: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!template) return [required(field)];
  if (!selector.empty() && !selector.matches(template.metadata?.labels ?? undefined)) {
    errs.push(
      invalid(
        child(field, "metadata", "labels"),
        shownLabels(template.metadata?.labels),
        "`selector` does not match template `labels`",
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, field));
  if ((template.spec?.restartPolicy ?? "") !== "Always") {
    errs.push(
      notSupported(child(field, "spec", "restartPolicy"), template.spec?.restartPolicy ?? "", ["Always"]),
    );
  }
  const ads = template.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    errs.push(
      invalid(
        child(field, "spec", "activeDeadlineSeconds"),
        ads,
        `activeDeadlineSeconds in ${owner} is not Supported`,
      ),
    );
  }
  return errs;
}

/** Renders an IntOrString as upstream prints it (its String form). */
export function shownIntOrString(v: IntOrString): GoRepr {
  return new GoRepr(String(v));
}

/** The numeric part of an int-or-percent (getIntOrPercentValue). */
export function intOrPercentValue(v: IntOrString | null | undefined): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const n = parseInt(v.replace(/%$/, ""), 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: IntOrString | null | undefined, field: string): FieldError[] {
  if (typeof v === "string") {
    return /^[0-9]+%$/.test(v)
      ? []
      : [
          invalid(
            field,
            shownIntOrString(v),
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          ),
        ];
  }
  return validateNonnegative(typeof v === "number" ? v : 0, field);
}

/** IsNotMoreThan100Percent. */
export function validateNotMoreThan100Percent(
  v: IntOrString | null | undefined,
  field: string,
): FieldError[] {
  if (typeof v !== "string" || !/^[0-9]+%$/.test(v)) return [];
  return intOrPercentValue(v) > 100
    ? [invalid(field, shownIntOrString(v), "must not be greater than 100%")]
    : [];
}

/** Selector immutability, which the apps/v1 strategies add on update. */
export function validateSelectorImmutable(
  sel: LabelSelectorSpec | null | undefined,
  old: LabelSelectorSpec | null | undefined,
): FieldError[] {
  return semanticEqual(sel ?? null, old ?? null)
    ? []
    : [invalid("spec.selector", shownSelector(sel), FIELD_IMMUTABLE)];
}
