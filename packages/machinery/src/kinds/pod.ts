/**
 * Pod (core/v1): defaults, the create-time additions of admission (ServiceAccount, Priority,
 * DefaultTolerationSeconds) and of the registry strategy (status Pending with its QoS class), and
 * ValidatePodCreate / ValidatePodUpdate.
 *
 * Limitations vs Kubernetes: the ServiceAccount admission plugin's projected token volume
 * (kube-api-access-xxxxx) is not added; the diff in the "pod updates may not change fields" message is a
 * simple field list, not go-cmp's output; status updates are not validated here.
 */
import { forbidden, invalid, required } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { child, semanticEqual, validateObjectMeta, validateObjectMetaUpdate } from "../meta.ts";
import { inclusiveRangeError, nameIsDNSSubdomain } from "../names.ts";
import type { Container, Pod, PodSpec, Toleration } from "../types.ts";
import type { KindHandler, Operation } from "./handler.ts";
import { defaultPodSpec, validatePodSpec, validateTolerations } from "./podspec.ts";

/** Seconds a pod tolerates not-ready / unreachable nodes (DefaultTolerationSeconds admission). */
export const DEFAULT_TOLERATION_SECONDS = 300;

const NODE_TAINTS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] as const;

/** Whether a toleration tolerates a NoExecute taint with this key (v1 Toleration.ToleratesTaint). */
function toleratesNoExecute(t: Toleration, key: string): boolean {
  if (t.effect && t.effect !== "NoExecute") return false;
  if (t.key && t.key !== key) return false;
  // The node taints have no value, so Equal matches only an empty value.
  return t.operator === "Exists" || (t.value ?? "") === "";
}

/** The QoS class of a pod (qos.GetPodQOS), from its containers' cpu and memory requests and limits. */
export function podQOSClass(spec: PodSpec | undefined): "Guaranteed" | "Burstable" | "BestEffort" {
  const containers: Container[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const compute = ["cpu", "memory"];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of compute) {
      const q = req[r];
      const l = lim[r];
      if ((q !== undefined && String(q) !== "0") || (l !== undefined && String(l) !== "0")) any = true;
      if (l === undefined || (q !== undefined && String(q) !== String(l))) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

function defaultPod(pod: Pod, op: Operation): void {
  pod.spec ??= {};
  const spec = pod.spec;
  defaultPodSpec(spec);
  // SetDefaults_Pod: requests default to limits, on Pods only (not templates).
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (limits && c.resources) {
      c.resources.requests ??= {};
      for (const [k, v] of Object.entries(limits))
        if (!(k in c.resources.requests)) c.resources.requests[k] = v;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null)
    spec.enableServiceLinks = true;
  if (op === "create") {
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || "default";
    if (spec.priority === undefined || spec.priority === null) spec.priority = 0;
    if (!spec.preemptionPolicy) spec.preemptionPolicy = "PreemptLowerPriority";
    const tolerations = spec.tolerations ?? [];
    for (const key of NODE_TAINTS) {
      if (!tolerations.some((t) => toleratesNoExecute(t, key))) {
        tolerations.push({
          key,
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
        });
      }
    }
    spec.tolerations = tolerations;
    pod.status = { phase: "Pending", qosClass: podQOSClass(spec) };
  }
  // The deprecated field mirrors serviceAccountName on every read.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
}

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain);
  errs.push(...validatePodSpec(pod.spec, "spec"));
  for (const [list, name] of [
    [pod.spec?.containers, "containers"],
    [pod.spec?.initContainers, "initContainers"],
  ] as const) {
    (list ?? []).forEach((c, i) => {
      const image = c.image ?? "";
      if (image.length !== image.trim().length) {
        errs.push(invalid(`spec.${name}[${i}].image`, image, "must not have leading or trailing whitespace"));
      }
    });
  }
  return errs;
}

/** The fields a pod update may change, as upstream's message lists them. */
const UPDATABLE_POD_SPEC_FIELDS = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/** A short `-old / +new` listing of the top-level spec fields that differ. */
function specDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines: string[] = ["  core.PodSpec{"];
  for (const k of keys) {
    if (semanticEqual(oldSpec[k], newSpec[k])) continue;
    lines.push(`- \t${k}: ${JSON.stringify(oldSpec[k] ?? null)},`);
    lines.push(`+ \t${k}: ${JSON.stringify(newSpec[k] ?? null)},`);
  }
  lines.push("  }");
  return lines.join("\n") + "\n";
}

function validateContainerUpdates(
  next: Container[] | null | undefined,
  prev: Container[] | null | undefined,
  field: string,
): { errs: FieldError[]; stop: boolean } {
  const n = next ?? [];
  const o = prev ?? [];
  if (n.length !== o.length)
    return { errs: [forbidden(field, "pod updates may not add or remove containers")], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    if (!c.image) errs.push(required(`${field}[${i}].image`));
    const image = c.image ?? "";
    if (image.trim().length !== image.length) {
      errs.push(invalid(`${field}[${i}].image`, image, "must not have leading or trailing whitespace"));
    }
  });
  return { errs, stop: false };
}

function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  const spec = pod.spec ?? {};
  const oldSpec = old.spec ?? {};
  for (const name of ["containers", "initContainers"] as const) {
    const r = validateContainerUpdates(spec[name], oldSpec[name], child("spec", name));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (ads < 0 || ads > 2147483647) {
      errs.push(invalid("spec.activeDeadlineSeconds", ads, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (oldAds !== undefined && oldAds !== null && oldAds < ads) {
      errs.push(invalid("spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value"));
      return errs;
    }
  } else if (oldAds !== undefined && oldAds !== null) {
    errs.push(
      invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"),
    );
  }
  // Tolerations may only be added; existing ones may change only their tolerationSeconds.
  for (const t of oldSpec.tolerations ?? []) {
    const found = (spec.tolerations ?? []).some((n) =>
      semanticEqual({ ...t, tolerationSeconds: n.tolerationSeconds }, n),
    );
    if (!found) {
      errs.push(
        forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"),
      );
      break;
    }
  }
  if (errs.every((e) => e.field !== "spec.tolerations"))
    errs.push(...validateTolerations(spec.tolerations, "spec.tolerations"));
  if (semanticEqual(spec, oldSpec)) return errs;

  const munged: PodSpec = structuredClone(spec);
  munged.containers = (munged.containers ?? []).map((c, i) => ({
    ...c,
    image: oldSpec.containers?.[i]?.image,
  }));
  munged.initContainers = (munged.initContainers ?? []).map((c, i) => ({
    ...c,
    image: oldSpec.initContainers?.[i]?.image,
  }));
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (
    oldGrace !== undefined &&
    oldGrace !== null &&
    oldGrace < 0 &&
    munged.terminationGracePeriodSeconds === 1
  ) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(
      forbidden(
        "spec",
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(",")}\n${specDiff(oldSpec, munged)}`,
      ),
    );
  }
  return errs;
}

function validatePod(pod: Pod, old?: Pod): FieldError[] {
  if (old) return validatePodUpdate(pod, old);
  const errs = validatePodMetadataAndSpec(pod);
  if ((pod.spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(forbidden("spec.ephemeralContainers", "cannot be set on create"));
  }
  if (pod.spec?.nodeName && (pod.spec.schedulingGates ?? []).length > 0) {
    errs.push(forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
  }
  return errs;
}

/** Pod handler. */
export const podHandler = {
  group: "",
  version: "v1",
  kind: "Pod",
  defaults: defaultPod,
  validate: validatePod,
} satisfies KindHandler<Pod>;
