/**
 * DaemonSet controller (component "daemonset-controller"): one pod per eligible node.
 *
 * - A node is eligible when the template's nodeName (if any), nodeSelector and required node
 *   affinity match it and it has no NoSchedule/NoExecute taint the pod does not tolerate; daemon
 *   pods get upstream's default tolerations (not-ready and unreachable NoExecute without
 *   tolerationSeconds; disk-, memory- and pid-pressure and unschedulable NoSchedule; and
 *   network-unavailable for hostNetwork pods). Pods stay on a node that only gained NoSchedule
 *   taints, and go from one with an untolerated NoExecute taint.
 * - Pods are created as `<ds>-xxxxx` (generateName) with the template's labels plus
 *   controller-revision-hash and pod-template-generation, a controller ownerReference
 *   (blockOwnerDeletion), and required node affinity `metadata.name In [node]`, so the scheduler
 *   places them (upstream's approach since 1.12). Creations go in slow-start batches (1, 2, 4...).
 * - The template is kept in ControllerRevisions `<ds>-<hash>` (hash of the template and
 *   status.collisionCount, which goes up on a name collision), revisionHistoryLimit of the old
 *   ones are kept (those still used by pods are never removed).
 * - Updates: RollingUpdate replaces old pods at most maxUnavailable at a time, or with maxSurge
 *   starts the new pod first and removes the old one once the new one is available
 *   (minReadySeconds); OnDelete waits for pods to be deleted.
 * - Status: desired/current/misscheduled/ready/updated/available/unavailable numbers,
 *   observedGeneration (only once the controller has acted on that generation) and
 *   collisionCount, so `kubectl get ds` and `kubectl rollout status ds/x` work.
 * - Events on the DaemonSet: SuccessfulCreate "Created pod: x", SuccessfulDelete "Deleted pod: x",
 *   FailedCreate / FailedDelete "Error creating/deleting: ...".
 * - Level-triggered: each sync compares the DaemonSet, the nodes and its pods; expectations
 *   (creations and deletions sent but not yet seen in the informer) keep it from acting twice on
 *   a stale cache. After a restart the informers' first list is the truth and the controller
 *   carries on from there, without duplicates.
 *
 * Limitations vs Kubernetes: the revision hash is an FNV hash of the template's canonical JSON,
 * not of Go's deep-print, so hash values differ from a real cluster's; pods meant for a node that
 * no longer exists are deleted by this controller (upstream leaves bound ones to the pod GC);
 * failed daemon pods are deleted and replaced at once, without upstream's per-node backoff; when
 * the API server does not set the deprecated.daemonset.template.generation annotation,
 * metadata.generation stands in for the template generation; duplicate current revisions are
 * deleted without relabelling pods; orphan pods matching the selector are adopted but pods that
 * stop matching are not released; no leader election.
 */
import { ApiError } from "@kemu/apiserver";
import { labelSelectorFromObject, type LabelSelector } from "@kemu/machinery";
import { R, type KObject } from "../client.ts";
import type { Controller } from "../controller.ts";
import { WorkQueue } from "../queue.ts";
import { Expectations } from "./expectations.ts";
import { controllerRef, newRevision, REVISION_HASH_LABEL, revisionMatches } from "./history.ts";
import {
  daemonPodTemplate,
  managePlan,
  newDaemonPod,
  podsByNode,
  rollingUpdatePlan,
  statusCounts,
  type DaemonSetCounts,
} from "./plan.ts";

/** The component name on events. */
export const COMPONENT = "daemonset-controller";

/** At most this many pods created or deleted per sync (upstream's BurstReplicas). */
const BURST = 250;

const OWNER_INDEX = "daemonset/controller-uid";

/** The uid of an object's DaemonSet controller, if it has one. */
function dsOwnerUid(obj: KObject): string | undefined {
  const ref = ((obj["metadata"]?.["ownerReferences"] ?? []) as KObject[]).find(
    (r) => r["controller"] === true,
  );
  return ref && ref["kind"] === "DaemonSet" && String(ref["apiVersion"] ?? "").startsWith("apps/")
    ? String(ref["uid"])
    : undefined;
}

/** An error's message, as upstream's %v prints it. */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether a node update can change where daemon pods should run (shouldIgnoreNodeUpdate's inverse). */
function nodeChanged(a: KObject, b: KObject): boolean {
  const ready = (n: KObject) =>
    ((n["status"]?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === "Ready")?.["status"];
  const sig = (n: KObject) => JSON.stringify([n["metadata"]?.["labels"], n["spec"], ready(n)]);
  return sig(a) !== sig(b);
}

/** The DaemonSet controller. */
export const daemonSetController: Controller = {
  name: "daemonset",
  setup(ctx) {
    const log = ctx.log;
    const daemonsets = ctx.informers.for(R.daemonsets);
    const pods = ctx.informers.for(R.pods);
    const nodes = ctx.informers.for(R.nodes);
    const revisions = ctx.informers.for(R.controllerrevisions);
    const recorder = ctx.recorder(COMPONENT);
    const queue = new WorkQueue("daemonset", log);
    const expectations = new Expectations();

    const ownerIndex = (o: KObject) => {
      const uid = dsOwnerUid(o);
      return uid ? [uid] : [];
    };
    pods.addIndex(OWNER_INDEX, ownerIndex);
    revisions.addIndex(OWNER_INDEX, ownerIndex);
    daemonsets.addIndex(OWNER_INDEX, (d) => [String(d["metadata"]["uid"])]);

    const dsKey = (d: KObject) => `${d["metadata"]["namespace"]}/${d["metadata"]["name"]}`;
    const podName = (p: KObject) => `${p["metadata"]["namespace"]}/${p["metadata"]["name"]}`;
    const enqueueAll = () => {
      for (const d of daemonsets.list()) queue.add(dsKey(d));
    };
    /** The key of the DaemonSet that controls obj, if it is one we know. */
    const ownerKey = (obj: KObject): string | undefined => {
      const uid = dsOwnerUid(obj);
      const ds = uid ? daemonsets.byIndex(OWNER_INDEX, uid)[0] : undefined;
      return ds ? dsKey(ds) : undefined;
    };
    /** DaemonSets in the pod's namespace whose selector matches it (for orphans). */
    const matchingDaemonSets = (pod: KObject): KObject[] =>
      daemonsets.list(pod["metadata"]["namespace"]).filter((d) => {
        try {
          return labelSelectorFromObject(d["spec"]?.["selector"]).matches(pod["metadata"]["labels"] ?? {});
        } catch {
          return false;
        }
      });

    daemonsets.addHandlers({
      add: (d) => queue.add(dsKey(d)),
      update: (_o, d) => queue.add(dsKey(d)),
      delete: (d) => {
        expectations.delete(dsKey(d));
        queue.add(dsKey(d));
      },
    });
    pods.addHandlers({
      add: (p) => {
        const key = ownerKey(p);
        if (key) {
          expectations.creationObserved(key);
          queue.add(key);
        } else if (!p["metadata"]["deletionTimestamp"] && !dsOwnerUid(p)) {
          for (const d of matchingDaemonSets(p)) queue.add(dsKey(d));
        }
      },
      update: (o, p) => {
        const key = ownerKey(p) ?? ownerKey(o);
        if (key) {
          if (p["metadata"]["deletionTimestamp"] && !o["metadata"]["deletionTimestamp"]) {
            expectations.deletionObserved(key, podName(p));
          }
          queue.add(key);
        } else if (!dsOwnerUid(p)) {
          for (const d of matchingDaemonSets(p)) queue.add(dsKey(d));
        }
      },
      delete: (p) => {
        const key = ownerKey(p);
        if (!key) return;
        expectations.deletionObserved(key, podName(p));
        queue.add(key);
      },
    });
    nodes.addHandlers({
      add: enqueueAll,
      update: (o, n) => nodeChanged(o, n) && enqueueAll(),
      delete: enqueueAll,
    });
    revisions.addHandlers({
      add: (r) => {
        const key = ownerKey(r);
        if (key) queue.add(key);
      },
      delete: (r) => {
        const key = ownerKey(r);
        if (key) queue.add(key);
      },
    });

    function dsRef(ds: KObject): KObject {
      return { apiVersion: "apps/v1", kind: "DaemonSet", ...ds };
    }

    /** The current revision (created if missing) and the old ones (constructHistory). */
    async function history(ds: KObject): Promise<{ cur: KObject; old: KObject[] }> {
      const owned = revisions.byIndex(OWNER_INDEX, ds["metadata"]["uid"]);
      const current = owned.filter((r) => revisionMatches(ds, r));
      const old = owned.filter((r) => !revisionMatches(ds, r));
      const next = Math.max(0, ...old.map((r) => Number(r["revision"] ?? 0))) + 1;
      const ns = ds["metadata"]["namespace"];
      if (current.length === 0) return { cur: await snapshot(ds, next), old };
      current.sort((a, b) => Number(b["revision"] ?? 0) - Number(a["revision"] ?? 0));
      let cur = current[0]!;
      for (const dup of current.slice(1))
        await ctx.client.delete(R.controllerrevisions, ns, dup["metadata"]["name"]);
      if (Number(cur["revision"] ?? 0) < next) {
        cur = await ctx.client.patch(R.controllerrevisions, ns, cur["metadata"]["name"], { revision: next });
      }
      return { cur, old };
    }

    async function snapshot(ds: KObject, revision: number): Promise<KObject> {
      const rev = newRevision(ds, revision);
      const ns = ds["metadata"]["namespace"];
      try {
        return await ctx.client.create(R.controllerrevisions, ns, rev);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
      const existing = await ctx.client.get(R.controllerrevisions, ns, rev["metadata"]["name"]);
      if (existing && revisionMatches(ds, existing) && dsOwnerUid(existing) === ds["metadata"]["uid"]) {
        return existing;
      }
      // A different template hashed to the same name: bump collisionCount and try again.
      const fresh = await ctx.client.get(R.daemonsets, ns, ds["metadata"]["name"]);
      const count = fresh?.["status"]?.["collisionCount"];
      if (fresh && count === ds["status"]?.["collisionCount"]) {
        await ctx.client.patch(
          R.daemonsets,
          ns,
          ds["metadata"]["name"],
          { status: { collisionCount: (count ?? 0) + 1 } },
          { subresource: "status" },
        );
      }
      throw new Error(`hash collision on ControllerRevision ${rev["metadata"]["name"]}; retrying`);
    }

    /** The DaemonSet's pods: those it controls, plus matching orphans it adopts. */
    async function claimPods(ds: KObject, selector: LabelSelector): Promise<KObject[]> {
      const uid = ds["metadata"]["uid"];
      const owned = pods
        .byIndex(OWNER_INDEX, uid)
        .filter((p) => selector.matches(p["metadata"]["labels"] ?? {}));
      if (ds["metadata"]["deletionTimestamp"]) return owned;
      for (const p of pods.list(ds["metadata"]["namespace"])) {
        const refs: KObject[] = p["metadata"]["ownerReferences"] ?? [];
        if (refs.some((r) => r["controller"] === true) || p["metadata"]["deletionTimestamp"]) continue;
        if (!selector.matches(p["metadata"]["labels"] ?? {})) continue;
        try {
          const adopted = await ctx.client.patch(
            R.pods,
            p["metadata"]["namespace"],
            p["metadata"]["name"],
            { metadata: { ownerReferences: [controllerRef(ds)], uid: p["metadata"]["uid"] } },
            { type: "strategic" },
          );
          owned.push(adopted);
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409 || err.code === 422)))
            throw err;
        }
      }
      return owned;
    }

    /** Creates pods on nodes (slow start) and deletes pods, recording expectations and events. */
    async function syncNodes(
      ds: KObject,
      key: string,
      template: KObject,
      plan: { createOn: string[]; delete: string[] },
    ) {
      const ns = ds["metadata"]["namespace"];
      const createOn = plan.createOn.slice(0, BURST);
      const toDelete = plan.delete.slice(0, BURST);
      expectations.expectCreations(key, createOn.length);
      expectations.expectDeletions(
        key,
        toDelete.map((n) => `${ns}/${n}`),
      );
      const errors: unknown[] = [];
      const deletions = toDelete.map(async (name) => {
        try {
          await ctx.client.delete(R.pods, ns, name);
          recorder.event(dsRef(ds), "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
        } catch (err) {
          expectations.deletionObserved(key, `${ns}/${name}`);
          recorder.event(dsRef(ds), "Warning", "FailedDelete", `Error deleting: ${errorText(err)}`);
          errors.push(err);
        }
      });
      let pos = 0;
      let batch = Math.min(createOn.length, 1);
      while (pos < createOn.length) {
        const before = errors.length;
        await Promise.all(
          createOn.slice(pos, pos + batch).map(async (node) => {
            try {
              const pod = await ctx.client.create(R.pods, ns, newDaemonPod(ds, template, node));
              recorder.event(
                dsRef(ds),
                "Normal",
                "SuccessfulCreate",
                `Created pod: ${pod["metadata"]["name"]}`,
              );
            } catch (err) {
              expectations.creationObserved(key);
              // Creating in a namespace being deleted is expected to fail; nothing to report.
              if (err instanceof ApiError && err.code === 403) return;
              recorder.event(dsRef(ds), "Warning", "FailedCreate", `Error creating: ${errorText(err)}`);
              errors.push(err);
            }
          }),
        );
        pos += batch;
        if (errors.length > before) {
          // Do not expect what will not be attempted; the next sync starts slowly again.
          expectations.creationObserved(key, createOn.length - pos);
          break;
        }
        batch = Math.min(batch * 2, createOn.length - pos);
      }
      await Promise.all(deletions);
      if (errors.length > 0)
        throw new Error(`daemonset ${key}: ${errors.length} pod operations failed: ${String(errors[0])}`);
    }

    /** Old revisions beyond revisionHistoryLimit that no pod uses any more are deleted. */
    async function cleanupHistory(ds: KObject, old: KObject[], dsPods: KObject[]): Promise<void> {
      const limit = Number(ds["spec"]?.["revisionHistoryLimit"] ?? 10);
      let toKill = old.length - limit;
      if (toKill <= 0) return;
      const live = new Set(dsPods.map((p) => p["metadata"]["labels"]?.[REVISION_HASH_LABEL]).filter(Boolean));
      const sorted = [...old].sort((a, b) => Number(a["revision"] ?? 0) - Number(b["revision"] ?? 0));
      for (const r of sorted) {
        if (toKill <= 0) break;
        if (live.has(r["metadata"]["labels"]?.[REVISION_HASH_LABEL])) continue;
        await ctx.client.delete(R.controllerrevisions, ds["metadata"]["namespace"], r["metadata"]["name"]);
        toKill--;
      }
    }

    async function updateStatus(ds: KObject, counts: DaemonSetCounts, observe: boolean): Promise<void> {
      const cur: KObject = ds["status"] ?? {};
      const generation = ds["metadata"]["generation"];
      const observed = observe ? generation : cur["observedGeneration"];
      // omitempty fields are cleared (null) when zero, as upstream's JSON leaves them out.
      const want: KObject = {
        currentNumberScheduled: counts.currentNumberScheduled,
        numberMisscheduled: counts.numberMisscheduled,
        desiredNumberScheduled: counts.desiredNumberScheduled,
        numberReady: counts.numberReady,
        observedGeneration: observed || null,
        updatedNumberScheduled: counts.updatedNumberScheduled || null,
        numberAvailable: counts.numberAvailable || null,
        numberUnavailable: counts.numberUnavailable || null,
      };
      const same = Object.entries(want).every(([k, v]) => (cur[k] ?? null) === v);
      if (same) return;
      await ctx.client.patch(
        R.daemonsets,
        ds["metadata"]["namespace"],
        ds["metadata"]["name"],
        { status: want },
        { subresource: "status" },
      );
    }

    async function sync(key: string): Promise<void> {
      const ds = daemonsets.get(key);
      if (!ds) {
        expectations.delete(key);
        return;
      }
      if (ds["metadata"]["deletionTimestamp"]) return;
      let selector: LabelSelector;
      try {
        selector = labelSelectorFromObject(ds["spec"]?.["selector"]);
      } catch (err) {
        log.warn("invalid selector", { daemonset: key, err: String(err) });
        return;
      }
      if (selector.empty()) return;
      const nodeList = nodes.list();
      const now = ctx.now().getTime();
      const { cur, old } = await history(ds);
      const hash: string = cur["metadata"]["labels"]?.[REVISION_HASH_LABEL] ?? "";
      const template = daemonPodTemplate(ds, hash);
      let dsPods = await claimPods(ds, selector);
      if (!expectations.satisfied(key)) {
        // Wait for our own creations and deletions to show before deciding anything again.
        await updateStatus(ds, statusCounts(ds, template, nodeList, podsByNode(dsPods), hash, now), false);
        return;
      }
      const plan = managePlan(ds, template, nodeList, podsByNode(dsPods), hash, now);
      if (plan.createOn.length + plan.delete.length > 0) {
        await syncNodes(ds, key, template, plan);
      } else if (ds["spec"]?.["updateStrategy"]?.["type"] === "RollingUpdate") {
        const step = rollingUpdatePlan(ds, template, nodeList, podsByNode(dsPods), hash, now);
        if (step.createOn.length + step.delete.length > 0) await syncNodes(ds, key, template, step);
      }
      await cleanupHistory(ds, old, dsPods);
      dsPods = pods
        .byIndex(OWNER_INDEX, ds["metadata"]["uid"])
        .filter((p) => selector.matches(p["metadata"]["labels"] ?? {}));
      const c = statusCounts(ds, template, nodeList, podsByNode(dsPods), hash, now);
      await updateStatus(ds, c, true);
      // Pods become available minReadySeconds after turning Ready: look again then.
      const minReady = Number(ds["spec"]?.["minReadySeconds"] ?? 0);
      if (minReady > 0 && c.numberReady !== c.numberAvailable) queue.addAfter(key, minReady * 1000);
    }

    return {
      run: () => void queue.run(ctx.settings.workers, sync),
      stop: () => queue.stop(),
    };
  },
};
