/**
 * Endpoints controller (kube-controller-manager's "endpoint-controller"): every Service with a
 * selector has an Endpoints object of the same name listing the pods it selects, ready ones in
 * `addresses` and the others in `notReadyAddresses` (all in `addresses` with
 * publishNotReadyAddresses), grouped into subsets by the ports they offer (a named targetPort is
 * resolved per pod; a pod that does not resolve it is left out of that port). Pods without an IP,
 * terminal pods and pods being deleted (unless publishNotReadyAddresses) are left out. The object
 * carries the Service's labels (plus service.kubernetes.io/headless for a headless Service) and
 * endpoints.kubernetes.io/last-change-trigger-time, is truncated at 1000 addresses
 * (endpoints.kubernetes.io/over-capacity), and is deleted with its Service. Endpoints of Services
 * without a selector are never touched (they are made by hand). Nothing is written when nothing
 * changed.
 *
 * Level triggered: on start every existing Endpoints object is checked, so one whose Service went
 * away while the controller was down is deleted (as upstream's checkLeftoverEndpoints, this also
 * removes a hand-made Endpoints object that has no Service at all).
 *
 * Limitations vs Kubernetes:
 * - Emulates v1.32: no endpoints.kubernetes.io/managed-by label (added in v1.33).
 * - Ports and subsets are ordered by value; upstream orders them by a hash of their Go
 *   representation (addresses are ordered by IP then UID, as upstream).
 * - No endpoint controller metrics.
 */
import { R, keyOf, splitKey, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";
import { RecentWrites } from "../endpointslice/tracker.ts";
import {
  ServiceMembership,
  TriggerTimeTracker,
  isNamespaceGone,
  serviceSelector,
} from "../endpointslice/util.ts";
import { computeSubsets, desiredEndpoints } from "./subsets.ts";

/** The event source and controller name, as upstream's. */
const COMPONENT = "endpoint-controller";
/** resourcelock.LeaderElectionRecordAnnotationKey: such Endpoints are leader locks, not a Service's. */
const LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

/** The Endpoints controller. */
export const endpointsController: Controller = {
  name: COMPONENT,
  setup(ctx) {
    const services = ctx.informers.for(R.services);
    const pods = ctx.informers.for(R.pods);
    const endpoints = ctx.informers.for(R.endpoints);
    const membership = new ServiceMembership(pods, services);
    const recent = new RecentWrites((k) => endpoints.get(k));
    const triggerTimes = new TriggerTimeTracker();
    const recorder = ctx.recorder(COMPONENT);
    const queue = new WorkQueue(COMPONENT, ctx.log);

    const enqueueAll = (keys: Iterable<string>) => {
      for (const k of keys) queue.add(k);
    };
    services.addHandlers({
      add: (s) => queue.add(keyOf(s)),
      update: (_o, s) => queue.add(keyOf(s)),
      delete: (s) => queue.add(keyOf(s)),
    });
    pods.addHandlers({
      add: (p) => enqueueAll(membership.servicesFor(p["metadata"]["namespace"], p["metadata"]["labels"])),
      update: (o, p) => enqueueAll(membership.servicesToUpdate(o, p)),
      delete: (p) => enqueueAll(membership.servicesFor(p["metadata"]["namespace"], p["metadata"]["labels"])),
    });
    endpoints.addHandlers({
      add: (ep) => void recent.observe(ep),
      update: (_o, ep) => void recent.observe(ep),
      // Deleted by someone else: put it back (or confirm it should be gone).
      delete: (ep) => recent.observeDelete(ep) === "foreign" && queue.add(keyOf(ep)),
    });

    async function write(svc: KObject, next: KObject, create: boolean): Promise<void> {
      const ns = String(svc["metadata"]["namespace"]);
      const key = `${ns}/${svc["metadata"]["name"]}`;
      try {
        const written = create
          ? await ctx.client.create(R.endpoints, ns, next)
          : await ctx.client.update(R.endpoints, ns, next);
        recent.wrote(key, written);
      } catch (err) {
        // A namespace being deleted refuses new objects for good: drop the Service.
        if (create && isNamespaceGone(err)) return;
        const msg = err instanceof Error ? err.message : String(err);
        const ep = {
          apiVersion: "v1",
          kind: "Endpoints",
          ...next,
          metadata: { ...next["metadata"], namespace: ns },
        };
        if (create) {
          recorder.event(
            ep,
            "Warning",
            "FailedToCreateEndpoint",
            `Failed to create endpoint for service ${key}: ${msg}`,
          );
        } else {
          recorder.event(ep, "Warning", "FailedToUpdateEndpoint", `Failed to update endpoint ${key}: ${msg}`);
        }
        throw err;
      }
    }

    async function sync(key: string): Promise<void> {
      const { namespace, name } = splitKey(key);
      const ns = namespace!;
      const svc = services.get(key);
      if (!svc) {
        // The Service is gone: so is its Endpoints object.
        const last = recent.get(key);
        await ctx.client.delete(R.endpoints, ns, name);
        if (last) recent.deleted(key, last);
        triggerTimes.delete(ns, name);
        return;
      }
      // ExternalName Services get no endpoints (issues.k8s.io/105986); selector-less ones keep
      // whatever Endpoints were made for them.
      if (svc["spec"]?.["type"] === "ExternalName" || !serviceSelector(svc)) return;

      const selected = membership.podsFor(svc);
      // Computed on every sync so the tracker's state stays current even when nothing is written.
      const triggerTime = triggerTimes.compute(svc, selected);
      const current = recent.get(key);
      const next = desiredEndpoints(svc, current, computeSubsets(svc, selected), triggerTime);
      if (!next) return;
      await write(svc, next, !current);
    }

    return {
      run: () => {
        // checkLeftoverEndpoints: an Endpoints object whose Service is gone is deleted.
        for (const ep of endpoints.list()) {
          if (ep["metadata"]?.["annotations"]?.[LEADER_ANNOTATION] === undefined) queue.add(keyOf(ep));
        }
        void queue.run(ctx.settings.workers, sync);
      },
      stop: () => queue.stop(),
    };
  },
};
