/**
 * EndpointSlice controller (kube-controller-manager's "endpointslice-controller"): every Service
 * with a selector gets EndpointSlices `<service>-<random>` listing the pods it selects, at most
 * 100 endpoints per slice, grouped by the ports each pod resolves. Each endpoint carries its
 * addresses, conditions (serving = pod Ready, terminating = pod being deleted, ready = serving
 * and not terminating, or always with publishNotReadyAddresses), nodeName, zone (the node's
 * topology.kubernetes.io/zone), hostname and targetRef. Slices are labelled
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by=
 * endpointslice-controller.k8s.io plus the Service's labels, owned by the Service (controller,
 * blockOwnerDeletion), and stamped with endpoints.kubernetes.io/last-change-trigger-time.
 *
 * A pod event only syncs the Services that select the pod (indexes, see ServiceMembership);
 * several workers sync Services in parallel; a sync writes only slices that changed. Level
 * triggered: after a restart every Service is synced against what exists.
 *
 * Slices of a deleted Service are removed by the garbage collector, through their
 * ownerReferences, as upstream.
 *
 * Limitations vs Kubernetes:
 * - No topology hints (service.kubernetes.io/topology-mode, trafficDistribution) and no
 *   endpointslice controller metrics.
 * - The order of endpoints in a new slice is by address (upstream's is arbitrary).
 * - Mirroring of selector-less Endpoints into slices (endpointslicemirroring controller) is not
 *   done: such Services get no slices unless someone creates them.
 */
import { R, keyOf, splitKey, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";
import { CONTROLLER_NAME, reconcileSlices } from "./reconcile.ts";
import { RecentWrites } from "./tracker.ts";
import {
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  ServiceMembership,
  TriggerTimeTracker,
  isNamespaceGone,
  serviceSelector,
} from "./util.ts";

/** The event source and controller name, as upstream's. */
const COMPONENT = "endpointslice-controller";
/** endpointSliceChangeMinSyncDelay: a slice changed by someone else is resynced after this. */
const SLICE_CHANGE_DELAY_MS = 1_000;
const SLICE_INDEX = "endpointslice/service";

function managedService(slice: KObject): string | undefined {
  const labels = slice["metadata"]?.["labels"] ?? {};
  if (labels[LABEL_MANAGED_BY] !== CONTROLLER_NAME || !labels[LABEL_SERVICE_NAME]) return undefined;
  return `${slice["metadata"]["namespace"]}/${labels[LABEL_SERVICE_NAME]}`;
}

/** The EndpointSlice controller. */
export const endpointSliceController: Controller = {
  name: COMPONENT,
  setup(ctx) {
    const services = ctx.informers.for(R.services);
    const pods = ctx.informers.for(R.pods);
    const slices = ctx.informers.for(R.endpointslices);
    const nodes = ctx.informers.for(R.nodes);
    const membership = new ServiceMembership(pods, services);
    slices.addIndex(SLICE_INDEX, (s) => {
      const k = managedService(s);
      return k ? [k] : [];
    });
    const recent = new RecentWrites((k) => slices.get(k));
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
    // Someone else's change to one of our slices (or a lost write) gets the Service resynced.
    const sliceChanged = (s: KObject) => {
      const k = managedService(s);
      if (k) queue.addAfter(k, SLICE_CHANGE_DELAY_MS);
    };
    slices.addHandlers({
      add: (s) => managedService(s) && recent.observe(s) === "foreign" && sliceChanged(s),
      update: (o, s) => {
        const before = managedService(o);
        const now = managedService(s);
        if (before !== now) {
          if (before) queue.addAfter(before, SLICE_CHANGE_DELAY_MS);
          if (now) queue.addAfter(now, SLICE_CHANGE_DELAY_MS);
          recent.observe(s);
          return;
        }
        if (now && recent.observe(s) === "foreign") sliceChanged(s);
      },
      delete: (s) => managedService(s) && recent.observeDelete(s) === "foreign" && sliceChanged(s),
    });

    async function sync(key: string): Promise<void> {
      const { namespace, name } = splitKey(key);
      const ns = namespace!;
      const svc = services.get(key);
      if (!svc) {
        // Its slices go with it: the garbage collector deletes them through their ownerReferences.
        triggerTimes.delete(ns, name);
        recent.forget(key);
        return;
      }
      // ExternalName Services get no endpoints (issues.k8s.io/105986); selector-less ones get
      // slices from whoever creates them.
      if (svc["spec"]?.["type"] === "ExternalName" || !serviceSelector(svc)) return;

      const selected = membership.podsFor(svc);
      const existing = recent
        .list(key, slices.byIndex(SLICE_INDEX, key))
        .filter((s) => !s["metadata"]["deletionTimestamp"]);
      // Computed on every sync so the tracker's state stays current even when nothing is written.
      const triggerTime = triggerTimes.compute(svc, selected);
      const plan = reconcileSlices({
        service: svc,
        pods: selected,
        existing,
        node: (n) => nodes.get(n),
        triggerTime,
      });
      try {
        for (const s of plan.create) {
          try {
            recent.wrote(key, await ctx.client.create(R.endpointslices, ns, s));
          } catch (err) {
            // A namespace being deleted refuses new objects for good: drop the Service.
            if (isNamespaceGone(err)) return;
            throw err;
          }
        }
        for (const s of plan.update) recent.wrote(key, await ctx.client.update(R.endpointslices, ns, s));
        for (const s of plan.delete) {
          await ctx.client.delete(R.endpointslices, ns, s["metadata"]["name"]);
          recent.deleted(key, s);
        }
        if (plan.errors.length > 0) throw new Error(plan.errors.join("; "));
      } catch (err) {
        recorder.event(
          { apiVersion: "v1", kind: "Service", ...svc },
          "Warning",
          "FailedToUpdateEndpointSlices",
          `Error updating Endpoint Slices for Service ${ns}/${name}: ${err instanceof Error ? err.message : String(err)}`,
        );
        throw err;
      }
    }

    return {
      run: () => void queue.run(ctx.settings.workers, sync),
      stop: () => queue.stop(),
    };
  },
};
