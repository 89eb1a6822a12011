/**
 * ReplicaSet (apps/v1): SetDefaults_ReplicaSet with the pod template defaults, and
 * ValidateReplicaSet / ValidateReplicaSetUpdate plus the apps/v1 strategy's selector immutability.
 */
import { invalid } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { nameIsDNSSubdomain } from "../names.ts";
import type { Workload } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { defaultPodTemplate } from "./podspec.ts";
import {
  selectorOrUndefined,
  shownSelector,
  validateRequiredSelector,
  validateSelectorImmutable,
  validateTemplateForController,
} from "./workload.ts";

function defaultReplicaSet(rs: Workload, _op: Operation): void {
  rs.spec ??= {};
  if (rs.spec.replicas === undefined || rs.spec.replicas === null) rs.spec.replicas = 1;
  defaultPodTemplate((rs.spec.template ??= {}));
  rs.status ??= { replicas: 0 };
}

function validateReplicaSetSpec(rs: Workload): FieldError[] {
  const spec = rs.spec ?? {};
  const errs = validateNonnegative(spec.replicas ?? 0, "spec.replicas");
  errs.push(...validateNonnegative(spec.minReadySeconds ?? 0, "spec.minReadySeconds"));
  // Upstream's message says "deployment" here too.
  errs.push(
    ...validateRequiredSelector(spec.selector, "spec.selector", "empty selector is invalid for deployment"),
  );
  const selector = selectorOrUndefined(spec.selector);
  if (!selector) errs.push(invalid("spec.selector", shownSelector(spec.selector), "invalid label selector"));
  else errs.push(...validateTemplateForController(spec.template, selector, "spec.template", "ReplicaSet"));
  return errs;
}

function validateReplicaSet(rs: Workload, old?: Workload): FieldError[] {
  if (!old)
    return [...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain), ...validateReplicaSetSpec(rs)];
  return [
    ...validateObjectMetaUpdate(rs.metadata, old.metadata),
    ...validateReplicaSetSpec(rs),
    ...validateSelectorImmutable(rs.spec?.selector, old.spec?.selector),
  ];
}

/** ReplicaSet handler. */
export const replicaSetHandler = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  defaults: defaultReplicaSet,
  validate: validateReplicaSet,
} satisfies KindHandler<Workload>;
