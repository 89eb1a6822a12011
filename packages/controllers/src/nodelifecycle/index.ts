/**
 * Node lifecycle, as kube-controller-manager's node lifecycle controller, taint eviction
 * manager and pod garbage collector do it:
 *
 * - A node whose Lease (kube-node-lease) and Ready heartbeat are older than the grace period
 *   (--node-monitor-grace-period, 40 s) gets its conditions set to Unknown ("Kubelet stopped
 *   posting node status."), a NodeNotReady event, and its pods' Ready condition set to False,
 *   so they leave Endpoints.
 * - Nodes carry the taints upstream derives from their state: unreachable (Ready Unknown) and
 *   not-ready (Ready False) as NoSchedule and NoExecute, unschedulable as NoSchedule.
 * - Pods on a node with a NoExecute taint they do not tolerate are evicted at once; pods that
 *   tolerate it for tolerationSeconds (300 s by default, from DefaultTolerationSeconds) are
 *   evicted when that runs out, so their controllers replace them elsewhere.
 * - Pods bound to a node that no longer exists are force-deleted after --pod-gc-orphan-seconds.
 *
 * Limitations vs Kubernetes: no zone-aware eviction rate limiting (every eligible pod is
 * evicted when due); no out-of-service taint handling; terminated-pod GC threshold not applied.
 */
import { R, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";

const UNREACHABLE = "node.kubernetes.io/unreachable";
const NOT_READY = "node.kubernetes.io/not-ready";
const UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
const MANAGED = new Set([UNREACHABLE, NOT_READY, UNSCHEDULABLE]);

const ts = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Whether toleration t tolerates taint. */
export function tolerates(t: KObject, taint: KObject): boolean {
  if (t["effect"] && t["effect"] !== taint["effect"]) return false;
  if (t["operator"] === "Exists") return !t["key"] || t["key"] === taint["key"];
  return t["key"] === taint["key"] && (t["value"] ?? "") === (taint["value"] ?? "");
}

/**
 * When a pod must go because of a node's NoExecute taints: 0 for now, a time in ms, or
 * Infinity when it tolerates them all forever.
 */
export function evictionTime(pod: KObject, taints: KObject[]): number {
  let due = Infinity;
  const tolerations: KObject[] = pod["spec"]?.["tolerations"] ?? [];
  for (const taint of taints) {
    if (taint["effect"] !== "NoExecute") continue;
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return 0;
    if (matching.some((t) => t["tolerationSeconds"] === undefined || t["tolerationSeconds"] === null))
      continue;
    const seconds = Math.min(...matching.map((t) => Number(t["tolerationSeconds"])));
    const added = taint["timeAdded"] ? Date.parse(taint["timeAdded"]) : Date.now();
    due = Math.min(due, added + Math.max(0, seconds) * 1000);
  }
  return due;
}

/** The taints the controller wants on a node, from its Ready condition and spec.unschedulable. */
export function desiredTaints(node: KObject, now: Date): KObject[] {
  const ready = (node["status"]?.["conditions"] as KObject[] | undefined)?.find((c) => c["type"] === "Ready");
  const current: KObject[] = node["spec"]?.["taints"] ?? [];
  const keep = (key: string, effect: string) =>
    current.find((t) => t["key"] === key && t["effect"] === effect) ?? { key, effect, timeAdded: ts(now) };
  const want: KObject[] = [];
  if (!ready || ready["status"] === "Unknown")
    want.push(keep(UNREACHABLE, "NoSchedule"), keep(UNREACHABLE, "NoExecute"));
  else if (ready["status"] === "False")
    want.push(keep(NOT_READY, "NoSchedule"), keep(NOT_READY, "NoExecute"));
  if (node["spec"]?.["unschedulable"])
    want.push({
      key: UNSCHEDULABLE,
      effect: "NoSchedule",
      timeAdded: keep(UNSCHEDULABLE, "NoSchedule")["timeAdded"],
    });
  return [...current.filter((t) => !MANAGED.has(t["key"])), ...want];
}

/** The node lifecycle controller. */
export const nodeLifecycleController: Controller = {
  name: "nodelifecycle",
  setup(ctx) {
    const nodes = ctx.informers.for(R.nodes);
    const leases = ctx.informers.for(R.leases);
    const pods = ctx.informers.for(R.pods);
    pods.addIndex("nodeName", (p) => (p["spec"]?.["nodeName"] ? [p["spec"]["nodeName"]] : []));
    const recorder = ctx.recorder("node-controller");
    const taintRecorder = ctx.recorder("taint-eviction-controller");
    const nodeQueue = new WorkQueue("nodelifecycle", ctx.log);
    const podQueue = new WorkQueue("taint-eviction", ctx.log);
    const graceMs = ctx.settings.nodeMonitorGracePeriodSeconds * 1000;
    /** Each node's NoExecute taints when its pods were last queued for an eviction check. */
    const lastNoExecute = new Map<string, string>();
    /** When a pod on a missing node was first seen (pod GC). */
    const orphanSince = new Map<string, number>();

    nodes.addHandlers({
      add: (n) => nodeQueue.add(n["metadata"]["name"]),
      update: (_o, n) => nodeQueue.add(n["metadata"]["name"]),
      delete: (n) => {
        lastNoExecute.delete(n["metadata"]["name"]);
        for (const p of pods.byIndex("nodeName", n["metadata"]["name"])) podQueue.add(podKey(p));
      },
    });
    pods.addHandlers({
      add: (p) => p["spec"]?.["nodeName"] && podQueue.add(podKey(p)),
      update: (_o, p) => p["spec"]?.["nodeName"] && podQueue.add(podKey(p)),
      delete: (p) => orphanSince.delete(podKey(p)),
    });

    function podKey(p: KObject): string {
      return `${p["metadata"]["namespace"]}/${p["metadata"]["name"]}`;
    }

    function lastHeartbeat(node: KObject): number {
      const name = node["metadata"]["name"];
      const lease = leases.get(`kube-node-lease/${name}`);
      const renew = lease?.["spec"]?.["renewTime"] ? Date.parse(lease["spec"]["renewTime"]) : 0;
      const ready = (node["status"]?.["conditions"] as KObject[] | undefined)?.find(
        (c) => c["type"] === "Ready",
      );
      const hb = ready?.["lastHeartbeatTime"] ? Date.parse(ready["lastHeartbeatTime"]) : 0;
      const created = Date.parse(node["metadata"]["creationTimestamp"] ?? "") || 0;
      return Math.max(renew, hb, created);
    }

    async function syncNode(name: string): Promise<void> {
      const node = nodes.get(name);
      if (!node) return;
      const now = ctx.now();
      const conditions: KObject[] = node["status"]?.["conditions"] ?? [];
      const ready = conditions.find((c) => c["type"] === "Ready");
      if (now.getTime() - lastHeartbeat(node) > graceMs && ready?.["status"] !== "Unknown") {
        const updated = conditions.map((c) =>
          c["status"] === "Unknown"
            ? c
            : {
                ...c,
                status: "Unknown",
                reason: "NodeStatusUnknown",
                message: "Kubelet stopped posting node status.",
                lastTransitionTime: ts(now),
              },
        );
        if (!ready) {
          updated.push({
            type: "Ready",
            status: "Unknown",
            reason: "NodeStatusNeverUpdated",
            message: "Kubelet never posted node status.",
            lastHeartbeatTime: ts(now),
            lastTransitionTime: ts(now),
          });
        }
        await ctx.client.patch(
          R.nodes,
          undefined,
          name,
          { status: { conditions: updated } },
          { type: "strategic", subresource: "status" },
        );
        recorder.event(
          { apiVersion: "v1", kind: "Node", ...node },
          "Normal",
          "NodeNotReady",
          `Node ${name} status is now: NodeNotReady`,
        );
        // Its pods can no longer be trusted to serve: out of the endpoints they go.
        for (const p of pods.byIndex("nodeName", name)) {
          const conds: KObject[] = p["status"]?.["conditions"] ?? [];
          if (!conds.some((c) => c["type"] === "Ready" && c["status"] === "True")) continue;
          await ctx.client
            .patch(
              R.pods,
              p["metadata"]["namespace"],
              p["metadata"]["name"],
              {
                status: {
                  conditions: [
                    { type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: ts(now) },
                  ],
                },
              },
              { type: "strategic", subresource: "status" },
            )
            .catch(() => {});
          recorder.event(
            { apiVersion: "v1", kind: "Pod", ...p },
            "Warning",
            "NodeNotReady",
            "Node is not ready",
          );
        }
        return; // the update brings us back for the taints
      }
      const want = desiredTaints(node, now);
      const have: KObject[] = node["spec"]?.["taints"] ?? [];
      const same =
        want.length === have.length &&
        want.every((t) =>
          have.some(
            (h) =>
              h["key"] === t["key"] &&
              h["effect"] === t["effect"] &&
              (h["value"] ?? "") === (t["value"] ?? ""),
          ),
        );
      if (!same) {
        await ctx.client.patch(R.nodes, undefined, name, {
          metadata: { resourceVersion: node["metadata"]["resourceVersion"] },
          spec: { taints: want.length > 0 ? want : null },
        });
        if (
          ready?.["status"] === "True" &&
          have.some((t) => t["key"] === UNREACHABLE || t["key"] === NOT_READY)
        ) {
          recorder.event(
            { apiVersion: "v1", kind: "Node", ...node },
            "Normal",
            "NodeReady",
            `Node ${name} status is now: NodeReady`,
          );
        }
      }
      // Pods need a look only when the node's NoExecute taints change (new pods are queued by
      // their own events); re-checking every pod on every monitor tick would starve the process.
      const noExecute = JSON.stringify(
        have
          .filter((t) => t["effect"] === "NoExecute")
          .map((t) => [t["key"], t["value"] ?? "", t["timeAdded"] ?? ""]),
      );
      if (lastNoExecute.get(name) !== noExecute) {
        lastNoExecute.set(name, noExecute);
        for (const p of pods.byIndex("nodeName", name)) podQueue.add(podKey(p));
      }
    }

    async function syncPod(key: string): Promise<void> {
      const pod = pods.get(key);
      if (
        !pod ||
        (pod["metadata"]["deletionTimestamp"] && pod["metadata"]["deletionGracePeriodSeconds"] === 0)
      )
        return;
      const nodeName: string | undefined = pod["spec"]?.["nodeName"];
      if (!nodeName) return;
      const node = nodes.get(nodeName);
      const md = pod["metadata"];
      if (!node) {
        // Pod GC: bound to a node that is gone. Confirm with the API, then wait out the quarantine.
        if (await ctx.client.get(R.nodes, undefined, nodeName)) return;
        const since = orphanSince.get(key) ?? ctx.now().getTime();
        orphanSince.set(key, since);
        const due = since + ctx.settings.podGcOrphanSeconds * 1000 - ctx.now().getTime();
        if (due > 0) {
          podQueue.addAfter(key, due);
          return;
        }
        await ctx.client.delete(R.pods, md["namespace"], md["name"], {
          gracePeriodSeconds: 0,
          preconditions: { uid: md["uid"] },
        });
        orphanSince.delete(key);
        return;
      }
      if (md["deletionTimestamp"]) return;
      const due = evictionTime(pod, node["spec"]?.["taints"] ?? []);
      if (due === Infinity) return;
      const wait = due - ctx.now().getTime();
      if (wait > 0) {
        podQueue.addAfter(key, wait);
        return;
      }
      taintRecorder.event(
        { apiVersion: "v1", kind: "Pod", ...pod },
        "Normal",
        "TaintManagerEviction",
        `Marking for deletion Pod ${key}`,
      );
      await ctx.client.delete(R.pods, md["namespace"], md["name"], { preconditions: { uid: md["uid"] } });
    }

    let timer: NodeJS.Timeout | undefined;
    return {
      run() {
        void nodeQueue.run(1, syncNode);
        void podQueue.run(ctx.settings.workers, syncPod);
        timer = setInterval(() => {
          for (const n of nodes.list()) nodeQueue.add(n["metadata"]["name"]);
        }, ctx.settings.nodeMonitorPeriodSeconds * 1000);
        timer.unref();
      },
      stop() {
        clearInterval(timer);
        nodeQueue.stop();
        podQueue.stop();
      },
    };
  },
};
