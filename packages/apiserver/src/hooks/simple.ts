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

const TEMPLATE_GENERATION = "deprecated.daemonset.template.generation";

/**
 * DaemonSets as apps/v1's strategy keeps them: the template generation annotation starts at 1
 * and goes up only when the pod template changes (pods carry it as pod-template-generation).
 */
export const daemonSetHooks: ResourceHooks = {
  prepareForCreate(ds) {
    ds["status"] = {};
    const ann = (ds["metadata"]["annotations"] ??= {});
    ann[TEMPLATE_GENERATION] = "1";
  },
  async beforeUpdate(_ctx, ds, old) {
    const prev = Number(old["metadata"]?.["annotations"]?.[TEMPLATE_GENERATION] ?? 1) || 1;
    const changed = JSON.stringify(ds["spec"]?.["template"]) !== JSON.stringify(old["spec"]?.["template"]);
    const ann = (ds["metadata"]["annotations"] ??= {});
    ann[TEMPLATE_GENERATION] = String(changed ? prev + 1 : prev);
  },
};
