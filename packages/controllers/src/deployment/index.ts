/**
 * Deployment controller ("deployment-controller"), after kubernetes pkg/controller/deployment:
 * a Deployment owns ReplicaSets named `<deployment>-<pod-template-hash>`, one per pod template
 * it has had, and moves replicas from the old ones to the one matching its template:
 *
 * - RollingUpdate: the new ReplicaSet grows while all ReplicaSets together stay within
 *   spec.replicas + maxSurge (rounded up), old ones shrink while spec.replicas - maxUnavailable
 *   (rounded down) stay available, unhealthy old replicas first. Recreate: old ReplicaSets go to
 *   0, and once none of their pods is left the new one gets every replica.
 * - A change of spec.replicas during a rollout (kubectl scale) resizes the active ReplicaSets
 *   proportionally, from the desired-replicas and max-replicas annotations.
 * - Revisions: deployment.kubernetes.io/revision on the Deployment and each ReplicaSet (with
 *   revision-history when rolled back to), the Deployment's other annotations copied to its
 *   ReplicaSets; so `kubectl rollout history/undo` work, and `rollout restart` (a template
 *   annotation) makes a new ReplicaSet. Paused Deployments only scale. Old ReplicaSets at 0
 *   beyond revisionHistoryLimit are deleted.
 * - Status: observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas,
 *   unavailableReplicas, collisionCount, and the conditions `kubectl rollout status` reads:
 *   Progressing (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
 *   NewReplicaSetAvailable, ProgressDeadlineExceeded after progressDeadlineSeconds without
 *   progress, DeploymentPaused/Resumed), Available (MinimumReplicasAvailable/Unavailable),
 *   ReplicaFailure from the ReplicaSets. Events ScalingReplicaSet ("Scaled up replica set
 *   redis-66ccc9b5df from 0 to 1").
 *
 * It is level-triggered: each sync recomputes from the informer caches, ReplicaSet names are
 * deterministic (creation is idempotent), and every write to a ReplicaSet or the Deployment is
 * pinned to the resourceVersion it was computed from, so a stale cache or a restart mid-sync
 * yields a conflict and a retry, never a double step.
 *
 * Limitations vs Kubernetes:
 * - The pod-template-hash is FNV-32a over the template's canonical JSON, not over Go's
 *   DeepHashObject printing, so hashes differ from a real cluster's for the same template
 *   (same alphabet and length).
 * - Surge and availability limits count an old ReplicaSet's pods not yet removed by a
 *   scale-down (status.replicas) and cap its available replicas at its size, so the bounds
 *   hold for pods at every moment; upstream counts ReplicaSet sizes and can briefly exceed them
 *   while a scale-down is in flight.
 * - The revision annotation is written to the Deployment with a metadata patch (kube-apiserver
 *   takes it through the status subresource, which kemu's does not accept annotations on); kemu's
 *   API server currently bumps metadata.generation on that patch, so generation runs ahead of
 *   a real cluster's by one per revision (observedGeneration follows it).
 * - No spec.rollbackTo (extensions/v1beta1 only; kubectl rollout undo works client-side).
 * - Recreate is only re-checked when a pod is deleted, not when one finishes (as upstream).
 */
import { ApiError } from "@kemu/apiserver";
import type { LabelSelector } from "@kemu/machinery";
import { R, keyOf, type KObject } from "../client.ts";
import type { Controller, ControllerContext } from "../controller.ts";
import type { EventRecorder } from "../events.ts";
import type { Informer } from "../informer.ts";
import { WorkQueue } from "../queue.ts";
import { claim, errorMessage, isNamespaceTerminating, selectorOf } from "../replicaset/controllerref.ts";
import {
  CONTROLLER_UID_INDEX,
  NAMESPACE_INDEX,
  controllerRefOf,
  controllerUidIndex,
  namespaceIndex,
  newControllerRef,
} from "../replicaset/pods.ts";
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  POD_TEMPLATE_HASH,
  REVISION,
  Reason,
  activeReplicaSets,
  byRevision,
  calculateStatus,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  getCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  intAnnotation,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  oldPodsRunning,
  planNewReplicaSet,
  planOldReplicaSets,
  planProportionalScale,
  removeCondition,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  sameStatus,
  setCondition,
  setNewReplicaSetAnnotations,
} from "./util.ts";

const API_VERSION = "apps/v1";
const KIND = "Deployment";

/** The Deployment controller. */
export const deploymentController: Controller = {
  name: "deployment",
  setup(ctx) {
    const c = new DeploymentController(ctx);
    return { run: () => c.run(), stop: () => c.stop() };
  },
};

/** One sync's view: the Deployment as last written, and its ReplicaSets as last written. */
interface SyncState {
  d: KObject;
  rss: KObject[];
}

class DeploymentController {
  readonly #ctx: ControllerContext;
  readonly #deployments: Informer;
  readonly #rs: Informer;
  readonly #pods: Informer;
  readonly #queue: WorkQueue;
  readonly #recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#deployments = ctx.informers.for(R.deployments);
    this.#rs = ctx.informers.for(R.replicasets);
    this.#pods = ctx.informers.for(R.pods);
    this.#deployments.addIndex(NAMESPACE_INDEX, namespaceIndex);
    this.#rs.addIndex(NAMESPACE_INDEX, namespaceIndex);
    this.#rs.addIndex(CONTROLLER_UID_INDEX, controllerUidIndex);
    this.#pods.addIndex(CONTROLLER_UID_INDEX, controllerUidIndex);
    this.#queue = new WorkQueue("deployment", ctx.log);
    this.#recorder = ctx.recorder("deployment-controller");
    this.#deployments.addHandlers({
      add: (d) => this.#queue.add(keyOf(d)),
      update: (_o, d) => this.#queue.add(keyOf(d)),
      delete: (d) => this.#queue.add(keyOf(d)),
    });
    this.#rs.addHandlers({
      add: (rs) => this.#addReplicaSet(rs),
      update: (o, rs) => this.#updateReplicaSet(o, rs),
      delete: (rs) => this.#enqueueOwner(rs),
    });
    this.#pods.addHandlers({ delete: (p) => this.#deletePod(p) });
  }

  run(): void {
    void this.#queue.run(this.#ctx.settings.workers, (key) => this.#sync(key));
  }

  stop(): void {
    this.#queue.stop();
  }

  // -------------------------------------------------------------------------------------------
  // Event handlers: they only enqueue.

  #resolve(namespace: string, ref: KObject | undefined): KObject | undefined {
    if (!ref || ref["kind"] !== KIND || ref["apiVersion"] !== API_VERSION) return undefined;
    const d = this.#deployments.get(`${namespace}/${ref["name"]}`);
    return d && d["metadata"]["uid"] === ref["uid"] ? d : undefined;
  }

  /** Deployments whose selector matches an orphan ReplicaSet (getDeploymentsForReplicaSet). */
  #matching(rs: KObject): KObject[] {
    const labels = rs["metadata"]["labels"];
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.#deployments.byIndex(NAMESPACE_INDEX, rs["metadata"]["namespace"]).filter((d) => {
      const sel = selectorOf(d);
      return sel !== undefined && !sel.empty() && sel.matches(labels);
    });
  }

  #enqueueOwner(rs: KObject): boolean {
    const d = this.#resolve(rs["metadata"]["namespace"], controllerRefOf(rs));
    if (d) this.#queue.add(keyOf(d));
    return d !== undefined;
  }

  #addReplicaSet(rs: KObject): void {
    if (controllerRefOf(rs)) {
      this.#enqueueOwner(rs);
      return;
    }
    if (rs["metadata"]["deletionTimestamp"]) return;
    for (const d of this.#matching(rs)) this.#queue.add(keyOf(d));
  }

  #updateReplicaSet(old: KObject, cur: KObject): void {
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) this.#enqueueOwner(old);
    if (curRef) {
      this.#enqueueOwner(cur);
      return;
    }
    const labelsChanged =
      JSON.stringify(old["metadata"]["labels"] ?? null) !== JSON.stringify(cur["metadata"]["labels"] ?? null);
    if (labelsChanged || refChanged) for (const d of this.#matching(cur)) this.#queue.add(keyOf(d));
  }

  /** A Recreate rollout waits for old pods to be gone: look again when one goes. */
  #deletePod(pod: KObject): void {
    const ns = pod["metadata"]["namespace"];
    const ref = controllerRefOf(pod);
    if (!ref || ref["kind"] !== "ReplicaSet") return;
    const rs = this.#rs.get(`${ns}/${ref["name"]}`);
    if (!rs || rs["metadata"]["uid"] !== ref["uid"]) return;
    const d = this.#resolve(ns, controllerRefOf(rs));
    if (d && !isRollingUpdate(d)) this.#queue.add(keyOf(d));
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  async #sync(key: string): Promise<void> {
    const cached = this.#deployments.get(key);
    if (!cached) return;
    const d: KObject = { ...structuredClone(cached), apiVersion: API_VERSION, kind: KIND };
    d["status"] ??= {};
    const selector = selectorOf(d);
    if (!selector) {
      // Validation rejects bad selectors; one that slipped through is not retried.
      this.#ctx.log.warn("invalid selector", { deployment: key });
      return;
    }
    if (selector.empty()) {
      this.#event(
        d,
        "Warning",
        "SelectingAll",
        "This deployment is selecting all pods. A non-empty selector is required.",
      );
      if (Number(d["status"]["observedGeneration"] ?? 0) < Number(d["metadata"]["generation"] ?? 0)) {
        d["status"]["observedGeneration"] = d["metadata"]["generation"];
        await this.#writeStatus({ d, rss: [] });
      }
      return;
    }
    const state: SyncState = { d, rss: await this.#claimReplicaSets(d, selector) };
    if (d["metadata"]["deletionTimestamp"]) return this.#syncStatusOnly(state);
    await this.#checkPausedConditions(state);
    if (d["spec"]["paused"]) return this.#syncScale(state);
    if (await this.#isScalingEvent(state)) return this.#syncScale(state);
    if (isRollingUpdate(d)) return this.#rolloutRolling(state);
    return this.#rolloutRecreate(state);
  }

  /** ReplicaSets the Deployment controls, after adoption and release (getReplicaSetsForDeployment). */
  #claimReplicaSets(d: KObject, selector: LabelSelector): Promise<KObject[]> {
    const all = this.#rs.byIndex(NAMESPACE_INDEX, d["metadata"]["namespace"]);
    return claim(
      this.#ctx.client,
      { obj: d, apiVersion: API_VERSION, kind: KIND, gvr: R.deployments, selector, childGvr: R.replicasets },
      all,
    );
  }

  /** Pods of the Deployment's ReplicaSets, by ReplicaSet uid, terminating ones included. */
  #podsByReplicaSet(rss: KObject[]): Map<string, KObject[]> {
    const m = new Map<string, KObject[]>();
    for (const rs of rss) {
      const uid = String(rs["metadata"]["uid"]);
      m.set(uid, this.#pods.byIndex(CONTROLLER_UID_INDEX, uid));
    }
    return m;
  }

  #event(d: KObject, type: "Normal" | "Warning", reason: string, message: string): void {
    this.#recorder.event({ ...d, apiVersion: API_VERSION, kind: KIND }, type, reason, message);
  }

  #current(state: SyncState, rs: KObject): KObject {
    return state.rss.find((x) => x["metadata"]["name"] === rs["metadata"]["name"]) ?? rs;
  }

  #replace(state: SyncState, rs: KObject): void {
    const i = state.rss.findIndex((x) => x["metadata"]["name"] === rs["metadata"]["name"]);
    if (i >= 0) state.rss[i] = rs;
    else state.rss.push(rs);
  }

  /** Writes the Deployment's status, pinned to the resourceVersion the sync works from. */
  async #writeStatus(state: SyncState): Promise<void> {
    const out = await this.#ctx.client.update(
      R.deployments,
      state.d["metadata"]["namespace"],
      state.d,
      "status",
    );
    state.d["metadata"]["resourceVersion"] = out["metadata"]["resourceVersion"];
  }

  /**
   * Sets the Deployment's revision annotation (SetDeploymentRevision) when it differs, through
   * the status subresource as upstream does, so the spec's generation is not bumped.
   */
  async #setRevision(state: SyncState, revision: string | undefined): Promise<void> {
    const d = state.d;
    if (revision === undefined || d["metadata"]["annotations"]?.[REVISION] === revision) return;
    const out = await this.#ctx.client.patch(
      R.deployments,
      d["metadata"]["namespace"],
      d["metadata"]["name"],
      {
        metadata: {
          annotations: { [REVISION]: revision },
          resourceVersion: d["metadata"]["resourceVersion"],
        },
      },
      { subresource: "status" },
    );
    d["metadata"] = out["metadata"];
  }

  /** The new ReplicaSet (maybe created now) and the old ones (getAllReplicaSetsAndSyncRevision). */
  async #getAll(
    state: SyncState,
    create: boolean,
  ): Promise<{ newRS: KObject | undefined; oldRSs: KObject[] }> {
    const found = findNewReplicaSet(state.d, state.rss);
    const oldRSs = state.rss.filter((rs) => rs !== found);
    const newRS = await this.#getNewReplicaSet(state, found, oldRSs, create);
    return {
      newRS,
      oldRSs: state.rss.filter(
        (rs) => newRS === undefined || rs["metadata"]["uid"] !== newRS["metadata"]["uid"],
      ),
    };
  }

  async #getNewReplicaSet(
    state: SyncState,
    existing: KObject | undefined,
    oldRSs: KObject[],
    create: boolean,
  ): Promise<KObject | undefined> {
    const d = state.d;
    const ns = d["metadata"]["namespace"];
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = Number(d["spec"]["minReadySeconds"] ?? 0);
      if (annotationsChanged || Number(copy["spec"]["minReadySeconds"] ?? 0) !== minReady) {
        copy["spec"]["minReadySeconds"] = minReady;
        const updated = await this.#ctx.client.update(R.replicasets, ns, {
          ...copy,
          apiVersion: API_VERSION,
          kind: "ReplicaSet",
        });
        this.#replace(state, updated);
        return updated;
      }
      await this.#setRevision(state, copy["metadata"]["annotations"]?.[REVISION]);
      if (hasProgressDeadline(d) && !getCondition(d["status"], "Progressing")) {
        const msg = `Found new replica set "${copy["metadata"]["name"]}"`;
        setCondition(
          d["status"],
          newCondition("Progressing", "True", Reason.FoundNewReplicaSet, msg, this.#ctx.now()),
        );
        await this.#writeStatus(state);
      }
      return copy;
    }
    if (!create) return undefined;

    const template: KObject = structuredClone(d["spec"]["template"] ?? {});
    const collisionCount = d["status"]["collisionCount"];
    const hash = computeHash(template, collisionCount);
    template["metadata"] ??= {};
    template["metadata"]["labels"] = { ...(template["metadata"]["labels"] ?? {}), [POD_TEMPLATE_HASH]: hash };
    const selector: KObject = structuredClone(d["spec"]["selector"]);
    selector["matchLabels"] = { ...(selector["matchLabels"] ?? {}), [POD_TEMPLATE_HASH]: hash };
    const name = `${d["metadata"]["name"]}-${hash}`;
    const newRS: KObject = {
      apiVersion: API_VERSION,
      kind: "ReplicaSet",
      metadata: {
        name,
        namespace: ns,
        ownerReferences: [newControllerRef(d, API_VERSION, KIND)],
        labels: { ...template["metadata"]["labels"] },
      },
      spec: { replicas: 0, minReadySeconds: Number(d["spec"]["minReadySeconds"] ?? 0), selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS["spec"]["replicas"] = replicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: KObject;
    let alreadyExists = false;
    try {
      created = await this.#ctx.client.create(R.replicasets, ns, newRS);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "AlreadyExists") {
        // A cache behind our own earlier create, or a hash collision with a foreign ReplicaSet.
        const rs = this.#rs.get(`${ns}/${name}`) ?? (await this.#ctx.client.get(R.replicasets, ns, name));
        const ref = rs ? controllerRefOf(rs) : undefined;
        if (
          rs &&
          ref?.["uid"] === d["metadata"]["uid"] &&
          equalIgnoreHash(d["spec"]["template"], rs["spec"]["template"])
        ) {
          created = rs;
          alreadyExists = true;
        } else {
          d["status"]["collisionCount"] = Number(collisionCount ?? 0) + 1;
          await this.#writeStatus(state);
          this.#ctx.log.info("hash collision; bumped collisionCount", { deployment: keyOf(d), name });
          throw err;
        }
      } else if (isNamespaceTerminating(err)) {
        throw err;
      } else {
        const msg = `Failed to create new replica set "${name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(d)) {
          setCondition(
            d["status"],
            newCondition("Progressing", "False", Reason.ReplicaSetCreateError, msg, this.#ctx.now()),
          );
          await this.#writeStatus(state).catch(() => {});
        }
        this.#event(d, "Warning", Reason.ReplicaSetCreateError, msg);
        throw err;
      }
    }
    this.#replace(state, created);
    if (!alreadyExists && replicas > 0) {
      this.#event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${name} from 0 to ${replicas}`);
    }
    await this.#setRevision(state, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      const msg = `Created new replica set "${name}"`;
      setCondition(
        d["status"],
        newCondition("Progressing", "True", Reason.NewReplicaSetCreated, msg, this.#ctx.now()),
      );
      await this.#writeStatus(state);
    }
    return created;
  }

  /** Resizes a ReplicaSet and records ScalingReplicaSet (scaleReplicaSetAndRecordEvent). */
  async #scale(state: SyncState, rs: KObject, replicas: number, operation?: string): Promise<boolean> {
    const cur = this.#current(state, rs);
    const d = state.d;
    const from = replicasOf(cur);
    if (operation === undefined) {
      if (from === replicas) return false;
      operation = from < replicas ? "up" : "down";
    }
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    const sizeChanged = from !== replicas;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(cur, desired, max)) return false;
    const md = cur["metadata"];
    const updated = await this.#ctx.client.patch(R.replicasets, md["namespace"], md["name"], {
      metadata: {
        annotations: { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(max) },
        resourceVersion: md["resourceVersion"],
      },
      spec: { replicas },
    });
    this.#replace(state, updated);
    if (sizeChanged) {
      this.#event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled ${operation} replica set ${md["name"]} from ${from} to ${replicas}`,
      );
    }
    return sizeChanged;
  }

  /** The latest version of each of these ReplicaSets in the sync. */
  #fresh(state: SyncState, rss: KObject[]): KObject[] {
    return rss.map((rs) => this.#current(state, rs));
  }

  async #checkPausedConditions(state: SyncState): Promise<void> {
    const d = state.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d["status"], "Progressing");
    if (cond?.["reason"] === Reason.ProgressDeadlineExceeded) return;
    const pausedCond = cond?.["reason"] === Reason.DeploymentPaused;
    const now = this.#ctx.now();
    if (d["spec"]["paused"] && !pausedCond) {
      setCondition(
        d["status"],
        newCondition("Progressing", "Unknown", Reason.DeploymentPaused, "Deployment is paused", now),
      );
    } else if (!d["spec"]["paused"] && pausedCond) {
      setCondition(
        d["status"],
        newCondition("Progressing", "Unknown", Reason.DeploymentResumed, "Deployment is resumed", now),
      );
    } else return;
    await this.#writeStatus(state);
  }

  /** A change of spec.replicas not yet reflected in an active ReplicaSet's desired-replicas. */
  async #isScalingEvent(state: SyncState): Promise<boolean> {
    const { newRS, oldRSs } = await this.#getAll(state, false);
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    return activeReplicaSets(all).some((rs) => {
      const desired = intAnnotation(rs, DESIRED_REPLICAS);
      return desired !== undefined && desired !== replicasOf(state.d);
    });
  }

  async #syncStatusOnly(state: SyncState): Promise<void> {
    const { newRS, oldRSs } = await this.#getAll(state, false);
    await this.#syncDeploymentStatus(state, newRS ? [...oldRSs, newRS] : oldRSs, newRS);
  }

  /** Scaling events and paused Deployments (upstream's sync). */
  async #syncScale(state: SyncState): Promise<void> {
    const { newRS, oldRSs } = await this.#getAll(state, false);
    await this.#scaleProportionally(state, newRS, oldRSs);
    if (state.d["spec"]["paused"]) await this.#cleanup(state, this.#fresh(state, oldRSs));
    const all = this.#fresh(state, newRS ? [...oldRSs, newRS] : oldRSs);
    await this.#syncDeploymentStatus(state, all, newRS ? this.#current(state, newRS) : undefined);
  }

  /** DeploymentController.scale. */
  async #scaleProportionally(state: SyncState, newRS: KObject | undefined, oldRSs: KObject[]): Promise<void> {
    const d = state.d;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) !== replicasOf(d))
        await this.#scale(state, activeOrLatest, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.#scale(state, old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const active = activeReplicaSets(newRS ? [...oldRSs, newRS] : oldRSs);
    const { steps, operation } = planProportionalScale(d, active);
    for (const step of steps) {
      const rs = active.find((x) => x["metadata"]["name"] === step.name)!;
      await this.#scale(state, rs, step.replicas, operation);
    }
  }

  async #rolloutRolling(state: SyncState): Promise<void> {
    const { newRS, oldRSs } = await this.#getAll(state, true);
    if (!newRS) return;
    const all = () => this.#fresh(state, [...oldRSs, newRS]);
    const target = planNewReplicaSet(state.d, all(), this.#current(state, newRS));
    if (target !== undefined && (await this.#scale(state, newRS, target))) {
      return this.#syncRolloutStatus(state, all(), this.#current(state, newRS));
    }
    const steps = planOldReplicaSets(
      state.d,
      all(),
      activeReplicaSets(this.#fresh(state, oldRSs)),
      this.#current(state, newRS),
    );
    let scaledDown = false;
    for (const step of steps) {
      const rs = oldRSs.find((x) => x["metadata"]["name"] === step.name)!;
      if (await this.#scale(state, rs, step.replicas)) scaledDown = true;
    }
    if (scaledDown) return this.#syncRolloutStatus(state, all(), this.#current(state, newRS));
    if (deploymentComplete(state.d, state.d["status"]))
      await this.#cleanup(state, this.#fresh(state, oldRSs));
    return this.#syncRolloutStatus(state, all(), this.#current(state, newRS));
  }

  async #rolloutRecreate(state: SyncState): Promise<void> {
    let { newRS, oldRSs } = await this.#getAll(state, false);
    const all = () => this.#fresh(state, newRS ? [...oldRSs, newRS] : oldRSs);
    let scaledDown = false;
    for (const old of activeReplicaSets(oldRSs)) {
      if (await this.#scale(state, old, 0)) scaledDown = true;
    }
    const cur = () => (newRS ? this.#current(state, newRS) : undefined);
    if (scaledDown) return this.#syncRolloutStatus(state, all(), cur());
    if (oldPodsRunning(cur(), this.#fresh(state, oldRSs), this.#podsByReplicaSet(state.rss))) {
      return this.#syncRolloutStatus(state, all(), cur());
    }
    if (!newRS) ({ newRS, oldRSs } = await this.#getAll(state, true));
    if (newRS) await this.#scale(state, newRS, replicasOf(state.d));
    if (deploymentComplete(state.d, state.d["status"]))
      await this.#cleanup(state, this.#fresh(state, oldRSs));
    return this.#syncRolloutStatus(state, all(), cur());
  }

  /** Deletes old ReplicaSets at 0 beyond revisionHistoryLimit, lowest revision first (cleanupDeployment). */
  async #cleanup(state: SyncState, oldRSs: KObject[]): Promise<void> {
    const d = state.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs["metadata"]["deletionTimestamp"]);
    const diff = cleanable.length - Number(d["spec"]["revisionHistoryLimit"]);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (const rs of cleanable.slice(0, diff)) {
      const md = rs["metadata"];
      if (
        Number(rs["status"]?.["replicas"] ?? 0) !== 0 ||
        replicasOf(rs) !== 0 ||
        Number(md["generation"] ?? 0) > Number(rs["status"]?.["observedGeneration"] ?? 0)
      ) {
        continue;
      }
      await this.#ctx.client.delete(R.replicasets, md["namespace"], md["name"], {
        preconditions: { uid: md["uid"], resourceVersion: md["resourceVersion"] },
      });
    }
  }

  async #syncDeploymentStatus(
    state: SyncState,
    allRSs: KObject[],
    newRS: KObject | undefined,
  ): Promise<void> {
    const status = calculateStatus(allRSs, newRS, state.d, this.#ctx.now());
    if (sameStatus(state.d["status"], status)) return;
    state.d["status"] = status;
    await this.#writeStatus(state);
  }

  /** Status with the Progressing condition of a rollout (syncRolloutStatus). */
  async #syncRolloutStatus(state: SyncState, allRSs: KObject[], newRS: KObject | undefined): Promise<void> {
    const d = state.d;
    const now = this.#ctx.now();
    const status = calculateStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(status, "Progressing");
    const currentCond = getCondition(d["status"], "Progressing");
    const complete =
      Number(status["replicas"] ?? 0) === Number(status["updatedReplicas"] ?? 0) &&
      currentCond?.["reason"] === Reason.NewReplicaSetAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.["metadata"]["name"];
      if (deploymentComplete(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${d["metadata"]["name"]}" has successfully progressed.`;
        setCondition(status, newCondition("Progressing", "True", Reason.NewReplicaSetAvailable, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${d["metadata"]["name"]}" is progressing.`;
        const cond = newCondition("Progressing", "True", Reason.ReplicaSetUpdated, msg, now);
        // Progress moves lastUpdateTime even when the reason stays the same.
        if (currentCond) {
          if (currentCond["status"] === "True")
            cond["lastTransitionTime"] = currentCond["lastTransitionTime"];
          removeCondition(status, "Progressing");
        }
        setCondition(status, cond);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${d["metadata"]["name"]}" has timed out progressing.`;
        setCondition(status, newCondition("Progressing", "False", Reason.ProgressDeadlineExceeded, msg, now));
      }
    }
    const failure = this.#replicaFailure(allRSs, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, "ReplicaFailure");
    if (sameStatus(d["status"], status)) {
      this.#requeueStuck(d, status, now);
      return;
    }
    d["status"] = status;
    await this.#writeStatus(state);
  }

  /** The first ReplicaFailure of the new ReplicaSet, else of any (getReplicaFailures). */
  #replicaFailure(allRSs: KObject[], newRS: KObject | undefined): KObject | undefined {
    const failureOf = (rs: KObject | undefined): KObject | undefined => {
      const c = ((rs?.["status"]?.["conditions"] ?? []) as KObject[]).find(
        (x) => x["type"] === "ReplicaFailure",
      );
      if (!c) return undefined;
      return {
        type: "ReplicaFailure",
        status: c["status"],
        lastUpdateTime: c["lastTransitionTime"],
        lastTransitionTime: c["lastTransitionTime"],
        reason: c["reason"],
        message: c["message"],
      };
    };
    return failureOf(newRS) ?? allRSs.map(failureOf).find((c) => c !== undefined);
  }

  /** Syncs again when the progress deadline would pass without news (requeueStuckDeployment). */
  #requeueStuck(d: KObject, status: KObject, now: Date): void {
    const cond = getCondition(d["status"], "Progressing");
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, status) || cond["reason"] === Reason.ProgressDeadlineExceeded) return;
    const from = Date.parse(String(cond["lastUpdateTime"] ?? ""));
    if (Number.isNaN(from)) return;
    const after = from + Number(d["spec"]["progressDeadlineSeconds"]) * 1000 - now.getTime();
    if (after < 1000) this.#queue.addRateLimited(keyOf(d));
    else this.#queue.addAfter(keyOf(d), after + 1000);
  }
}
