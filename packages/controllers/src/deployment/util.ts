/**
 * The pure arithmetic of the Deployment controller, after kubernetes
 * pkg/controller/deployment/util and pkg/controller (ComputeHash): the pod-template-hash, the
 * maxSurge/maxUnavailable fenceposts, revision and replica annotations, conditions, status,
 * and ReplicaSet orderings. No I/O and no clock: callers pass `now`.
 */
import type { KObject } from "../client.ts";

/** The revision of a Deployment and of each of its ReplicaSets. */
export const REVISION = "deployment.kubernetes.io/revision";
/** Earlier revisions of a ReplicaSet that was rolled back to. */
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
/** spec.replicas of the Deployment when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
/** spec.replicas + maxSurge of the Deployment when the ReplicaSet was last scaled. */
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
/** The label that tells ReplicaSets (and their pods) of one Deployment apart. */
export const POD_TEMPLATE_HASH = "pod-template-hash";
/** Longest revision-history annotation kept (upstream's maxRevHistoryLengthInChars). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** Deployment annotations not copied to ReplicaSets (annotationsToSkip). */
const SKIPPED_ANNOTATIONS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);

/** Condition reasons, as upstream's deploymentutil constants. */
export const Reason = {
  NewReplicaSetCreated: "NewReplicaSetCreated",
  FoundNewReplicaSet: "FoundNewReplicaSet",
  ReplicaSetUpdated: "ReplicaSetUpdated",
  NewReplicaSetAvailable: "NewReplicaSetAvailable",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  DeploymentPaused: "DeploymentPaused",
  DeploymentResumed: "DeploymentResumed",
  ReplicaSetCreateError: "ReplicaSetCreateError",
  MinimumReplicasAvailable: "MinimumReplicasAvailable",
  MinimumReplicasUnavailable: "MinimumReplicasUnavailable",
} as const;

// ---------------------------------------------------------------------------------------------
// Hashing

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each byte mapped into an alphabet without vowels or look-alikes. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += SAFE_ALPHABET[b % SAFE_ALPHABET.length];
  return out;
}

/**
 * Canonical JSON: object keys sorted; nulls, empty objects and empty arrays dropped (the
 * apiserver stores them either way and Go's semantic equality treats them as unset).
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v) ?? null);
}

function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => normalize(x) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = normalize((v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

/**
 * controller.ComputeHash: FNV-32a over the pod template (here its canonical JSON, where Go
 * hashes its deep-printed struct) plus collisionCount as 8 little-endian bytes when set, the
 * uint32 printed in decimal and passed through SafeEncodeString, e.g. "66ccc9b5df".
 */
export function computeHash(template: KObject, collisionCount?: number): string {
  const json = new TextEncoder().encode(canonicalJson(template));
  let bytes = json;
  if (collisionCount !== undefined && collisionCount !== null) {
    bytes = new Uint8Array(json.length + 8);
    bytes.set(json);
    new DataView(bytes.buffer).setUint32(json.length, collisionCount >>> 0, true);
  }
  return safeEncodeString(String(fnv32a(bytes)));
}

/** Templates equal once the pod-template-hash label is removed from both (EqualIgnoreHash). */
export function equalIgnoreHash(t1: KObject | undefined, t2: KObject | undefined): boolean {
  const strip = (t: KObject | undefined): KObject => {
    const c = structuredClone(t ?? {});
    if (c["metadata"]?.["labels"]) delete c["metadata"]["labels"][POD_TEMPLATE_HASH];
    return c;
  };
  return canonicalJson(strip(t1)) === canonicalJson(strip(t2));
}

// ---------------------------------------------------------------------------------------------
// Replica arithmetic

/** spec.replicas, defaulted as the API server does. */
export function replicasOf(obj: KObject | undefined): number {
  const r = obj?.["spec"]?.["replicas"];
  return typeof r === "number" ? r : 1;
}

/** status.replicas. */
function statusReplicas(rs: KObject): number {
  return Number(rs["status"]?.["replicas"] ?? 0);
}

/** status.availableReplicas. */
function availableOf(rs: KObject): number {
  return Number(rs["status"]?.["availableReplicas"] ?? 0);
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, or "N%" of total rounded up (surge) or
 * down (unavailable). Throws on anything else, as validation would have rejected it.
 */
export function scaledValue(v: number | string | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * ResolveFenceposts: maxSurge rounded up, maxUnavailable rounded down; when both come to 0,
 * maxUnavailable is 1 (rounding must not leave a rollout unable to move).
 */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** A RollingUpdate Deployment. */
export function isRollingUpdate(d: KObject): boolean {
  return d["spec"]?.["strategy"]?.["type"] !== "Recreate";
}

/** The Deployment's resolved maxSurge (0 for Recreate). */
export function maxSurge(d: KObject): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d["spec"]?.["strategy"]?.["rollingUpdate"] ?? {};
  return resolveFenceposts(ru["maxSurge"], ru["maxUnavailable"], replicasOf(d)).surge;
}

/** The Deployment's resolved maxUnavailable, at most spec.replicas (0 for Recreate). */
export function maxUnavailable(d: KObject): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d["spec"]?.["strategy"]?.["rollingUpdate"] ?? {};
  const u = resolveFenceposts(ru["maxSurge"], ru["maxUnavailable"], replicas).unavailable;
  return Math.min(u, replicas);
}

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export function replicaCount(rss: KObject[]): number {
  return rss.reduce((n, rs) => n + replicasOf(rs), 0);
}

/** Sum of status.replicas (GetActualReplicaCountForReplicaSets). */
export function actualReplicaCount(rss: KObject[]): number {
  return rss.reduce((n, rs) => n + statusReplicas(rs), 0);
}

/** Sum of status.readyReplicas. */
export function readyReplicaCount(rss: KObject[]): number {
  return rss.reduce((n, rs) => n + Number(rs["status"]?.["readyReplicas"] ?? 0), 0);
}

/** Sum of status.availableReplicas. */
export function availableReplicaCount(rss: KObject[]): number {
  return rss.reduce((n, rs) => n + availableOf(rs), 0);
}

/**
 * Pods a ReplicaSet may have running: its size, or more while a scale-down has not yet removed
 * them (status.replicas counts active pods). Surge limits use this so they hold for pods.
 */
function podsUpperBound(rs: KObject): number {
  return Math.max(replicasOf(rs), statusReplicas(rs));
}

/**
 * Pods of a ReplicaSet that stay available: its available pods, but no more than its size,
 * since a ReplicaSet just scaled down is about to lose the difference. Availability limits use
 * this so they hold for pods.
 */
function availableLowerBound(rs: KObject): number {
  return Math.min(availableOf(rs), replicasOf(rs));
}

/**
 * NewRSNewReplicas: how big the new ReplicaSet may be now. RollingUpdate: up to the surge
 * limit over all ReplicaSets, never past spec.replicas. Recreate: spec.replicas.
 */
export function newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const ru = d["spec"]?.["strategy"]?.["rollingUpdate"] ?? {};
  const surge = scaledValue(ru["maxSurge"], replicasOf(d), true);
  const current = allRSs.reduce((n, rs) => n + podsUpperBound(rs), 0);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** One ReplicaSet resize the rollout wants, in order. */
export interface ScaleStep {
  name: string;
  replicas: number;
}

/** reconcileNewReplicaSet: the new ReplicaSet's next size, or undefined to leave it. */
export function planNewReplicaSet(d: KObject, allRSs: KObject[], newRS: KObject): number | undefined {
  const want = replicasOf(d);
  const have = replicasOf(newRS);
  if (have === want) return undefined;
  if (have > want) return want;
  const next = newRSNewReplicas(d, allRSs, newRS);
  return next === have ? undefined : next;
}

/**
 * reconcileOldReplicaSets: the old ReplicaSets' scale-downs. Unhealthy replicas go first
 * (cleanupUnhealthyReplicas, bounded by what availability allows), then healthy ones while more
 * than spec.replicas - maxUnavailable stay available (scaleDownOldReplicaSetsForRollingUpdate),
 * oldest ReplicaSet first.
 */
export function planOldReplicaSets(
  d: KObject,
  allRSs: KObject[],
  oldRSs: KObject[],
  newRS: KObject,
): ScaleStep[] {
  if (replicaCount(oldRSs) === 0) return [];
  const allPods = replicaCount(allRSs);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - availableOf(newRS);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const steps: ScaleStep[] = [];
  const size = new Map<string, number>(oldRSs.map((rs) => [rs["metadata"]["name"], replicasOf(rs)]));
  const olds = [...oldRSs].sort(byCreation);
  let cleaned = 0;
  for (const rs of olds) {
    if (cleaned >= maxScaledDown) break;
    const name = rs["metadata"]["name"];
    const cur = size.get(name)!;
    // More available than its size is a status not caught up with a scale-down: not unhealthy.
    if (cur === 0 || cur <= availableOf(rs)) continue;
    const down = Math.min(maxScaledDown - cleaned, cur - availableOf(rs));
    size.set(name, cur - down);
    steps.push({ name, replicas: cur - down });
    cleaned += down;
  }
  const sized = (rs: KObject): KObject => ({
    ...rs,
    spec: { ...rs["spec"], replicas: size.get(rs["metadata"]["name"]) ?? replicasOf(rs) },
  });
  const available = allRSs.reduce((n, rs) => n + availableLowerBound(sized(rs)), 0);
  if (available <= minAvailable) return steps;
  const total = available - minAvailable;
  let scaled = 0;
  for (const rs of olds) {
    if (scaled >= total) break;
    const name = rs["metadata"]["name"];
    const cur = size.get(name)!;
    if (cur === 0) continue;
    const down = Math.min(cur, total - scaled);
    size.set(name, cur - down);
    steps.push({ name, replicas: cur - down });
    scaled += down;
  }
  return steps;
}

/**
 * getReplicaSetFraction/GetReplicaSetProportion: the share of a proportional scaling
 * (deploymentReplicasToAdd, of which deploymentReplicasAdded is handed out) for one ReplicaSet,
 * from the max-replicas annotation it was last sized against.
 */
export function replicaSetProportion(d: KObject, rs: KObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const deploymentReplicas = replicasOf(d) + maxSurge(d);
    const annotated = intAnnotation(rs, MAX_REPLICAS) ?? Number(d["status"]?.["replicas"] ?? 0);
    const size = (replicasOf(rs) * deploymentReplicas) / annotated;
    fraction = goRound(size) - replicasOf(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** math.Round: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * The proportional resize of a scaling event during a rollout (DeploymentController.scale's
 * RollingUpdate branch): the difference to spec.replicas + maxSurge spread over the active
 * ReplicaSets by their share, leftovers to the first. Returns the new size per name, in the
 * order to apply, and whether it is a scale up or down.
 */
export function planProportionalScale(
  d: KObject,
  activeRSs: KObject[],
): { steps: ScaleStep[]; operation: "up" | "down" | "" } {
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(activeRSs);
  const sorted = [...activeRSs];
  let operation: "up" | "down" | "" = "";
  if (toAdd > 0) {
    sorted.sort(bySizeNewer);
    operation = "up";
  } else if (toAdd < 0) {
    sorted.sort(bySizeOlder);
    operation = "down";
  }
  let added = 0;
  const size = new Map<string, number>();
  for (const rs of sorted) {
    if (toAdd !== 0) {
      const p = replicaSetProportion(d, rs, toAdd, added);
      size.set(rs["metadata"]["name"], replicasOf(rs) + p);
      added += p;
    } else size.set(rs["metadata"]["name"], replicasOf(rs));
  }
  const steps = sorted.map((rs, i) => {
    const name: string = rs["metadata"]["name"];
    let n = size.get(name)!;
    if (i === 0 && toAdd !== 0) n = Math.max(0, n + toAdd - added);
    return { name, replicas: n };
  });
  return { steps, operation };
}

// ---------------------------------------------------------------------------------------------
// Orderings and selections

function creationMs(o: KObject): number {
  const t = Date.parse(String(o["metadata"]?.["creationTimestamp"] ?? ""));
  return Number.isNaN(t) ? 0 : t;
}

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: KObject, b: KObject): number {
  const d = creationMs(a) - creationMs(b);
  if (d !== 0) return d;
  const na = String(a["metadata"]["name"]);
  const nb = String(b["metadata"]["name"]);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: largest first, older first on ties. */
export function bySizeOlder(a: KObject, b: KObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** ReplicaSetsBySizeNewer: largest first, newer first on ties. */
export function bySizeNewer(a: KObject, b: KObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** The revision annotation as a number (0 when absent or not a number). */
export function revisionOf(o: KObject): number {
  const v = o["metadata"]?.["annotations"]?.[REVISION];
  return typeof v === "string" && /^\d+$/.test(v) ? Number(v) : 0;
}

/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: KObject, b: KObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** MaxRevision over ReplicaSets. */
export function maxRevision(rss: KObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: KObject, rss: KObject[]): KObject | undefined {
  return [...rss]
    .sort(byCreation)
    .find((rs) => equalIgnoreHash(rs["spec"]?.["template"], d["spec"]?.["template"]));
}

/** FilterActiveReplicaSets: those with spec.replicas > 0. */
export function activeReplicaSets(rss: KObject[]): KObject[] {
  return rss.filter((rs) => replicasOf(rs) > 0);
}

/** FindActiveOrLatest: the one active ReplicaSet, or the newest if none is; undefined if several are. */
export function findActiveOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets(newRS ? [...olds, newRS] : olds);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

/** An integer annotation, if set and valid. */
export function intAnnotation(o: KObject, key: string): number | undefined {
  const v = o["metadata"]?.["annotations"]?.[key];
  return typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** IsSaturated: the new ReplicaSet has all the Deployment's replicas, all available. */
export function isSaturated(d: KObject, rs: KObject | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS);
  if (desired === undefined) return false;
  return replicasOf(rs) === replicasOf(d) && desired === replicasOf(d) && availableOf(rs) === replicasOf(d);
}

/**
 * Pods of old ReplicaSets still running (oldPodsRunning, for Recreate): any old status.replicas,
 * or any pod of another ReplicaSet that is not finished (terminating ones included).
 */
export function oldPodsRunning(
  newRS: KObject | undefined,
  oldRSs: KObject[],
  podsByRS: Map<string, KObject[]>,
): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS["metadata"]["uid"] === uid) continue;
    for (const p of pods) {
      const phase = p["status"]?.["phase"];
      if (phase !== "Failed" && phase !== "Succeeded") return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Annotations

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations (but the skipped ones) to
 * the new ReplicaSet, raises its revision to newRevision (keeping the old one in
 * revision-history when it is rolled back to), and on creation sets the replica annotations.
 * Mutates rs; returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: KObject,
  rs: KObject,
  newRevision: number,
  exists: boolean,
): boolean {
  const md = (rs["metadata"] ??= {});
  const ann: Record<string, string> = (md["annotations"] ??= {});
  let changed = false;
  for (const [k, v] of Object.entries((d["metadata"]?.["annotations"] ?? {}) as Record<string, string>)) {
    if (SKIPPED_ANNOTATIONS.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldRevision = ann[REVISION];
  let oldRev = 0;
  if (oldRevision !== undefined && oldRevision !== "") {
    if (!/^-?\d+$/.test(oldRevision)) return changed;
    oldRev = Number(oldRevision);
  }
  if (oldRev < newRevision) {
    ann[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) {
      const history = ann[REVISION_HISTORY] ?? "";
      if (history === "") ann[REVISION_HISTORY] = oldRevision;
      else {
        let parts = history.split(",");
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < parts.length) {
          total -= parts[start]!.length + 1;
          start++;
        }
        if (total <= MAX_REVISION_HISTORY_CHARS) {
          parts = [...parts.slice(start), oldRevision];
          ann[REVISION_HISTORY] = parts.join(",");
        }
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetReplicasAnnotations: desired-replicas and max-replicas; returns whether they changed. */
export function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
  const md = (rs["metadata"] ??= {});
  const ann: Record<string, string> = (md["annotations"] ??= {});
  let changed = false;
  if (ann[DESIRED_REPLICAS] !== String(desired)) {
    ann[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS] !== String(max)) {
    ann[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

/** ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const ann = rs["metadata"]?.["annotations"];
  return !ann || ann[DESIRED_REPLICAS] !== String(desired) || ann[MAX_REPLICAS] !== String(max);
}

// ---------------------------------------------------------------------------------------------
// Conditions and status

/** RFC 3339 at second precision, as metav1.Time serializes. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A DeploymentCondition stamped now (NewDeploymentCondition). */
export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: Date,
): KObject {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** GetDeploymentCondition. */
export function getCondition(status: KObject | undefined, type: string): KObject | undefined {
  return ((status?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === type);
}

/**
 * SetDeploymentCondition: no-op when status and reason are unchanged; keeps
 * lastTransitionTime when only the reason changes; the condition moves to the end.
 */
export function setCondition(status: KObject, cond: KObject): void {
  const cur = getCondition(status, cond["type"]);
  if (cur && cur["status"] === cond["status"] && cur["reason"] === cond["reason"]) return;
  const next = { ...cond };
  if (cur && cur["status"] === cond["status"]) next["lastTransitionTime"] = cur["lastTransitionTime"];
  status["conditions"] = [
    ...((status["conditions"] ?? []) as KObject[]).filter((c) => c["type"] !== cond["type"]),
    next,
  ];
}

/** RemoveDeploymentCondition. */
export function removeCondition(status: KObject, type: string): void {
  const left = ((status["conditions"] ?? []) as KObject[]).filter((c) => c["type"] !== type);
  if (left.length > 0) status["conditions"] = left;
  else delete status["conditions"];
}

/** HasProgressDeadline: progressDeadlineSeconds set and not MaxInt32. */
export function hasProgressDeadline(d: KObject): boolean {
  const s = d["spec"]?.["progressDeadlineSeconds"];
  return typeof s === "number" && s !== 2147483647;
}

/** HasRevisionHistoryLimit: revisionHistoryLimit set and not MaxInt32. */
export function hasRevisionHistoryLimit(d: KObject): boolean {
  const s = d["spec"]?.["revisionHistoryLimit"];
  return typeof s === "number" && s !== 2147483647;
}

/**
 * calculateStatus: counts from the ReplicaSets and the Available condition
 * (MinimumReplicasAvailable once spec.replicas - maxUnavailable are available). Zero counts are
 * left out, as the Go types' omitempty does.
 */
export function calculateStatus(
  allRSs: KObject[],
  newRS: KObject | undefined,
  d: KObject,
  now: Date,
): KObject {
  const available = availableReplicaCount(allRSs);
  const unavailable = Math.max(0, replicaCount(allRSs) - available);
  const prev: KObject = d["status"] ?? {};
  const status: KObject = {};
  const set = (k: string, v: number | undefined) => {
    if (v) status[k] = v;
  };
  set("observedGeneration", d["metadata"]["generation"]);
  set("replicas", actualReplicaCount(allRSs));
  set("updatedReplicas", newRS ? actualReplicaCount([newRS]) : 0);
  set("readyReplicas", readyReplicaCount(allRSs));
  set("availableReplicas", available);
  set("unavailableReplicas", unavailable);
  if (prev["conditions"]) status["conditions"] = structuredClone(prev["conditions"]);
  if (prev["collisionCount"] !== undefined) status["collisionCount"] = prev["collisionCount"];
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(
        "Available",
        "True",
        Reason.MinimumReplicasAvailable,
        "Deployment has minimum availability.",
        now,
      ),
    );
  } else {
    setCondition(
      status,
      newCondition(
        "Available",
        "False",
        Reason.MinimumReplicasUnavailable,
        "Deployment does not have minimum availability.",
        now,
      ),
    );
  }
  return status;
}

function num(s: KObject, k: string): number {
  return Number(s[k] ?? 0);
}

/** DeploymentComplete: every replica updated and available, and the generation observed. */
export function deploymentComplete(d: KObject, status: KObject): boolean {
  const r = replicasOf(d);
  return (
    num(status, "updatedReplicas") === r &&
    num(status, "replicas") === r &&
    num(status, "availableReplicas") === r &&
    num(status, "observedGeneration") >= Number(d["metadata"]["generation"] ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available replicas. */
export function deploymentProgressing(d: KObject, status: KObject): boolean {
  const old: KObject = d["status"] ?? {};
  const oldOld = num(old, "replicas") - num(old, "updatedReplicas");
  const newOld = num(status, "replicas") - num(status, "updatedReplicas");
  return (
    num(status, "updatedReplicas") > num(old, "updatedReplicas") ||
    newOld < oldOld ||
    num(status, "readyReplicas") > num(old, "readyReplicas") ||
    num(status, "availableReplicas") > num(old, "availableReplicas")
  );
}

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
export function deploymentTimedOut(d: KObject, status: KObject, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, "Progressing");
  if (!cond) return false;
  if (cond["reason"] === Reason.NewReplicaSetAvailable) return false;
  if (cond["reason"] === Reason.ProgressDeadlineExceeded) return true;
  const from = Date.parse(String(cond["lastUpdateTime"] ?? ""));
  if (Number.isNaN(from)) return false;
  return from + Number(d["spec"]["progressDeadlineSeconds"]) * 1000 < now.getTime();
}

/** Whether two statuses are the same (reflect.DeepEqual on the status). */
export function sameStatus(a: KObject | undefined, b: KObject | undefined): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}
