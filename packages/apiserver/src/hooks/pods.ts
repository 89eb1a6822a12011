/**
 * Pod strategy: status reset on create, and graceful deletion. A pod bound to a node is not
 * removed by DELETE: it gets deletionTimestamp plus its grace period, and the node's kubelet
 * finishes the deletion (as in Kubernetes). Unbound and finished pods go at once.
 */
import type { KObject } from "@kemu/store";
import type { ResourceHooks } from "../hooks.ts";

/** The Pod hooks. */
export const podHooks: ResourceHooks = {
  prepareForCreate(pod) {
    pod["status"] = { phase: "Pending", qosClass: qosClass(pod) };
  },
  gracePeriod(pod, requested) {
    const spec = pod["spec"] ?? {};
    const phase = pod["status"]?.["phase"];
    if (!spec["nodeName"] || phase === "Succeeded" || phase === "Failed") return 0;
    const grace = requested ?? spec["terminationGracePeriodSeconds"] ?? 30;
    // gracePeriodSeconds=0 without force still means "as soon as possible": 1 s, as upstream.
    return Math.max(0, Number(grace));
  },
};

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
