/**
 * The scheduler's picture of the cluster: every node with the pods on it, counted from the pod
 * informer plus the pods it has assumed (sent for binding but not yet seen bound in the watch).
 * Assuming is what lets decisions run back to back, with binds in flight, without overcommitting
 * a node or piling pods onto the same "emptiest" node before the watch catches up (upstream's
 * scheduler cache: AssumePod, ForgetPod, and AddPod confirming an assumed pod).
 */
import type { KObject } from "../client.ts";
import { nodeView, podHostPorts, type NodeUsage, type NodeView } from "./filters.ts";
import { podRequests, type Resources } from "./resources.ts";

/** One node: its view for the filters (undefined while only its pods are known) and its usage. */
export interface NodeInfo extends NodeUsage {
  name: string;
  hostPorts: Map<string, number>;
  view: NodeView | undefined;
  /** Pods per owner key (see ownerKey), for spreading replicas of one workload. */
  owners: Map<string, number>;
}

interface PodEntry {
  node: string;
  uid: string;
  requests: Resources;
  hostPorts: string[];
  owner: string | undefined;
  assumed: boolean;
}

/**
 * What groups a pod with its siblings for spreading: its controller's uid, else its namespace
 * and labels (pods made from one template), else nothing.
 */
export function ownerKey(pod: KObject): string | undefined {
  const md = pod["metadata"] ?? {};
  const ctrl = ((md["ownerReferences"] ?? []) as KObject[]).find((r) => r["controller"] === true);
  if (ctrl?.["uid"]) return `uid:${ctrl["uid"]}`;
  const labels: Record<string, string> = md["labels"] ?? {};
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return undefined;
  return `labels:${md["namespace"]}:${keys.map((k) => `${k}=${labels[k]}`).join(",")}`;
}

/** "ns/name" of a pod. */
export function podKey(pod: KObject): string {
  return `${pod["metadata"]["namespace"]}/${pod["metadata"]["name"]}`;
}

/** Whether a pod holds resources on its node (bound and not finished). */
export function occupiesNode(pod: KObject): boolean {
  const phase = pod["status"]?.["phase"];
  return !!pod["spec"]?.["nodeName"] && phase !== "Succeeded" && phase !== "Failed";
}

/** The cache. */
export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodEntry>();

  /** Adds or replaces a node; returns whether what the filters see of it changed. */
  setNode(node: KObject): boolean {
    const view = nodeView(node);
    const info = this.#info(view.name);
    const changed = !info.view || JSON.stringify(info.view) !== JSON.stringify(view);
    info.view = view;
    return changed;
  }

  /** Removes a node (its pods stay counted until they go, as upstream keeps a ghost NodeInfo). */
  removeNode(name: string): void {
    const info = this.#nodes.get(name);
    if (!info) return;
    info.view = undefined;
    if (info.pods === 0) this.#nodes.delete(name);
  }

  /** Nodes that exist (have a Node object). */
  nodes(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const n of this.#nodes.values()) if (n.view) out.push(n);
    return out;
  }

  /** One node's info, if the node exists. */
  node(name: string): NodeInfo | undefined {
    const n = this.#nodes.get(name);
    return n?.view ? n : undefined;
  }

  /** Number of existing nodes. */
  get nodeCount(): number {
    let n = 0;
    for (const i of this.#nodes.values()) if (i.view) n++;
    return n;
  }

  /**
   * A pod as the informer sees it. Bound pods are counted on their node (confirming an assumed
   * one); finished pods are dropped. An unbound pod leaves an assumption alone: the watch has
   * simply not caught up with the binding yet.
   */
  updatePod(pod: KObject): void {
    const key = podKey(pod);
    const cur = this.#pods.get(key);
    if (!pod["spec"]?.["nodeName"]) {
      if (cur && !cur.assumed) this.#remove(key);
      return;
    }
    if (!occupiesNode(pod)) {
      if (cur) this.#remove(key);
      return;
    }
    this.#add(key, {
      node: pod["spec"]["nodeName"],
      uid: pod["metadata"]["uid"],
      requests: podRequests(pod),
      hostPorts: podHostPorts(pod["spec"]),
      owner: ownerKey(pod),
      assumed: false,
    });
  }

  /** A pod is gone. */
  removePod(pod: KObject): void {
    const key = podKey(pod);
    const cur = this.#pods.get(key);
    if (cur && cur.uid === pod["metadata"]["uid"]) this.#remove(key);
  }

  /** Counts a pod on the node chosen for it before the binding is confirmed. */
  assume(pod: KObject, node: string): void {
    this.#add(podKey(pod), {
      node,
      uid: pod["metadata"]["uid"],
      requests: podRequests(pod),
      hostPorts: podHostPorts(pod["spec"] ?? {}),
      owner: ownerKey(pod),
      assumed: true,
    });
  }

  /** Undoes assume() after a failed binding. */
  forget(pod: KObject): void {
    const key = podKey(pod);
    if (this.#pods.get(key)?.assumed) this.#remove(key);
  }

  /** Whether the pod is assumed and its binding not yet seen. */
  isAssumed(key: string): boolean {
    return this.#pods.get(key)?.assumed === true;
  }

  /** The node a pod is counted on, if any. */
  nodeOf(key: string): string | undefined {
    return this.#pods.get(key)?.node;
  }

  #info(name: string): NodeInfo {
    let info = this.#nodes.get(name);
    if (!info) {
      info = {
        name,
        view: undefined,
        pods: 0,
        requested: { milliCPU: 0, memory: 0 },
        hostPorts: new Map(),
        owners: new Map(),
      };
      this.#nodes.set(name, info);
    }
    return info;
  }

  #add(key: string, e: PodEntry): void {
    if (this.#pods.has(key)) this.#remove(key);
    this.#pods.set(key, e);
    const info = this.#info(e.node);
    info.pods++;
    info.requested.milliCPU += e.requests.milliCPU;
    info.requested.memory += e.requests.memory;
    for (const p of e.hostPorts) info.hostPorts.set(p, (info.hostPorts.get(p) ?? 0) + 1);
    if (e.owner) info.owners.set(e.owner, (info.owners.get(e.owner) ?? 0) + 1);
  }

  #remove(key: string): void {
    const e = this.#pods.get(key);
    if (!e) return;
    this.#pods.delete(key);
    const info = this.#nodes.get(e.node);
    if (!info) return;
    info.pods--;
    info.requested.milliCPU -= e.requests.milliCPU;
    info.requested.memory -= e.requests.memory;
    for (const p of e.hostPorts) {
      const n = (info.hostPorts.get(p) ?? 1) - 1;
      if (n <= 0) info.hostPorts.delete(p);
      else info.hostPorts.set(p, n);
    }
    if (e.owner) {
      const n = (info.owners.get(e.owner) ?? 1) - 1;
      if (n <= 0) info.owners.delete(e.owner);
      else info.owners.set(e.owner, n);
    }
    if (!info.view && info.pods === 0) this.#nodes.delete(e.node);
  }
}
