/**
 * Scheduler (kube-scheduler's default profile, component "default-scheduler"): binds each
 * pending pod whose spec.schedulerName is default-scheduler to a node, through the pods/binding
 * subresource, and records a Scheduled event ("Successfully assigned ns/pod to node").
 *
 * - Filters: cordoned nodes (NodeUnschedulable), NoSchedule/NoExecute taints the pod does not
 *   tolerate (TaintToleration; a node that is not Ready counts as tainted not-ready/unreachable
 *   even before the node lifecycle controller taints it), nodeSelector and required node affinity
 *   with matchExpressions and matchFields (NodeAffinity, including its PreFilter for DaemonSet
 *   pods pinned by metadata.name), host ports (NodePorts), and cpu, memory and pod-count
 *   requests against allocatable (NodeResourcesFit).
 * - Score: see score.ts (PreferNoSchedule taints, preferred affinity, then spreading: fewest
 *   pods of the same owner, fewest pods, random among equals).
 * - A pod no node fits stays Pending with PodScheduled=False, reason Unschedulable and upstream's
 *   message ("0/3 nodes are available: ... preemption: ..."), plus a FailedScheduling event; it
 *   is tried again when a node is added or changes or a bound pod goes away, and every 5 minutes.
 *   API errors are retried with backoff (1 s doubling to 10 s).
 * - Decisions are made one pod at a time on an in-memory cache (informers plus the pods assumed
 *   on their node while their binding is in flight), and up to MAX_IN_FLIGHT bindings run at
 *   once, so throughput is not bounded by API round trips and parallel binds never overcommit a
 *   node. After a restart the cache is rebuilt from the informers; a pod bound just before the
 *   crash is seen bound, and binding one twice fails with 409 and is dropped.
 *
 * Limitations vs Kubernetes: no preemption (the message reports no victims), no inter-pod
 * (anti-)affinity, topology spread constraints, volumes, DRA, image locality or extenders; the
 * scores are a fixed lexicographic order rather than weighted plugins; one profile only; the
 * SchedulingGated condition is left to the API server (gated pods are simply not tried); no
 * leader election (run one controller manager).
 */
import { ApiError } from "@kemu/apiserver";
import { R, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { occupiesNode, ownerKey, podKey, SchedulerCache, type NodeInfo } from "./cache.ts";
import { filterNode, podView, prefilterNodeNames, REASON, type NodeFailure } from "./filters.ts";
import { fitErrorMessage, NO_NODES_MESSAGE } from "./message.ts";
import { SchedulingQueue, type PoppedPod } from "./schedulingqueue.ts";
import { selectNode } from "./score.ts";

/** The scheduler name this scheduler answers to. */
export const SCHEDULER_NAME = "default-scheduler";

/** Bindings (and status updates) in flight at once. */
const MAX_IN_FLIGHT = 32;

const ts = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Whether this scheduler should place the pod now. */
export function needsScheduling(pod: KObject): boolean {
  const spec = pod["spec"] ?? {};
  const phase = pod["status"]?.["phase"];
  return (
    !spec["nodeName"] &&
    (spec["schedulerName"] || SCHEDULER_NAME) === SCHEDULER_NAME &&
    !pod["metadata"]?.["deletionTimestamp"] &&
    phase !== "Succeeded" &&
    phase !== "Failed" &&
    !(Array.isArray(spec["schedulingGates"]) && spec["schedulingGates"].length > 0)
  );
}

/** Whether an update changed more than status and bookkeeping (upstream's isPodUpdated). */
export function podSpecChanged(oldPod: KObject, newPod: KObject): boolean {
  const strip = (p: KObject) => {
    const {
      resourceVersion: _rv,
      generation: _g,
      managedFields: _m,
      finalizers: _f,
      ...md
    } = p["metadata"] ?? {};
    return JSON.stringify([md, p["spec"]]);
  };
  return strip(oldPod) !== strip(newPod);
}

/** The result of one scheduling decision. */
export type Decision = { node: NodeInfo } | { message: string };

/** Decides where a pod goes, from the cache alone (no I/O). */
export function decide(pod: KObject, cache: SchedulerCache, rand: () => number = Math.random): Decision {
  const all = cache.nodes();
  if (all.length === 0) return { message: NO_NODES_MESSAGE };
  const view = podView(pod);
  const preemptionNever = view.spec["preemptionPolicy"] === "Never";
  const names = prefilterNodeNames(view.spec);
  if (names && names.size === 0) {
    return {
      message: fitErrorMessage({
        numAllNodes: all.length,
        failures: [],
        preFilterMsg: REASON.affinityConflict,
        skippedByPreFilter: 0,
        preemptionNever,
      }),
    };
  }
  const candidates = names ? [...names].map((n) => cache.node(n)).filter((n) => n !== undefined) : all;
  const failures: NodeFailure[] = [];
  const feasible: NodeInfo[] = [];
  for (const n of candidates) {
    const f = filterNode(view, n.view!, n);
    if (f) failures.push(f);
    else feasible.push(n);
  }
  if (feasible.length > 0) return { node: selectNode(view, ownerKey(pod), feasible, rand) };
  return {
    message: fitErrorMessage({
      numAllNodes: all.length,
      failures,
      skippedByPreFilter: all.length - candidates.length,
      preemptionNever,
    }),
  };
}

/** The scheduler. */
export const schedulerController: Controller = {
  name: "scheduler",
  setup(ctx) {
    const log = ctx.log;
    const nodes = ctx.informers.for(R.nodes);
    const pods = ctx.informers.for(R.pods);
    const recorder = ctx.recorder(SCHEDULER_NAME);
    const cache = new SchedulerCache();
    const queue = new SchedulingQueue();
    let inFlight = 0;
    let slotFree: (() => void) | undefined;
    let stopped = false;

    nodes.addHandlers({
      add: (n) => {
        cache.setNode(n);
        queue.moveAllToActiveOrBackoff();
      },
      update: (_o, n) => {
        if (cache.setNode(n)) queue.moveAllToActiveOrBackoff();
      },
      delete: (n) => cache.removeNode(n["metadata"]["name"]),
    });

    pods.addHandlers({
      add: (p) => onPod(undefined, p),
      update: (o, p) => onPod(o, p),
      delete: (p) => {
        const key = podKey(p);
        const wasCounted = cache.nodeOf(key) !== undefined && !cache.isAssumed(key);
        cache.removePod(p);
        queue.delete(key);
        // A pod leaving a node frees room there.
        if (wasCounted) queue.moveAllToActiveOrBackoff();
      },
    });

    function onPod(old: KObject | undefined, pod: KObject): void {
      const key = podKey(pod);
      const counted = cache.nodeOf(key) !== undefined && !cache.isAssumed(key);
      cache.updatePod(pod);
      if (counted && !occupiesNode(pod)) queue.moveAllToActiveOrBackoff();
      if (!needsScheduling(pod)) {
        queue.delete(key);
        return;
      }
      // Its binding is in flight; the watch has not caught up yet.
      if (cache.isAssumed(key)) return;
      if (old && queue.has(key) && !podSpecChanged(old, pod)) return;
      queue.add(key, Number(pod["spec"]?.["priority"] ?? 0));
    }

    function podRef(pod: KObject): KObject {
      return { apiVersion: "v1", kind: "Pod", ...pod };
    }

    /** After an attempt: drop the pod if it no longer needs us, else fn decides. */
    function settle(key: string, fn: () => void): void {
      const cur = pods.get(key);
      if (!cur || !needsScheduling(cur) || cache.isAssumed(key)) queue.done(key);
      else fn();
    }

    async function bind(pod: KObject, node: string): Promise<void> {
      const md = pod["metadata"];
      const key = podKey(pod);
      try {
        await ctx.client.createSubresource(R.pods, md["namespace"], md["name"], "binding", {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: md["name"], namespace: md["namespace"], uid: md["uid"] },
          target: { apiVersion: "v1", kind: "Node", name: node },
        });
        queue.done(key);
        recorder.event(
          podRef(pod),
          "Normal",
          "Scheduled",
          `Successfully assigned ${md["namespace"]}/${md["name"]} to ${node}`,
        );
      } catch (err) {
        cache.forget(pod);
        // 404: the pod is gone; 409: it is bound already, being deleted, or was replaced; the
        // informer tells which, and settle() acts on what it says.
        const expected = err instanceof ApiError && (err.code === 404 || err.code === 409);
        if (!expected) log.warn("binding failed; will retry", { pod: key, node, err: String(err) });
        settle(key, () => queue.retry(key));
      }
    }

    async function markUnschedulable(pod: KObject, message: string): Promise<void> {
      const md = pod["metadata"];
      const conds: KObject[] = pod["status"]?.["conditions"] ?? [];
      const cur = conds.find((c) => c["type"] === "PodScheduled");
      if (cur?.["status"] === "False" && cur["reason"] === "Unschedulable" && cur["message"] === message)
        return;
      const since = cur?.["status"] === "False" ? cur["lastTransitionTime"] : ts(ctx.now());
      try {
        await ctx.client.patch(
          R.pods,
          md["namespace"],
          md["name"],
          {
            status: {
              conditions: [
                {
                  type: "PodScheduled",
                  status: "False",
                  lastProbeTime: null,
                  lastTransitionTime: since,
                  reason: "Unschedulable",
                  message,
                },
              ],
            },
          },
          { type: "strategic", subresource: "status" },
        );
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) {
          log.warn("could not update pod condition", { pod: podKey(pod), err: String(err) });
        }
      }
    }

    function track(p: Promise<void>): void {
      inFlight++;
      void p.finally(() => {
        inFlight--;
        const w = slotFree;
        slotFree = undefined;
        w?.();
      });
    }

    function scheduleOne(item: PoppedPod): void {
      const pod = pods.get(item.key);
      if (!pod || !needsScheduling(pod) || cache.isAssumed(item.key)) {
        queue.done(item.key);
        return;
      }
      const d = decide(pod, cache);
      if ("node" in d) {
        cache.assume(pod, d.node.name);
        track(bind(pod, d.node.name));
        return;
      }
      log.debug("pod is unschedulable", { pod: item.key, attempts: item.attempts, message: d.message });
      queue.unschedulable(item.key);
      recorder.event(podRef(pod), "Warning", "FailedScheduling", d.message);
      track(markUnschedulable(pod, d.message));
    }

    async function loop(): Promise<void> {
      while (!stopped) {
        while (inFlight >= MAX_IN_FLIGHT && !stopped) await new Promise<void>((r) => (slotFree = r));
        const item = await queue.pop();
        if (!item) return;
        try {
          scheduleOne(item);
        } catch (err) {
          log.error("scheduling attempt failed", { pod: item.key, err: String(err) });
          settle(item.key, () => queue.retry(item.key));
        }
      }
    }

    return {
      run: () => {
        queue.start();
        void loop();
      },
      stop: () => {
        stopped = true;
        queue.close();
        slotFree?.();
      },
    };
  },
};
