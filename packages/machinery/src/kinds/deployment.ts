/**
 * Deployment (apps/v1): SetDefaults_Deployment with the pod template defaults, and
 * ValidateDeployment / ValidateDeploymentUpdate plus the apps/v1 strategy's selector immutability.
 *
 * Limitations vs Kubernetes: spec.rollbackTo (extensions/v1beta1 only) is not handled.
 */
import { forbidden, invalid, notSupported, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr } from "../gofmt.ts";
import { child, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { nameIsDNSSubdomain } from "../names.ts";
import type { Workload } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { defaultPodTemplate } from "./podspec.ts";
import {
  intOrPercentValue,
  selectorOrUndefined,
  shownSelector,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  validateRequiredSelector,
  validateSelectorImmutable,
  validateTemplateForController,
} from "./workload.ts";

function defaultDeployment(d: Workload, _op: Operation): void {
  d.spec ??= {};
  const spec = d.spec;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  spec.strategy ??= {};
  if (!spec.strategy.type) spec.strategy.type = "RollingUpdate";
  if (spec.strategy.type === "RollingUpdate") {
    spec.strategy.rollingUpdate ??= {};
    const ru = spec.strategy.rollingUpdate;
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = "25%";
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = "25%";
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null)
    spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null)
    spec.progressDeadlineSeconds = 600;
  defaultPodTemplate((spec.template ??= {}));
  d.status ??= {};
}

function validateStrategy(d: Workload): FieldError[] {
  const s = d.spec?.strategy ?? {};
  const field = "spec.strategy";
  switch (s.type) {
    case "Recreate":
      return s.rollingUpdate
        ? [
            forbidden(
              child(field, "rollingUpdate"),
              "may not be specified when strategy `type` is 'Recreate'",
            ),
          ]
        : [];
    case "RollingUpdate": {
      const ru = s.rollingUpdate;
      if (!ru) return [required(child(field, "rollingUpdate"), "this should be defaulted and never be nil")];
      const p = child(field, "rollingUpdate");
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, "maxUnavailable")),
        ...validatePositiveIntOrPercent(ru.maxSurge, child(p, "maxSurge")),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(
          invalid(
            child(p, "maxUnavailable"),
            new GoRepr(String(ru.maxUnavailable ?? 0)),
            "may not be 0 when `maxSurge` is 0",
          ),
        );
      }
      errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, child(p, "maxUnavailable")));
      return errs;
    }
    default:
      return [
        notSupported(
          field,
          new GoRepr(
            `apps.DeploymentStrategy{Type:"${s.type ?? ""}", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`,
          ),
          ["Recreate", "RollingUpdate"],
        ),
      ];
  }
}

/** ValidateDeploymentSpec. */
function validateDeploymentSpec(d: Workload): FieldError[] {
  const spec = d.spec ?? {};
  const errs = validateNonnegative(spec.replicas ?? 0, "spec.replicas");
  errs.push(
    ...validateRequiredSelector(spec.selector, "spec.selector", "empty selector is invalid for deployment"),
  );
  const selector = selectorOrUndefined(spec.selector);
  if (!selector) errs.push(invalid("spec.selector", shownSelector(spec.selector), "invalid label selector"));
  else errs.push(...validateTemplateForController(spec.template, selector, "spec.template", "ReplicaSet"));
  errs.push(...validateStrategy(d));
  errs.push(...validateNonnegative(spec.minReadySeconds ?? 0, "spec.minReadySeconds"));
  if (spec.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit !== null) {
    errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  }
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds !== null) {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(
        invalid(
          "spec.progressDeadlineSeconds",
          spec.progressDeadlineSeconds,
          "must be greater than minReadySeconds",
        ),
      );
    }
  }
  return errs;
}

function validateDeployment(d: Workload, old?: Workload): FieldError[] {
  if (!old)
    return [...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec(d)];
  return [
    ...validateObjectMetaUpdate(d.metadata, old.metadata),
    ...validateDeploymentSpec(d),
    ...validateSelectorImmutable(d.spec?.selector, old.spec?.selector),
  ];
}

/** Deployment handler. */
export const deploymentHandler = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  defaults: defaultDeployment,
  validate: validateDeployment,
} satisfies KindHandler<Workload>;
