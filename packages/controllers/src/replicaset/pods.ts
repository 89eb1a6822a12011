/**
 * Pure pod helpers of the workload controllers, after kubernetes pkg/controller/controller_utils.go
 * and pkg/api/v1/pod: activeness, readiness and availability, the pod a template makes, and the
 * order in which a ReplicaSet gives up pods when it has too many (ActivePodsWithRanks).
 */
import type { KObject } from "../client.ts";

/** Annotation that makes a pod cheaper (lower) or dearer (higher) to delete on scale-down. */
export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

/** Informer index of pods (and ReplicaSets) by the uid of their controller owner. */
export const CONTROLLER_UID_INDEX = "workloads:controller-uid";

/** Informer index of namespaced objects by namespace. */
export const NAMESPACE_INDEX = "workloads:namespace";

/** The index function of CONTROLLER_UID_INDEX. */
export function controllerUidIndex(obj: KObject): string[] {
  const ref = controllerRefOf(obj);
  return ref?.["uid"] ? [String(ref["uid"])] : [];
}

/** The index function of NAMESPACE_INDEX. */
export function namespaceIndex(obj: KObject): string[] {
  const ns = obj["metadata"]?.["namespace"];
  return ns ? [String(ns)] : [];
}

/** The ownerReference with controller: true, if any (metav1.GetControllerOf). */
export function controllerRefOf(obj: KObject): KObject | undefined {
  const refs: KObject[] = obj["metadata"]?.["ownerReferences"] ?? [];
  return refs.find((r) => r["controller"] === true);
}

/** A controller ownerReference to owner (metav1.NewControllerRef). */
export function newControllerRef(owner: KObject, apiVersion: string, kind: string): KObject {
  return {
    apiVersion,
    kind,
    name: owner["metadata"]["name"],
    uid: owner["metadata"]["uid"],
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KObject): boolean {
  const phase = pod["status"]?.["phase"];
  return phase !== "Succeeded" && phase !== "Failed" && !pod["metadata"]?.["deletionTimestamp"];
}

/** The pod's Ready condition, if reported. */
export function podReadyCondition(pod: KObject): KObject | undefined {
  const conds: KObject[] = pod["status"]?.["conditions"] ?? [];
  return conds.find((c) => c["type"] === "Ready");
}

/** Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: KObject): boolean {
  return podReadyCondition(pod)?.["status"] === "True";
}

/** When the pod became ready (the Ready condition's lastTransitionTime), in ms; undefined if not ready. */
export function podReadySince(pod: KObject): number | undefined {
  if (!isPodReady(pod)) return undefined;
  const t = Date.parse(String(podReadyCondition(pod)?.["lastTransitionTime"] ?? ""));
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Ready for at least minReadySeconds (podutil.IsPodAvailable): ready, and either minReadySeconds
 * is 0 or the Ready transition plus minReadySeconds is before now.
 */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds === 0) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 < now.getTime();
}

/**
 * The pod a controller creates from its template (controller.GetPodFromTemplate): the
 * template's labels, annotations, finalizers and spec, generateName `<owner>-`, and the
 * controller reference.
 */
export function podFromTemplate(template: KObject, ownerName: string, controllerRef: KObject): KObject {
  const tmd: KObject = template["metadata"] ?? {};
  const metadata: KObject = { generateName: `${ownerName}-`, ownerReferences: [controllerRef] };
  if (tmd["labels"]) metadata["labels"] = structuredClone(tmd["labels"]);
  if (tmd["annotations"]) metadata["annotations"] = structuredClone(tmd["annotations"]);
  if (tmd["finalizers"]) metadata["finalizers"] = structuredClone(tmd["finalizers"]);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec: structuredClone(template["spec"] ?? {}),
  };
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: KObject): number {
  return PHASE_ORDINAL[String(pod["status"]?.["phase"] ?? "")] ?? 0;
}

/** The deletion cost annotation as an int32, 0 when absent or invalid. */
export function deletionCost(pod: KObject): number {
  const v = pod["metadata"]?.["annotations"]?.[POD_DELETION_COST];
  if (typeof v !== "string" || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}

function maxRestarts(pod: KObject): number {
  const statuses: KObject[] = pod["status"]?.["containerStatuses"] ?? [];
  return statuses.reduce((m, c) => Math.max(m, Number(c["restartCount"] ?? 0)), 0);
}

function creationTime(pod: KObject): number | undefined {
  const t = Date.parse(String(pod["metadata"]?.["creationTimestamp"] ?? ""));
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Compares two times on a log2 scale of their age (logarithmicRankDiff): pods of about the same
 * age rank equal, so scale-down spreads over them instead of always taking the newest.
 */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6; // Go compares durations in nanoseconds
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * afterOrZero on a log scale: negative when t1 is unset or more recent than t2, with the uid as
 * the tie-breaker for equal ranks; undefined when the times are equal.
 */
function compareTimes(
  t1: number | undefined,
  t2: number | undefined,
  a: KObject,
  b: KObject,
  now: number,
): number | undefined {
  if (t1 === t2) return undefined;
  if (t1 === undefined || t2 === undefined) return t1 === undefined ? -1 : 1;
  const diff = logRank(t1, now) - logRank(t2, now);
  if (diff === 0) {
    const ua = String(a["metadata"]?.["uid"] ?? "");
    const ub = String(b["metadata"]?.["uid"] ?? "");
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  }
  return diff < 0 ? -1 : 1;
}

/** A pod with its rank: how many active related pods share its node. */
export interface RankedPod {
  pod: KObject;
  rank: number;
}

/**
 * ActivePodsWithRanks.Less as a comparator: negative when a should be deleted before b.
 * Unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; lower deletion cost;
 * more pods on the same node; ready for less time; more restarts; created more recently.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: Date): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = String(pa["spec"]?.["nodeName"] ?? "");
  const nb = String(pb["spec"]?.["nodeName"] ?? "");
  if (na !== nb && (na === "" || nb === "")) return na === "" ? -1 : 1;
  if (phaseOrdinal(pa) !== phaseOrdinal(pb)) return phaseOrdinal(pa) - phaseOrdinal(pb);
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  const t = now.getTime();
  if (ra && rb) {
    // The pod ready more recently goes first.
    const c = compareTimes(podReadySince(pa), podReadySince(pb), pa, pb, t);
    if (c !== undefined) return c;
  }
  const xa = maxRestarts(pa);
  const xb = maxRestarts(pb);
  if (xa !== xb) return xb - xa;
  // The pod created more recently goes first.
  return compareTimes(creationTime(pa), creationTime(pb), pa, pb, t) ?? 0;
}

/**
 * The pods a ReplicaSet with diff too many deletes (getPodsToDelete): filtered ranked by the
 * active related pods (those of every ReplicaSet of the same owner) on the same node, sorted.
 */
export function podsToDelete(filtered: KObject[], related: KObject[], diff: number, now: Date): KObject[] {
  if (diff >= filtered.length) return filtered.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = String(p["spec"]?.["nodeName"] ?? "");
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked: RankedPod[] = filtered.map((pod) => ({
    pod,
    rank: onNode.get(String(pod["spec"]?.["nodeName"] ?? "")) ?? 0,
  }));
  ranked.sort((a, b) => compareForDeletion(a, b, now));
  return ranked.slice(0, diff).map((r) => r.pod);
}
