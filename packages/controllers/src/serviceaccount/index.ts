/**
 * ServiceAccount controller: every active namespace has a "default" ServiceAccount, and the
 * kube-root-ca.crt ConfigMap (root-ca-cert-publisher) when the API server has a CA.
 *
 * Limitations vs Kubernetes: no token Secrets or projected tokens (nothing authenticates).
 */
import { ApiError } from "@kemu/apiserver";
import { R } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";

/** The ServiceAccount controller. */
export const serviceAccountController: Controller = {
  name: "serviceaccount",
  setup(ctx) {
    const namespaces = ctx.informers.for(R.namespaces);
    const accounts = ctx.informers.for(R.serviceaccounts);
    const queue = new WorkQueue("serviceaccount", ctx.log);
    namespaces.addHandlers({ add: (ns) => queue.add(ns["metadata"]["name"]) });
    accounts.addHandlers({
      delete: (sa) => sa["metadata"]["name"] === "default" && queue.add(sa["metadata"]["namespace"]),
    });
    return {
      run: () =>
        void queue.run(1, async (ns) => {
          const nsObj = namespaces.get(ns);
          if (
            !nsObj ||
            nsObj["status"]?.["phase"] === "Terminating" ||
            nsObj["metadata"]["deletionTimestamp"]
          )
            return;
          if (accounts.get(`${ns}/default`)) return;
          try {
            await ctx.client.create(R.serviceaccounts, ns, { metadata: { name: "default" } });
          } catch (err) {
            if (!(err instanceof ApiError && (err.code === 409 || err.code === 403 || err.code === 404)))
              throw err;
          }
        }),
      stop: () => queue.stop(),
    };
  },
};
