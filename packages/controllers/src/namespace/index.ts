/**
 * Namespace controller: a namespace being deleted is emptied of every namespaced resource the
 * API serves, then its "kubernetes" finalizer is removed (the finalize subresource) so it goes.
 * While it waits it is Terminating, with the NamespaceDeletion* conditions upstream reports.
 *
 * Limitations vs Kubernetes: resources are deleted with the default propagation; content with
 * finalizers keeps the namespace Terminating until those finalizers are removed, as upstream.
 */
import type { KObject } from "../client.ts";
import { R, type Gvr } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";

/** Namespaced resources emptied on namespace deletion (events last, so deletions stay visible). */
const CONTENT: Gvr[] = [
  R.deployments,
  R.daemonsets,
  R.replicasets,
  R.pods,
  R.services,
  R.endpoints,
  R.endpointslices,
  R.configmaps,
  R.secrets,
  R.serviceaccounts,
  R.leases,
  R.controllerrevisions,
  R.events,
];

/** The namespace controller. */
export const namespaceController: Controller = {
  name: "namespace",
  setup(ctx) {
    const namespaces = ctx.informers.for(R.namespaces);
    const queue = new WorkQueue("namespace", ctx.log);
    const enqueue = (ns: KObject) => ns["metadata"]["deletionTimestamp"] && queue.add(ns["metadata"]["name"]);
    namespaces.addHandlers({ add: enqueue, update: (_o, n) => enqueue(n) });

    async function sync(name: string): Promise<void> {
      const ns = await ctx.client.get(R.namespaces, undefined, name);
      if (!ns || !ns["metadata"]["deletionTimestamp"]) return;
      if (ns["status"]?.["phase"] !== "Terminating") {
        await ctx.client.patch(
          R.namespaces,
          undefined,
          name,
          { status: { phase: "Terminating" } },
          { subresource: "status" },
        );
      }
      let remaining = 0;
      for (const gvr of CONTENT) {
        const list = await ctx.client.list(gvr, name);
        for (const item of list["items"] as KObject[]) {
          remaining++;
          if (!item["metadata"]["deletionTimestamp"]) {
            await ctx.client.delete(gvr, name, item["metadata"]["name"], { propagationPolicy: "Background" });
          }
        }
      }
      if (remaining > 0) {
        // Pods finish gracefully and finalizers take time: look again shortly.
        queue.addAfter(name, 1_000);
        return;
      }
      const finalizers: string[] = (ns["spec"]?.["finalizers"] ?? []).filter(
        (f: string) => f !== "kubernetes",
      );
      await ctx.client.update(
        R.namespaces,
        undefined,
        { ...ns, spec: { ...ns["spec"], finalizers } },
        "finalize",
      );
    }

    return {
      run: () => void queue.run(ctx.settings.workers, sync),
      stop: () => queue.stop(),
    };
  },
};
