/**
 * What the DaemonSet controller decides, as pure functions of the DaemonSet, the nodes and its
 * pods (daemon_controller.go and update.go): which nodes should run a daemon pod, the pod to
 * create for a node, which pods to create and delete, the rolling update's next step, and the
 * status.
 */
import type { KObject } from "../client.ts";
import {
  effectiveTaints,
  matchesNodeSelectorAndAffinity,
  untoleratedTaint,
  type Taint,
} from "../scheduler/filters.ts";
import { controllerRef, REVISION_HASH_LABEL } from "./history.ts";

/** The pod label with the DaemonSet's template generation. */
export const TEMPLATE_GENERATION_LABEL = "pod-template-generation";
/** The annotation apps/v1 keeps the template generation in. */
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

/** Tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations), in upstream's order. */
export const DAEMON_TOLERATIONS: readonly KObject[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];

/** Added too for hostNetwork pods. */
const NETWORK_UNAVAILABLE: KObject = {
  key: "node.kubernetes.io/network-unavailable",
  operator: "Exists",
  effect: "NoSchedule",
};

/**
 * AddOrUpdateTolerationInPodSpec: a toleration equal in key, operator, value and effect to one
 * present replaces it (dropping its tolerationSeconds), otherwise it is appended.
 */
function addOrUpdateToleration(list: KObject[], t: KObject): KObject[] {
  const same = (a: KObject) =>
    (a["key"] ?? "") === t["key"] &&
    (a["operator"] || "Equal") === t["operator"] &&
    (a["value"] ?? "") === (t["value"] ?? "") &&
    (a["effect"] ?? "") === t["effect"];
  if (!list.some(same)) return [...list, { ...t }];
  return list.map((a) => (same(a) ? { ...t } : a));
}

/** The template generation of a DaemonSet: the apps/v1 annotation, else metadata.generation. */
export function templateGeneration(ds: KObject): string | undefined {
  const a = ds["metadata"]?.["annotations"]?.[TEMPLATE_GENERATION_ANNOTATION];
  if (a !== undefined) return String(a);
  const g = ds["metadata"]?.["generation"];
  return g === undefined ? undefined : String(g);
}

/** The pod template daemon pods are made from (CreatePodTemplate): tolerations and labels added. */
export function daemonPodTemplate(ds: KObject, hash: string | undefined): KObject {
  const template: KObject = structuredClone(ds["spec"]?.["template"] ?? {});
  const spec: KObject = (template["spec"] ??= {});
  let tolerations: KObject[] = spec["tolerations"] ?? [];
  for (const t of DAEMON_TOLERATIONS) tolerations = addOrUpdateToleration(tolerations, t);
  if (spec["hostNetwork"]) tolerations = addOrUpdateToleration(tolerations, NETWORK_UNAVAILABLE);
  spec["tolerations"] = tolerations;
  const md: KObject = (template["metadata"] ??= {});
  const labels: Record<string, string> = { ...(md["labels"] ?? {}) };
  const gen = templateGeneration(ds);
  if (gen !== undefined) labels[TEMPLATE_GENERATION_LABEL] = gen;
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  md["labels"] = labels;
  return template;
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity becomes exactly
 * "metadata.name In [node]", so the scheduler can only put it there.
 */
export function pinToNode(spec: KObject, node: string): KObject {
  const term = { matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] };
  const affinity: KObject = { ...(spec["affinity"] ?? {}) };
  const nodeAffinity: KObject = { ...(affinity["nodeAffinity"] ?? {}) };
  nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
    ...(nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"] ?? {}),
    nodeSelectorTerms: [term],
  };
  affinity["nodeAffinity"] = nodeAffinity;
  return { ...spec, affinity };
}

/** The pod to create on a node (GetPodFromTemplate with the node affinity). */
export function newDaemonPod(ds: KObject, template: KObject, node: string): KObject {
  const tmd: KObject = template["metadata"] ?? {};
  const metadata: KObject = {
    generateName: `${ds["metadata"]["name"]}-`,
    namespace: ds["metadata"]["namespace"],
    labels: { ...(tmd["labels"] ?? {}) },
    ownerReferences: [controllerRef(ds)],
  };
  if (tmd["annotations"]) metadata["annotations"] = { ...tmd["annotations"] };
  if (tmd["finalizers"]) metadata["finalizers"] = [...tmd["finalizers"]];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata,
    spec: pinToNode(structuredClone(template["spec"] ?? {}), node),
  };
}

/** Whether a daemon pod should run on a node, and whether one there may keep running. */
export interface NodeVerdict {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: node name, nodeSelector and required affinity must fit; untolerated
 * NoSchedule taints stop new pods, untolerated NoExecute taints also remove running ones.
 */
export function nodeShouldRunDaemonPod(node: KObject, template: KObject): NodeVerdict {
  const spec: KObject = template["spec"] ?? {};
  const name = String(node["metadata"]["name"]);
  if (spec["nodeName"] && spec["nodeName"] !== name)
    return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesNodeSelectorAndAffinity(spec, { name, labels: node["metadata"]["labels"] ?? {} })) {
    return { shouldRun: false, shouldContinueRunning: false };
  }
  const taints: Taint[] = effectiveTaints(node);
  const tolerations: KObject[] = spec["tolerations"] ?? [];
  if (untoleratedTaint(taints, tolerations)) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, tolerations, ["NoExecute"]) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is on or is meant for (GetTargetNodeName). */
export function targetNodeName(pod: KObject): string | undefined {
  if (pod["spec"]?.["nodeName"]) return pod["spec"]["nodeName"];
  const terms: KObject[] =
    pod["spec"]?.["affinity"]?.["nodeAffinity"]?.["requiredDuringSchedulingIgnoredDuringExecution"]?.[
      "nodeSelectorTerms"
    ] ?? [];
  for (const t of terms) {
    for (const f of (t["matchFields"] ?? []) as KObject[]) {
      if (f["key"] === "metadata.name" && f["operator"] === "In" && f["values"]?.length === 1)
        return f["values"][0];
    }
  }
  return undefined;
}

function isTerminal(pod: KObject): boolean {
  const phase = pod["status"]?.["phase"];
  return phase === "Succeeded" || phase === "Failed";
}

/** Pods by the node they are for; terminal pods being deleted are left out unless asked for. */
export function podsByNode(pods: readonly KObject[], includeDeletedTerminal = false): Map<string, KObject[]> {
  const out = new Map<string, KObject[]>();
  for (const p of pods) {
    if (!includeDeletedTerminal && isTerminal(p) && p["metadata"]["deletionTimestamp"]) continue;
    const node = targetNodeName(p);
    if (node === undefined) continue;
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(p);
  }
  return out;
}

/** podByCreationTimestampAndPhase: bound pods first, then oldest, then by name. */
export function compareDaemonPods(a: KObject, b: KObject): number {
  const an = !!a["spec"]?.["nodeName"];
  const bn = !!b["spec"]?.["nodeName"];
  if (an !== bn) return an ? -1 : 1;
  const at = Date.parse(a["metadata"]["creationTimestamp"] ?? "") || 0;
  const bt = Date.parse(b["metadata"]["creationTimestamp"] ?? "") || 0;
  if (at !== bt) return at - bt;
  const x = String(a["metadata"]["name"]);
  const y = String(b["metadata"]["name"]);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Pod Ready condition is True. */
export function isPodReady(pod: KObject): boolean {
  return ((pod["status"]?.["conditions"] ?? []) as KObject[]).some(
    (c) => c["type"] === "Ready" && c["status"] === "True",
  );
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now: number): boolean {
  const ready = ((pod["status"]?.["conditions"] ?? []) as KObject[]).find(
    (c) => c["type"] === "Ready" && c["status"] === "True",
  );
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(ready["lastTransitionTime"] ?? "");
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Whether a pod runs the DaemonSet's current template (IsPodUpdated). */
export function isPodUpdated(pod: KObject, hash: string, generation: string | undefined): boolean {
  const labels = pod["metadata"]?.["labels"] ?? {};
  return (
    (hash !== "" && labels[REVISION_HASH_LABEL] === hash) ||
    (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation)
  );
}

/** Whether the strategy allows a second pod per node during an update (maxSurge > 0). */
export function allowsSurge(ds: KObject): boolean {
  const ru = ds["spec"]?.["updateStrategy"];
  if (ru?.["type"] !== "RollingUpdate") return false;
  const s = ru["rollingUpdate"]?.["maxSurge"];
  return s !== undefined && s !== null && scaledValue(s, 1) > 0;
}

/** intstr.GetScaledValueFromIntOrPercent rounding up. */
export function scaledValue(v: unknown, total: number): number {
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** What to do: pods to create (by node) and pods to delete (by name). */
export interface Plan {
  createOn: string[];
  delete: string[];
}

/**
 * The core loop (manage and podsShouldBeOnNode): a pod for every node that should run one,
 * none on nodes that should not, failed and surplus ones deleted, and pods for nodes that no
 * longer exist deleted.
 */
export function managePlan(
  ds: KObject,
  template: KObject,
  nodes: readonly KObject[],
  byNode: Map<string, KObject[]>,
  hash: string,
  now: number,
): Plan {
  const plan: Plan = { createOn: [], delete: [] };
  const surge = allowsSurge(ds);
  const minReady = Number(ds["spec"]?.["minReadySeconds"] ?? 0);
  for (const node of nodes) {
    const name = String(node["metadata"]["name"]);
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, template);
    const daemonPods = byNode.get(name);
    if (shouldRun && !daemonPods) {
      plan.createOn.push(name);
    } else if (shouldContinueRunning && daemonPods) {
      const running: KObject[] = [];
      for (const p of daemonPods) {
        if (p["metadata"]["deletionTimestamp"]) continue;
        if (isTerminal(p)) plan.delete.push(p["metadata"]["name"]);
        else running.push(p);
      }
      running.sort(compareDaemonPods);
      if (!surge) {
        for (const p of running.slice(1)) plan.delete.push(p["metadata"]["name"]);
        continue;
      }
      if (running.length === 0) {
        if (shouldRun) plan.createOn.push(name);
        continue;
      }
      if (running.length === 1) continue;
      // Surging: keep the oldest new pod and the oldest old one while the new one is not available.
      const gen = templateGeneration(ds);
      let oldestNew: KObject | undefined;
      let oldestOld: KObject | undefined;
      for (const p of running) {
        if (isPodUpdated(p, hash, gen)) {
          if (!oldestNew) {
            oldestNew = p;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = p;
          continue;
        }
        plan.delete.push(p["metadata"]["name"]);
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now)) {
          plan.delete.push(oldestOld["metadata"]["name"]);
        }
      }
    } else if (!shouldContinueRunning && daemonPods) {
      for (const p of daemonPods)
        if (!p["metadata"]["deletionTimestamp"]) plan.delete.push(p["metadata"]["name"]);
    }
  }
  // Pods meant for nodes that are gone.
  const existing = new Set(nodes.map((n) => String(n["metadata"]["name"])));
  for (const [name, list] of byNode) {
    if (existing.has(name)) continue;
    for (const p of list) if (!p["metadata"]["deletionTimestamp"]) plan.delete.push(p["metadata"]["name"]);
  }
  return plan;
}

/** The old and new pod on a node, or ok false when there are several of either (findUpdatedPodsOnNode). */
function updatedPodsOnNode(
  pods: readonly KObject[],
  hash: string,
  gen: string | undefined,
): { newPod?: KObject; oldPod?: KObject; ok: boolean } {
  let newPod: KObject | undefined;
  let oldPod: KObject | undefined;
  for (const p of pods) {
    if (p["metadata"]["deletionTimestamp"]) continue;
    if (isPodUpdated(p, hash, gen)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}), ok: true };
}

/**
 * The rolling update's next step (rollingUpdate). Without surge: delete old pods, at most
 * maxUnavailable unavailable at a time (old pods already unavailable go at once), and let the
 * core loop recreate them. With surge: create new pods beside old ones, at most maxSurge at a
 * time, and delete each old pod once its new one is available.
 */
export function rollingUpdatePlan(
  ds: KObject,
  template: KObject,
  nodes: readonly KObject[],
  byNode: Map<string, KObject[]>,
  hash: string,
  now: number,
): Plan {
  const gen = templateGeneration(ds);
  const minReady = Number(ds["spec"]?.["minReadySeconds"] ?? 0);
  const nodeByName = new Map(nodes.map((n) => [String(n["metadata"]["name"]), n]));
  const perNode = new Map(byNode);
  let desired = 0;
  for (const n of nodes) {
    if (!nodeShouldRunDaemonPod(n, template).shouldRun) continue;
    desired++;
    const name = String(n["metadata"]["name"]);
    if (!perNode.has(name)) perNode.set(name, []);
  }
  const ru = ds["spec"]?.["updateStrategy"]?.["rollingUpdate"] ?? {};
  let maxUnavailable = scaledValue(ru["maxUnavailable"] ?? 0, desired);
  const maxSurge = scaledValue(ru["maxSurge"] ?? 0, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const available = (p: KObject) => isPodAvailable(p, minReady, now);

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replace: string[] = [];
    const candidates: string[] = [];
    for (const pods of perNode.values()) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, gen);
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replace.push(oldPod["metadata"]["name"]);
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod["metadata"]["name"]);
      }
    }
    const room = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
    return { createOn: [], delete: [...replace, ...candidates.slice(0, room)] };
  }

  const oldToDelete: string[] = [];
  const shouldNotRun: string[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [name, pods] of perNode) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, gen);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    const node = nodeByName.get(name);
    const shouldRun = node ? nodeShouldRunDaemonPod(node, template).shouldRun : false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) oldToDelete.push(oldPod["metadata"]["name"]);
        else allowedNodes.push(name);
      } else if (!shouldRun) {
        shouldNotRun.push(oldPod["metadata"]["name"]);
      } else if (numSurge < maxSurge) {
        candidateNodes.push(name);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      oldToDelete.push(oldPod["metadata"]["name"]);
    }
  }
  const deletable = Math.min(Math.max(numAvailable - desired, 0), shouldNotRun.length);
  oldToDelete.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(maxSurge - numSurge, 0), candidateNodes.length);
  return { createOn: [...allowedNodes, ...candidateNodes.slice(0, room)], delete: oldToDelete };
}

/** The DaemonSet status fields the controller owns. */
export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

/** The status counts (updateDaemonSetStatus), judged on the oldest pod of each node. */
export function statusCounts(
  ds: KObject,
  template: KObject,
  nodes: readonly KObject[],
  byNode: Map<string, KObject[]>,
  hash: string,
  now: number,
): DaemonSetCounts {
  const gen = templateGeneration(ds);
  const minReady = Number(ds["spec"]?.["minReadySeconds"] ?? 0);
  const c: DaemonSetCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  for (const node of nodes) {
    const pods = byNode.get(String(node["metadata"]["name"])) ?? [];
    const scheduled = pods.length > 0;
    if (!nodeShouldRunDaemonPod(node, template).shouldRun) {
      if (scheduled) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!scheduled) continue;
    c.currentNumberScheduled++;
    const pod = [...pods].sort(compareDaemonPods)[0]!;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, now)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, gen)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}
