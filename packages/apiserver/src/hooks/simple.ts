/** Strategies of kinds whose only special behaviour is what create resets. */
import type { ResourceHooks } from "../hooks.ts";

/** Namespaces start Active with the "kubernetes" finalizer in spec, as upstream. */
export const namespaceHooks: ResourceHooks = {
  prepareForCreate(ns) {
    ns["status"] = { phase: "Active" };
    ns["spec"] = { ...(ns["spec"] ?? {}), finalizers: ns["spec"]?.["finalizers"] ?? ["kubernetes"] };
    const labels = (ns["metadata"]["labels"] ??= {});
    labels["kubernetes.io/metadata.name"] = ns["metadata"]["name"];
  },
  holdDeletion(ns) {
    const held = Array.isArray(ns["spec"]?.["finalizers"]) && ns["spec"]["finalizers"].length > 0;
    if (held && ns["metadata"]["deletionTimestamp"] !== undefined) {
      ns["status"] = { ...(ns["status"] ?? {}), phase: "Terminating" };
    }
    return held;
  },
};

/** Workload controllers (Deployment, ReplicaSet, DaemonSet) start with an empty status. */
export const workloadHooks: ResourceHooks = {
  prepareForCreate(obj) {
    obj["status"] = {};
  },
};
