/**
 * DaemonSet (apps/v1): SetDefaults_DaemonSet with the pod template defaults, and
 * ValidateDaemonSet / ValidateDaemonSetUpdate plus the apps/v1 strategy's selector immutability.
 *
 * Limitations vs Kubernetes: templateGeneration bookkeeping (the strategy increments it when the template
 * changes) is the caller's.
 */
import { invalid, notSupported, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr } from "../gofmt.ts";
import {
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../meta.ts";
import { nameIsDNSSubdomain } from "../names.ts";
import type { Workload } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { defaultPodTemplate, validatePodTemplateSpec } from "./podspec.ts";
import {
  intOrPercentValue,
  selectorOrUndefined,
  shownLabels,
  shownSelector,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  validateSelectorImmutable,
} from "./workload.ts";

function defaultDaemonSet(ds: Workload, _op: Operation): void {
  ds.spec ??= {};
  const spec = ds.spec;
  spec.updateStrategy ??= {};
  if (!spec.updateStrategy.type) spec.updateStrategy.type = "RollingUpdate";
  if (spec.updateStrategy.type === "RollingUpdate") {
    spec.updateStrategy.rollingUpdate ??= {};
    const ru = spec.updateStrategy.rollingUpdate;
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null)
    spec.revisionHistoryLimit = 10;
  defaultPodTemplate((spec.template ??= {}));
  ds.status ??= {
    currentNumberScheduled: 0,
    desiredNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
  };
}

function validateUpdateStrategy(ds: Workload): FieldError[] {
  const s = ds.spec?.updateStrategy ?? {};
  const field = "spec.updateStrategy";
  switch (s.type) {
    case "OnDelete":
      return [];
    case "RollingUpdate": {
      const ru = s.rollingUpdate;
      if (!ru) return [required(`${field}.rollingUpdate`)];
      const p = `${field}.rollingUpdate`;
      const errs: FieldError[] = [];
      const hasUnavailable =
        ru.maxUnavailable !== undefined &&
        ru.maxUnavailable !== null &&
        intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge =
        ru.maxSurge !== undefined && ru.maxSurge !== null && intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable) {
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
        errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      }
      if (hasSurge) {
        errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
        errs.push(...validateNotMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`));
      }
      if (hasUnavailable && hasSurge) {
        errs.push(
          invalid(
            `${p}.maxSurge`,
            new GoRepr(String(ru.maxSurge)),
            "may not be set when maxUnavailable is non-zero",
          ),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(required(`${p}.maxUnavailable`, "cannot be 0 when maxSurge is 0"));
      }
      return errs;
    }
    default:
      return [
        notSupported(
          field,
          new GoRepr(
            `apps.DaemonSetUpdateStrategy{Type:"${s.type ?? ""}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`,
          ),
          ["RollingUpdate", "OnDelete"],
        ),
      ];
  }
}

function validateDaemonSetSpec(ds: Workload): FieldError[] {
  const spec = ds.spec ?? {};
  const errs = validateLabelSelector(spec.selector, "spec.selector");
  const selector = selectorOrUndefined(spec.selector);
  if (selector && !selector.matches(spec.template?.metadata?.labels ?? undefined)) {
    errs.push(
      invalid(
        "spec.template.metadata.labels",
        shownLabels(spec.template?.metadata?.labels),
        "`selector` does not match template `labels`",
      ),
    );
  }
  const sel = spec.selector;
  if (sel && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(invalid("spec.selector", shownSelector(sel), "empty selector is invalid for daemonset"));
  }
  errs.push(...validatePodTemplateSpec(spec.template, "spec.template"));
  if ((spec.template?.spec?.restartPolicy ?? "") !== "Always") {
    errs.push(
      notSupported("spec.template.spec.restartPolicy", spec.template?.spec?.restartPolicy ?? "", ["Always"]),
    );
  }
  const ads = spec.template?.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    errs.push(
      invalid(
        "spec.template.spec.activeDeadlineSeconds",
        ads,
        "activeDeadlineSeconds in DaemonSet is not Supported",
      ),
    );
  }
  errs.push(...validateNonnegative(spec.minReadySeconds ?? 0, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.templateGeneration ?? 0, "spec.templateGeneration"));
  errs.push(...validateUpdateStrategy(ds));
  if (spec.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit !== null) {
    errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  }
  return errs;
}

function validateDaemonSet(ds: Workload, old?: Workload): FieldError[] {
  if (!old)
    return [...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain), ...validateDaemonSetSpec(ds)];
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  if ((ds.spec?.templateGeneration ?? 0) < (old.spec?.templateGeneration ?? 0)) {
    errs.push(
      invalid("spec.templateGeneration", ds.spec?.templateGeneration ?? 0, "must not be decremented"),
    );
  }
  errs.push(...validateDaemonSetSpec(ds));
  errs.push(...validateSelectorImmutable(ds.spec?.selector, old.spec?.selector));
  return errs;
}

/** DaemonSet handler. */
export const daemonSetHandler = {
  group: "apps",
  version: "v1",
  kind: "DaemonSet",
  defaults: defaultDaemonSet,
  validate: validateDaemonSet,
} satisfies KindHandler<Workload>;
