/**
 * ReplicaSet controller ("replicaset-controller"), after kubernetes pkg/controller/replicaset:
 * keeps spec.replicas active pods matching the selector. Missing pods are created from the
 * template (generateName `<rs>-`, a controller ownerReference, the template's labels and
 * annotations) in slow-start batches; extra pods are deleted unscheduled first, then pending,
 * not ready, lowest deletion cost, doubled up on a node, ready for less time, most restarted,
 * newest (ActivePodsWithRanks). Matching orphans are adopted, owned pods that stop matching are
 * released. Status reports replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
 * (minReadySeconds), observedGeneration and a ReplicaFailure condition; events SuccessfulCreate
 * and SuccessfulDelete (FailedCreate, FailedDelete on errors).
 *
 * It is level-triggered: every sync recounts pods from the informer cache. In-memory
 * expectations stop it from acting again before its informer has seen its own creations and
 * deletions; after a restart the informers are freshly listed, so a controller killed mid-sync
 * at worst finds a pod more than it wants (a create in flight when it died) and deletes it.
 *
 * Limitations vs Kubernetes:
 * - A pod create whose API request times out is counted as failed; if the pod was made after
 *   all, it is the surplus one the next sync deletes (upstream assumes it was made).
 * - A create refused because the namespace is terminating is recognised by its message: kemu's
 *   Status has no NamespaceTerminating cause.
 * - No metrics (sorting_deletion_age_ratio and friends); status.terminatingReplicas (1.33+) is
 *   not reported.
 */
import { R, keyOf, splitKey, type KObject } from "../client.ts";
import type { Controller, ControllerContext } from "../controller.ts";
import type { Informer } from "../informer.ts";
import { WorkQueue } from "../queue.ts";
import { claim, errorMessage, isNamespaceTerminating, selectorOf } from "./controllerref.ts";
import { ControllerExpectations, slowStartBatch } from "./expectations.ts";
import {
  CONTROLLER_UID_INDEX,
  NAMESPACE_INDEX,
  controllerRefOf,
  controllerUidIndex,
  isPodActive,
  isPodReady,
  namespaceIndex,
  newControllerRef,
  podFromTemplate,
  podReadySince,
  podsToDelete,
} from "./pods.ts";
import { calculateStatus, sameStatus } from "./status.ts";

/** Most pods created or deleted in one sync (upstream's BurstReplicas). */
const BURST_REPLICAS = 500;

/** First batch of slowStartBatch (upstream's SlowStartInitialBatchSize). */
const SLOW_START_INITIAL_BATCH = 1;

const API_VERSION = "apps/v1";
const KIND = "ReplicaSet";

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The ReplicaSet controller. */
export const replicaSetController: Controller = {
  name: "replicaset",
  setup(ctx) {
    const c = new ReplicaSetController(ctx);
    return { run: () => c.run(), stop: () => c.stop() };
  },
};

class ReplicaSetController {
  readonly #ctx: ControllerContext;
  readonly #rs: Informer;
  readonly #pods: Informer;
  readonly #queue: WorkQueue;
  readonly #expectations: ControllerExpectations;
  readonly #recorder;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#rs = ctx.informers.for(R.replicasets);
    this.#pods = ctx.informers.for(R.pods);
    this.#rs.addIndex(NAMESPACE_INDEX, namespaceIndex);
    this.#rs.addIndex(CONTROLLER_UID_INDEX, controllerUidIndex);
    this.#pods.addIndex(NAMESPACE_INDEX, namespaceIndex);
    this.#pods.addIndex(CONTROLLER_UID_INDEX, controllerUidIndex);
    this.#queue = new WorkQueue("replicaset", ctx.log);
    this.#expectations = new ControllerExpectations(() => ctx.now().getTime());
    this.#recorder = ctx.recorder("replicaset-controller");
    this.#rs.addHandlers({
      add: (rs) => this.#queue.add(keyOf(rs)),
      update: (_old, rs) => this.#queue.add(keyOf(rs)),
      delete: (rs) => {
        this.#expectations.delete(keyOf(rs));
        this.#queue.add(keyOf(rs));
      },
    });
    this.#pods.addHandlers({
      add: (p) => this.#addPod(p),
      update: (o, p) => this.#updatePod(o, p),
      delete: (p) => this.#deletePod(p),
    });
  }

  run(): void {
    void this.#queue.run(this.#ctx.settings.workers, (key) => this.#sync(key));
  }

  stop(): void {
    this.#queue.stop();
  }

  /** The ReplicaSet a controller reference points at, if it is the one cached. */
  #resolve(namespace: string, ref: KObject | undefined): KObject | undefined {
    if (!ref || ref["kind"] !== KIND || ref["apiVersion"] !== API_VERSION) return undefined;
    const rs = this.#rs.get(`${namespace}/${ref["name"]}`);
    return rs && rs["metadata"]["uid"] === ref["uid"] ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod's labels (getPodReplicaSets). */
  #matching(pod: KObject): KObject[] {
    const labels = pod["metadata"]["labels"];
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.#rs.byIndex(NAMESPACE_INDEX, pod["metadata"]["namespace"]).filter((rs) => {
      const sel = selectorOf(rs);
      return sel !== undefined && !sel.empty() && sel.matches(labels);
    });
  }

  #addPod(pod: KObject): void {
    if (pod["metadata"]["deletionTimestamp"]) return this.#deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.#resolve(pod["metadata"]["namespace"], ref);
      if (!rs) return;
      this.#expectations.creationObserved(keyOf(rs));
      this.#queue.add(keyOf(rs));
      return;
    }
    for (const rs of this.#matching(pod)) this.#queue.add(keyOf(rs));
  }

  #updatePod(old: KObject, cur: KObject): void {
    const labelChanged = !sameJson(old["metadata"]["labels"], cur["metadata"]["labels"]);
    if (cur["metadata"]["deletionTimestamp"]) {
      // A graceful deletion is the deletion this controller waits for; tell both owners.
      this.#deletePod(cur);
      if (labelChanged) this.#deletePod(old);
      return;
    }
    const ns = cur["metadata"]["namespace"];
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = !sameJson(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.#resolve(ns, oldRef);
      if (rs) this.#queue.add(keyOf(rs));
    }
    if (curRef) {
      const rs = this.#resolve(ns, curRef);
      if (rs) this.#queue.add(keyOf(rs));
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.#matching(cur)) this.#queue.add(keyOf(rs));
  }

  #deletePod(pod: KObject): void {
    const rs = this.#resolve(pod["metadata"]["namespace"], controllerRefOf(pod));
    if (!rs) return;
    this.#expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.#queue.add(keyOf(rs));
  }

  async #sync(key: string): Promise<void> {
    const rs = this.#rs.get(key);
    if (!rs) {
      this.#expectations.delete(key);
      return;
    }
    const needsSync = this.#expectations.satisfied(key);
    const selector = selectorOf(rs);
    if (!selector) {
      // Validation rejects bad selectors; one that slipped through is not retried.
      this.#ctx.log.warn("invalid selector", { replicaset: key });
      return;
    }
    const { namespace } = splitKey(key);
    const active = this.#pods.byIndex(NAMESPACE_INDEX, namespace!).filter(isPodActive);
    const pods = await claim(
      this.#ctx.client,
      { obj: rs, apiVersion: API_VERSION, kind: KIND, gvr: R.replicasets, selector, childGvr: R.pods },
      active,
    );
    let manageError: unknown;
    if (needsSync && !rs["metadata"]["deletionTimestamp"]) {
      try {
        await this.#manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err;
      }
    }
    const now = this.#ctx.now();
    const status = calculateStatus(
      rs,
      pods,
      manageError === undefined ? undefined : errorMessage(manageError),
      now,
    );
    await this.#writeStatus(rs, status);
    this.#requeueForAvailability(key, rs, pods, now);
    if (manageError !== undefined) throw manageError;
  }

  /** Creates or deletes pods so that spec.replicas are active (manageReplicas). */
  async #manageReplicas(key: string, rs: KObject, pods: KObject[]): Promise<void> {
    const replicas = Number(rs["spec"]?.["replicas"] ?? 1);
    const ns = rs["metadata"]["namespace"];
    const eventObj = { ...rs, apiVersion: API_VERSION, kind: KIND };
    let diff = pods.length - replicas;
    if (diff < 0) {
      const want = Math.min(-diff, BURST_REPLICAS);
      this.#expectations.expectCreations(key, want);
      const ref = newControllerRef(rs, API_VERSION, KIND);
      const body = podFromTemplate(rs["spec"]["template"], rs["metadata"]["name"], ref);
      const { successes, error } = await slowStartBatch(want, SLOW_START_INITIAL_BATCH, async () => {
        try {
          const pod = await this.#ctx.client.create(R.pods, ns, body);
          this.#recorder.event(
            eventObj,
            "Normal",
            "SuccessfulCreate",
            `Created pod: ${pod["metadata"]["name"]}`,
          );
        } catch (err) {
          if (isNamespaceTerminating(err)) {
            // Every create will fail; the informer will never see this pod.
            this.#expectations.creationObserved(key);
            return;
          }
          this.#recorder.event(eventObj, "Warning", "FailedCreate", `Error creating: ${errorMessage(err)}`);
          throw err;
        }
      });
      // Pods that failed or were never attempted will not be seen by the informer.
      for (let i = successes; i < want; i++) this.#expectations.creationObserved(key);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.#relatedPods(rs), diff, this.#ctx.now());
      this.#expectations.expectDeletions(key, victims.map(keyOf));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          const md = pod["metadata"];
          try {
            const found = await this.#ctx.client.delete(R.pods, ns, md["name"], {
              preconditions: { uid: md["uid"] },
            });
            if (!found) this.#expectations.deletionObserved(key, keyOf(pod));
            else this.#recorder.event(eventObj, "Normal", "SuccessfulDelete", `Deleted pod: ${md["name"]}`);
          } catch (err) {
            this.#expectations.deletionObserved(key, keyOf(pod));
            this.#recorder.event(eventObj, "Warning", "FailedDelete", `Error deleting: ${errorMessage(err)}`);
            errors.push(err);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
    }
  }

  /** Pods of every ReplicaSet with the same controller as rs (getIndirectlyRelatedPods). */
  #relatedPods(rs: KObject): KObject[] {
    const ref = controllerRefOf(rs);
    if (!ref) return [];
    const seen = new Set<string>();
    const out: KObject[] = [];
    for (const other of this.#rs.byIndex(CONTROLLER_UID_INDEX, String(ref["uid"]))) {
      const sel = selectorOf(other);
      if (!sel) continue;
      for (const pod of this.#pods.byIndex(NAMESPACE_INDEX, other["metadata"]["namespace"])) {
        const uid = pod["metadata"]["uid"];
        if (seen.has(uid) || !sel.matches(pod["metadata"]["labels"] ?? {})) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /** Writes status when it changed or the generation is not yet observed (updateReplicaSetStatus). */
  async #writeStatus(rs: KObject, status: KObject): Promise<void> {
    const generation = rs["metadata"]["generation"];
    const prev = rs["status"];
    if (sameStatus(prev, status) && prev?.["observedGeneration"] === generation) return;
    const body: KObject = {
      ...rs,
      apiVersion: API_VERSION,
      kind: KIND,
      status: { ...status, observedGeneration: generation },
    };
    // Pinned to the cached resourceVersion: a conflict means the cache is behind; retry later.
    await this.#ctx.client.update(R.replicasets, rs["metadata"]["namespace"], body, "status");
  }

  /** Syncs again when the next ready pod has been ready for minReadySeconds. */
  #requeueForAvailability(key: string, rs: KObject, pods: KObject[], now: Date): void {
    const minReadySeconds = Number(rs["spec"]?.["minReadySeconds"] ?? 0);
    if (minReadySeconds <= 0) return;
    let earliest = Infinity;
    for (const pod of pods) {
      if (!isPodReady(pod)) continue;
      const since = podReadySince(pod);
      if (since === undefined) continue;
      const at = since + minReadySeconds * 1000;
      if (at >= now.getTime() && at < earliest) earliest = at;
    }
    // Availability needs ready-time + minReadySeconds strictly before now: a little after it.
    if (earliest !== Infinity) this.#queue.addAfter(key, earliest - now.getTime() + 50);
  }
}
