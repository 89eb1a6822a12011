/**
 * ReplicaSet status from its pods (replica_set_utils.go calculateStatus), as a pure function.
 */
import { labelSelectorFromSet } from "@kemu/machinery";
import type { KObject } from "../client.ts";
import { isPodAvailable, isPodReady } from "./pods.ts";

/** RFC 3339 at second precision, as metav1.Time serializes. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The reason of a ReplicaFailure condition for an error of manageReplicas. */
function failureReason(podCount: number, replicas: number): string {
  if (podCount < replicas) return "FailedCreate";
  if (podCount > replicas) return "FailedDelete";
  return "";
}

/**
 * The status a ReplicaSet should report for its active pods: replicas, fullyLabeledReplicas
 * (pods carrying every template label), readyReplicas, availableReplicas (ready for
 * minReadySeconds), and a ReplicaFailure condition while creating or deleting pods fails.
 * Zero counts are left out, as the Go types' omitempty does. observedGeneration is set by the
 * caller when it writes.
 */
export function calculateStatus(
  rs: KObject,
  pods: KObject[],
  manageError: string | undefined,
  now: Date,
): KObject {
  const templateLabels = labelSelectorFromSet(rs["spec"]?.["template"]?.["metadata"]?.["labels"] ?? {});
  const minReadySeconds = Number(rs["spec"]?.["minReadySeconds"] ?? 0);
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (templateLabels.matches(pod["metadata"]?.["labels"] ?? {})) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const prev: KObject = rs["status"] ?? {};
  let conditions: KObject[] = structuredClone(prev["conditions"] ?? []);
  const failure = conditions.find((c) => c["type"] === "ReplicaFailure");
  if (manageError !== undefined && !failure) {
    conditions.push({
      type: "ReplicaFailure",
      status: "True",
      lastTransitionTime: timestamp(now),
      reason: failureReason(pods.length, Number(rs["spec"]?.["replicas"] ?? 1)),
      message: manageError,
    });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c["type"] !== "ReplicaFailure");
  }
  const status: KObject = { replicas: pods.length };
  if (fullyLabeled) status["fullyLabeledReplicas"] = fullyLabeled;
  if (ready) status["readyReplicas"] = ready;
  if (available) status["availableReplicas"] = available;
  if (prev["observedGeneration"] !== undefined) status["observedGeneration"] = prev["observedGeneration"];
  if (conditions.length > 0) status["conditions"] = conditions;
  return status;
}

/** Whether two statuses say the same, ignoring observedGeneration. */
export function sameStatus(a: KObject | undefined, b: KObject | undefined): boolean {
  const strip = (s: KObject | undefined) => {
    const { observedGeneration: _g, ...rest } = s ?? {};
    return JSON.stringify(canonical(rest));
  };
  return strip(a) === strip(b);
}

/** A copy with object keys sorted, zero counts and empty values dropped, for comparison. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || x === null || x === 0) continue;
      if (Array.isArray(x) && x.length === 0) continue;
      out[k] = canonical(x);
    }
    return out;
  }
  return v;
}
