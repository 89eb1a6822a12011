/**
 * Namespace (core/v1): SetDefaults_Namespace (the kubernetes.io/metadata.name label),
 * SetDefaults_NamespaceStatus (phase Active), the strategy's create-time `kubernetes` finalizer, and
 * ValidateNamespace / ValidateNamespaceUpdate.
 */
import { invalid } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { nameIsDNSLabel } from "../names.ts";
import type { Namespace } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";

/** The label every namespace carries with its own name. */
export const LABEL_METADATA_NAME = "kubernetes.io/metadata.name";

/** Finalizer names without a domain that upstream accepts. */
const STANDARD_FINALIZERS = ["kubernetes", "orphan", "foregroundDeletion"];

function defaultNamespace(ns: Namespace, op: Operation): void {
  if (ns.metadata?.name) {
    ns.metadata.labels ??= {};
    ns.metadata.labels[LABEL_METADATA_NAME] = ns.metadata.name;
  }
  ns.spec ??= {};
  if (op === "create") {
    const f = ns.spec.finalizers ?? [];
    if (!f.includes("kubernetes")) f.push("kubernetes");
    ns.spec.finalizers = f;
    ns.status = { phase: "Active" };
  }
  ns.status ??= {};
  if (!ns.status.phase) ns.status.phase = "Active";
}

function validateFinalizerName(name: string, field: string): FieldError[] {
  const errs = validateLabelName(name, field);
  if (!name.includes("/") && !STANDARD_FINALIZERS.includes(name)) {
    errs.push(invalid(field, name, "name is neither a standard finalizer name nor is it fully qualified"));
  }
  return errs;
}

function validateNamespace(ns: Namespace, old?: Namespace): FieldError[] {
  if (old) return validateObjectMetaUpdate(ns.metadata, old.metadata);
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, "spec.finalizers"));
  return errs;
}

/** Namespace handler. */
export const namespaceHandler = {
  group: "",
  version: "v1",
  kind: "Namespace",
  defaults: defaultNamespace,
  validate: validateNamespace,
} satisfies KindHandler<Namespace>;
