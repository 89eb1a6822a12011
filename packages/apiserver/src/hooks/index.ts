/** The table of resource strategies, keyed by storage token. */
import type { Store } from "@kemu/store";
import type { ResourceHooks } from "../hooks.ts";
import { podHooks, type TolerationDefaults } from "./pods.ts";
import { serviceHooks, type ServiceNetwork } from "./services.ts";
import { daemonSetHooks, namespaceHooks, workloadHooks } from "./simple.ts";
import { CRD_STORAGE, crdHooks } from "../crds.ts";

export type { ServiceNetwork } from "./services.ts";

/** Builds every resource's hooks for a cluster. */
export function makeHooks(
  store: Store,
  net: ServiceNetwork,
  tolerations: TolerationDefaults = { notReadySeconds: 300, unreachableSeconds: 300 },
): Record<string, ResourceHooks> {
  return {
    pods: podHooks(tolerations),
    services: serviceHooks(store, net),
    namespaces: namespaceHooks,
    deployments_apps: workloadHooks,
    replicasets_apps: workloadHooks,
    daemonsets_apps: daemonSetHooks,
    [CRD_STORAGE]: crdHooks,
  };
}
