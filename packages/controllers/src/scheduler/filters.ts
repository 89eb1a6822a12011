/**
 * The scheduler's filters, as pure functions of a pod and a node, in the order of the default
 * profile's Filter plugins (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit). Each returns nothing when the node fits, or the reasons upstream reports,
 * which end up in "0/3 nodes are available: ..." messages. The DaemonSet controller uses the
 * taint and affinity helpers too, as upstream's does.
 */
import type { KObject } from "../client.ts";
import { bytes, milliCPU, podRequests, type Resources } from "./resources.ts";

/** A taint as it is stored on a Node. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The reason texts of upstream's filter plugins. */
export const REASON = {
  unschedulable: "node(s) were unschedulable",
  affinity: "node(s) didn't match Pod's node affinity/selector",
  ports: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: "Too many pods",
  cpu: "Insufficient cpu",
  memory: "Insufficient memory",
  taint: (t: Taint) => `node(s) had untolerated taint {${t.key}: ${t.value ?? ""}}`,
  prefilterAffinity: "node(s) didn't satisfy plugin(s) [NodeAffinity]",
  affinityConflict: "pod affinity terms conflict",
} as const;

/**
 * How a node failed: "unresolvable" failures cannot be fixed by preempting other pods
 * (UnschedulableAndUnresolvable), "unschedulable" ones (resources, ports) might be.
 */
export interface NodeFailure {
  code: "unresolvable" | "unschedulable";
  reasons: string[];
}

/** What the filters need to know about a node, computed once per node update. */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  unschedulable: boolean;
  /** spec.taints plus the not-ready/unreachable taint its Ready condition implies. */
  taints: Taint[];
  allocatable: Resources & { pods: number };
}

/** What is already placed on a node (bound and assumed pods). */
export interface NodeUsage {
  pods: number;
  requested: Resources;
  /** Host ports in use as "PROTO/ip/port" (ip 0.0.0.0 for all addresses), with how many pods use each. */
  hostPorts: ReadonlyMap<string, number>;
}

/** Taints the node lifecycle controller puts on nodes that are not Ready. */
export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
/** Taint of nodes whose Ready condition is Unknown or missing. */
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
/** Taint of cordoned nodes. */
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

/**
 * The node's taints, plus the NoSchedule taint its Ready condition implies when the node
 * lifecycle controller has not added it yet (Ready False: not-ready; Unknown or missing:
 * unreachable), so a node that is not Ready takes no new pods that do not tolerate that.
 */
export function effectiveTaints(node: KObject): Taint[] {
  const taints: Taint[] = ((node["spec"]?.["taints"] ?? []) as KObject[]).map((t) => ({
    key: String(t["key"] ?? ""),
    ...(t["value"] !== undefined && t["value"] !== null ? { value: String(t["value"]) } : {}),
    effect: String(t["effect"] ?? ""),
  }));
  const ready = ((node["status"]?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === "Ready");
  const implied =
    ready?.["status"] === "True"
      ? undefined
      : ready?.["status"] === "False"
        ? TAINT_NOT_READY
        : TAINT_UNREACHABLE;
  if (implied && !taints.some((t) => t.key === implied && t.effect === "NoSchedule")) {
    taints.push({ key: implied, effect: "NoSchedule" });
  }
  return taints;
}

/** Builds the filters' view of a node. */
export function nodeView(node: KObject): NodeView {
  const alloc = node["status"]?.["allocatable"] ?? {};
  const pods = Number(alloc["pods"] ?? 0);
  return {
    name: String(node["metadata"]["name"]),
    labels: node["metadata"]["labels"] ?? {},
    unschedulable: node["spec"]?.["unschedulable"] === true,
    taints: effectiveTaints(node),
    allocatable: {
      milliCPU: milliCPU(alloc["cpu"]),
      memory: bytes(alloc["memory"]),
      pods: Number.isFinite(pods) ? pods : 0,
    },
  };
}

/** v1 Toleration.ToleratesTaint. */
export function toleratesTaint(t: KObject, taint: Taint): boolean {
  if (t["effect"] && t["effect"] !== taint.effect) return false;
  if (t["key"] && t["key"] !== taint.key) return false;
  switch (t["operator"] ?? "") {
    case "":
    case "Equal":
      return (t["value"] ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** Whether any of the tolerations tolerates the taint. */
export function tolerated(tolerations: readonly KObject[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of the effects that no toleration tolerates (FindMatchingUntoleratedTaint). */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly KObject[],
  effects: readonly string[] = ["NoSchedule", "NoExecute"],
): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerated(tolerations, t));
}

/** One NodeSelectorRequirement against labels (In, NotIn, Exists, DoesNotExist, Gt, Lt). */
function requirementMatches(req: KObject, labels: Record<string, string>): boolean | undefined {
  const key = req["key"];
  const values: string[] = req["values"] ?? [];
  const has = Object.hasOwn(labels, key);
  const v = labels[key];
  switch (req["operator"]) {
    case "In":
      if (values.length === 0) return undefined;
      return has && values.includes(v!);
    case "NotIn":
      if (values.length === 0) return undefined;
      return !has || !values.includes(v!);
    case "Exists":
      return values.length === 0 ? has : undefined;
    case "DoesNotExist":
      return values.length === 0 ? !has : undefined;
    case "Gt":
    case "Lt": {
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!)) return undefined;
      if (!has || !/^-?\d+$/.test(v!)) return false;
      return req["operator"] === "Gt" ? BigInt(v!) > BigInt(values[0]!) : BigInt(v!) < BigInt(values[0]!);
    }
    default:
      return undefined;
  }
}

/**
 * One NodeSelectorTerm: its expressions (on labels) and fields (metadata.name only) are ANDed; an
 * empty or invalid term matches nothing, as upstream's nodeaffinity helper.
 */
export function termMatches(term: KObject, node: { name: string; labels: Record<string, string> }): boolean {
  const exprs: KObject[] = term["matchExpressions"] ?? [];
  const fields: KObject[] = term["matchFields"] ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const e of exprs) if (requirementMatches(e, node.labels) !== true) return false;
  for (const f of fields) {
    if (f["key"] !== "metadata.name") return false;
    if (f["operator"] !== "In" && f["operator"] !== "NotIn") return false;
    if (requirementMatches({ ...f, key: "n" }, { n: node.name }) !== true) return false;
  }
  return true;
}

/** pod.spec.nodeSelector and required node affinity (terms ORed) against a node. */
export function matchesNodeSelectorAndAffinity(
  spec: KObject,
  node: { name: string; labels: Record<string, string> },
): boolean {
  const sel: Record<string, string> = spec["nodeSelector"] ?? {};
  for (const [k, v] of Object.entries(sel)) if (node.labels[k] !== v) return false;
  const required = spec["affinity"]?.["nodeAffinity"]?.["requiredDuringSchedulingIgnoredDuringExecution"];
  if (!required) return true;
  const terms: KObject[] = required["nodeSelectorTerms"] ?? [];
  return terms.some((t) => termMatches(t, node));
}

/**
 * NodeAffinity's PreFilter: when every required term names nodes with matchFields
 * metadata.name In (DaemonSet pods do), only those nodes are worth filtering. Returns undefined
 * for "all nodes", or the set (empty when the terms conflict).
 */
export function prefilterNodeNames(spec: KObject): Set<string> | undefined {
  const terms: KObject[] | undefined =
    spec["affinity"]?.["nodeAffinity"]?.["requiredDuringSchedulingIgnoredDuringExecution"]?.[
      "nodeSelectorTerms"
    ];
  if (!terms) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const f of (t["matchFields"] ?? []) as KObject[]) {
      if (f["key"] !== "metadata.name" || f["operator"] !== "In") continue;
      const s = new Set<string>(f["values"] ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names;
}

/** The host ports a pod asks for, as "PROTO/ip/port" (ip "0.0.0.0" when unset). */
export function podHostPorts(spec: KObject): string[] {
  const out: string[] = [];
  for (const c of [...(spec["initContainers"] ?? []), ...(spec["containers"] ?? [])] as KObject[]) {
    for (const p of (c["ports"] ?? []) as KObject[]) {
      const port = Number(p["hostPort"] ?? 0);
      if (port > 0) out.push(`${p["protocol"] || "TCP"}/${p["hostIP"] || "0.0.0.0"}/${port}`);
    }
  }
  return out;
}

/** Whether a wanted host port clashes with those in use (HostPortInfo.CheckConflict). */
function portConflict(want: string, used: ReadonlyMap<string, number>): boolean {
  const [proto, ip, port] = want.split("/");
  if (ip === "0.0.0.0") {
    for (const u of used.keys()) {
      const [p2, , port2] = u.split("/");
      if (p2 === proto && port2 === port) return true;
    }
    return false;
  }
  return used.has(want) || used.has(`${proto}/0.0.0.0/${port}`);
}

/** What the filters need to know about a pod, computed once per scheduling attempt. */
export interface PodView {
  spec: KObject;
  tolerations: KObject[];
  requests: Resources;
  hostPorts: string[];
}

/** Builds the filters' view of a pod. */
export function podView(pod: KObject): PodView {
  const spec = pod["spec"] ?? {};
  return {
    spec,
    tolerations: spec["tolerations"] ?? [],
    requests: podRequests(pod),
    hostPorts: podHostPorts(spec),
  };
}

/**
 * Runs the filters on one node: undefined when the pod fits, else the first failing filter's
 * reasons (the framework stops at the first failing plugin).
 */
export function filterNode(pod: PodView, node: NodeView, usage: NodeUsage): NodeFailure | undefined {
  if (node.unschedulable && !tolerated(pod.tolerations, { key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" })) {
    return { code: "unresolvable", reasons: [REASON.unschedulable] };
  }
  const taint = untoleratedTaint(node.taints, pod.tolerations);
  if (taint) return { code: "unresolvable", reasons: [REASON.taint(taint)] };
  if (!matchesNodeSelectorAndAffinity(pod.spec, node))
    return { code: "unresolvable", reasons: [REASON.affinity] };
  if (pod.hostPorts.some((p) => portConflict(p, usage.hostPorts))) {
    return { code: "unschedulable", reasons: [REASON.ports] };
  }
  const reasons: string[] = [];
  if (usage.pods + 1 > node.allocatable.pods) reasons.push(REASON.tooManyPods);
  const r = pod.requests;
  if (r.milliCPU > 0 && r.milliCPU > node.allocatable.milliCPU - usage.requested.milliCPU)
    reasons.push(REASON.cpu);
  if (r.memory > 0 && r.memory > node.allocatable.memory - usage.requested.memory)
    reasons.push(REASON.memory);
  return reasons.length > 0 ? { code: "unschedulable", reasons } : undefined;
}

/** Untolerated PreferNoSchedule taints: the fewer, the better the node scores (TaintToleration Score). */
export function preferNoScheduleCount(pod: PodView, node: NodeView): number {
  const tolerations = pod.tolerations.filter((t) => !t["effect"] || t["effect"] === "PreferNoSchedule");
  return node.taints.filter((t) => t.effect === "PreferNoSchedule" && !tolerated(tolerations, t)).length;
}

/** Sum of the weights of the preferred node affinity terms the node matches (NodeAffinity Score). */
export function preferredAffinityWeight(pod: PodView, node: NodeView): number {
  const prefs: KObject[] =
    pod.spec["affinity"]?.["nodeAffinity"]?.["preferredDuringSchedulingIgnoredDuringExecution"] ?? [];
  let sum = 0;
  for (const p of prefs)
    if (p["preference"] && termMatches(p["preference"], node)) sum += Number(p["weight"] ?? 0);
  return sum;
}
