/**
 * Node (core/v1): SetDefaults_NodeStatus (allocatable from capacity) and ValidateNode /
 * ValidateNodeUpdate.
 *
 * Limitations vs Kubernetes: resource quantities in capacity/allocatable and the deprecated configSource
 * are not validated.
 */
import { duplicate, forbidden, invalid, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { GoRepr, goQuote } from "../gofmt.ts";
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { isValidLabelValue, nameIsDNSSubdomain } from "../names.ts";
import type { Node } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";

function defaultNode(node: Node, _op: Operation): void {
  node.spec ??= {};
  node.status ??= {};
  if (node.status.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
}

function validateTaints(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    // Upstream reports taints under metadata.taints.
    const p = `metadata.taints[${i}]`;
    errs.push(...validateLabelName(t.key ?? "", `${p}.key`));
    const msgs = isValidLabelValue(t.value ?? "");
    if (msgs.length > 0) errs.push(invalid(`${p}.value`, t.value ?? "", msgs.join(";")));
    const effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
    if (!t.effect) errs.push(required(`${p}.effect`));
    else if (!effects.includes(t.effect)) {
      errs.push({
        type: "FieldValueNotSupported",
        field: `${p}.effect`,
        badValue: t.effect,
        detail: `supported values: ${effects.map(goQuote).join(", ")}`,
      });
    }
    const keys = seen.get(t.effect ?? "") ?? new Set<string>();
    if (keys.has(t.key ?? "")) {
      const shown = new GoRepr(
        `core.Taint{Key:${goQuote(t.key ?? "")}, Value:${goQuote(t.value ?? "")}, Effect:${goQuote(t.effect ?? "")}, TimeAdded:<nil>}`,
      );
      errs.push({ ...duplicate(p, shown), detail: "taints must be unique by key and effect pair" });
      return;
    }
    keys.add(t.key ?? "");
    seen.set(t.effect ?? "", keys);
  });
  return errs;
}

function validateNode(node: Node, old?: Node): FieldError[] {
  if (!old) {
    const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
    errs.push(...validateTaints(node));
    return errs;
  }
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((a, i) => {
    const key = `${a.type ?? ""}/${a.address ?? ""}`;
    if (seen.has(key)) {
      errs.push(
        duplicate(
          `status.addresses[${i}]`,
          new GoRepr(`core.NodeAddress{Type:${goQuote(a.type ?? "")}, Address:${goQuote(a.address ?? "")}}`),
        ),
      );
    }
    seen.add(key);
  });
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  if (oldCIDRs.length > 0) {
    const cidrs = node.spec?.podCIDRs ?? [];
    const msg = 'node updates may not change podCIDR except from "" to valid';
    if (cidrs.length !== oldCIDRs.length) errs.push(forbidden("spec.podCIDRs", msg));
    else oldCIDRs.forEach((c, i) => c !== cidrs[i] && errs.push(forbidden("spec.podCIDRs", msg)));
  }
  if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
    errs.push(forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(node));
  if ((node.spec?.externalID ?? "") !== (old.spec?.externalID ?? ""))
    errs.push(forbidden("spec.externalID", "may not be updated"));
  return errs;
}

/** Node handler. */
export const nodeHandler = {
  group: "",
  version: "v1",
  kind: "Node",
  defaults: defaultNode,
  validate: validateNode,
} satisfies KindHandler<Node>;
