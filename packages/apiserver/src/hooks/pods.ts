/**
 * Pod strategy: status reset on create, and graceful deletion. A pod bound to a node is not
 * removed by DELETE: it gets deletionTimestamp plus its grace period, and the node's kubelet
 * finishes the deletion (as in Kubernetes). Unbound and finished pods go at once.
 */
import type { KObject } from "@kemu/store";
import type { ResourceHooks } from "../hooks.ts";

/** The DefaultTolerationSeconds admission settings. */
export interface TolerationDefaults {
  notReadySeconds: number;
  unreachableSeconds: number;
}

/** The Pod hooks. */
export function podHooks(defaults: TolerationDefaults): ResourceHooks {
  return {
    prepareForCreate(pod) {
      pod["status"] = { phase: "Pending", qosClass: qosClass(pod) };
      if (Array.isArray(pod["spec"]?.["schedulingGates"]) && pod["spec"]["schedulingGates"].length > 0) {
        pod["status"]["conditions"] = [
          {
            type: "PodScheduled",
            status: "False",
            reason: "SchedulingGated",
            message: "Scheduling is blocked due to non-empty scheduling gates",
            lastProbeTime: null,
            lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
          },
        ];
      }
      // DefaultTolerationSeconds: tolerate a not-ready or unreachable node for a while, unless
      // the pod says otherwise.
      const spec = (pod["spec"] ??= {}) as KObject;
      const tolerations: KObject[] = Array.isArray(spec["tolerations"]) ? spec["tolerations"] : [];
      for (const [key, seconds] of [
        ["node.kubernetes.io/not-ready", defaults.notReadySeconds],
        ["node.kubernetes.io/unreachable", defaults.unreachableSeconds],
      ] as const) {
        const covered = tolerations.some(
          (t) =>
            (t["effect"] === "NoExecute" || !t["effect"]) &&
            (t["key"] === key || (!t["key"] && t["operator"] === "Exists")),
        );
        if (!covered)
          tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: seconds });
      }
      spec["tolerations"] = tolerations;
    },
    gracePeriod: podGracePeriod,
  };
}

/** Graceful deletion: bound, unfinished pods wait their grace period for the kubelet. */
function podGracePeriod(pod: KObject, requested: number | undefined): number {
  const spec = pod["spec"] ?? {};
  const phase = pod["status"]?.["phase"];
  if (!spec["nodeName"] || phase === "Succeeded" || phase === "Failed") return 0;
  return Math.max(0, Number(requested ?? spec["terminationGracePeriodSeconds"] ?? 30));
}

/** The pod's QoS class, from its containers' requests and limits (v1 qos.GetPodQOS, simplified to cpu/memory). */
function qosClass(pod: KObject): string {
  const containers: KObject[] = [
    ...(pod["spec"]?.["containers"] ?? []),
    ...(pod["spec"]?.["initContainers"] ?? []),
  ];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c["resources"]?.["requests"] ?? {};
    const lim = c["resources"]?.["limits"] ?? {};
    for (const r of ["cpu", "memory"]) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const want = req[r] ?? lim[r];
      if (lim[r] === undefined || String(want) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}
