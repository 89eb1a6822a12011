/** Lease (coordination.k8s.io/v1): ValidateLease / ValidateLeaseUpdate. Leases have no defaults. */
import { forbidden, invalid } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { nameIsDNSSubdomain } from "../names.ts";
import type { Lease } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";

function validateLeaseSpec(l: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const spec = l.spec ?? {};
  if (
    spec.leaseDurationSeconds !== undefined &&
    spec.leaseDurationSeconds !== null &&
    spec.leaseDurationSeconds <= 0
  ) {
    errs.push(invalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions !== null && spec.leaseTransitions < 0) {
    errs.push(invalid("spec.leaseTransitions", spec.leaseTransitions, "must be greater than or equal to 0"));
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  }
  return errs;
}

function validateLease(l: Lease, old?: Lease): FieldError[] {
  const errs = old ? validateObjectMetaUpdate(l.metadata, old.metadata) : [];
  errs.push(...validateObjectMeta(l.metadata, true, nameIsDNSSubdomain), ...validateLeaseSpec(l));
  return errs;
}

/** Lease handler. */
export const leaseHandler = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  defaults: (_l: Lease, _op: Operation) => {},
  validate: validateLease,
} satisfies KindHandler<Lease>;
