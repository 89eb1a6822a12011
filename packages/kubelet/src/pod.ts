/**
 * One pod on this node, as the kubelet's pod worker runs it: the sandbox (a pod IP from the
 * node's CIDR), init containers in order, then the containers; its status written whenever it
 * changes; and graceful deletion: when deletionTimestamp appears, every container is stopped
 * within deletionGracePeriodSeconds, the terminal status is written, and only then is the pod
 * object deleted (grace period 0, uid precondition); the IP is released last.
 *
 * While the pod terminates, readiness probes keep running and the Ready condition keeps
 * reflecting them (liveness and startup probes stop), as upstream does: the EndpointSlice
 * controller marks the endpoint terminating (ready false) from the deletionTimestamp, and
 * serving stays true while a draining container still passes readiness.
 *
 * Limitations vs Kubernetes: init containers complete at once (after their start-up-delay knob)
 * and run no app; sidecar init containers are not kept running; no activeDeadlineSeconds,
 * ephemeral containers, volumes or resource admission; a pod found running after a kubelet
 * restart gets new container instances (lastState Unknown, exit code 255, as after a node
 * reboot), keeping its IP.
 */
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { ApiError } from "@kemu/apiserver";
import { R, type KObject } from "@kemu/controllers";
import type { Protocol } from "@kemu/fabric";
import { sleep } from "./clock.ts";
import {
  Container,
  imageID,
  normalizeImage,
  rfc3339,
  RUNTIME_SCHEME,
  type PodHandle,
  type RuntimeDeps,
} from "./container.ts";
import { Reason } from "./events.ts";
import { IPExhaustedError, type PodIPAllocator } from "./ipam.ts";
import { KnobError, parseKnobs } from "./knobs.ts";
import { computePodStatus, podPhase, type ContainerView } from "./status.ts";

/** What a pod worker needs besides the container runtime's dependencies. */
export interface PodWorkerDeps extends RuntimeDeps {
  nodeName: string;
  hostIP: string;
  ipam: PodIPAllocator;
}

/** Status writes that failed are retried after this long (real time: it waits for the API, not the pod). */
const RETRY_MS = 1000;

/** An init container: runs to completion at once. */
class InitContainer {
  readonly name: string;
  readonly spec: KObject;
  state: KObject = { waiting: { reason: "PodInitializing" } };
  id: string | undefined;

  constructor(spec: KObject) {
    this.name = String(spec["name"]);
    this.spec = spec;
  }

  view(): ContainerView {
    return {
      name: this.name,
      image: normalizeImage(String(this.spec["image"])),
      imageID: this.id ? imageID(String(this.spec["image"])) : "",
      containerID: this.id ? `${RUNTIME_SCHEME}://${this.id}` : undefined,
      state: this.state,
      lastState: {},
      ready: this.state["terminated"]?.["exitCode"] === 0,
      started: this.state["running"] !== undefined,
      restartCount: 0,
    };
  }
}

/** Runs one pod. */
export class PodWorker implements PodHandle {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly #d: PodWorkerDeps;
  #pod: KObject;
  #ip: string | undefined;
  #restoredIP: string | undefined;
  #sandboxReady = false;
  readonly #containers: Container[];
  readonly #init: InitContainer[];
  #terminating = false;
  #final = false;
  #gone = false;
  #sandboxDown = false;
  readonly #startTime: string;
  #lastWritten: KObject | undefined;
  #lastWrittenRV = 0;
  #dirty = false;
  #writing: Promise<void> | undefined;
  readonly #ports = new Map<string, string>();
  readonly #abort = new AbortController();
  #finished: Promise<void> | undefined;

  constructor(pod: KObject, deps: PodWorkerDeps) {
    const md = pod["metadata"];
    this.uid = md["uid"];
    this.namespace = md["namespace"];
    this.name = md["name"];
    this.nodeName = deps.nodeName;
    this.hostIP = deps.hostIP;
    this.#d = { ...deps, log: deps.log.child(`${this.namespace}/${this.name}`) };
    this.#pod = pod;
    const status: KObject = pod["status"] ?? {};
    this.#startTime = status["startTime"] ?? rfc3339(deps.clock.now());
    const prevStatuses = new Map<string, KObject>(
      ((status["containerStatuses"] ?? []) as KObject[]).map((s) => [s["name"], s]),
    );
    this.#containers = ((pod["spec"]?.["containers"] ?? []) as KObject[]).map(
      (c) =>
        new Container(c, this, this.#d, restoredContainer(prevStatuses.get(c["name"]), deps.clock.now())),
    );
    this.#init = ((pod["spec"]?.["initContainers"] ?? []) as KObject[]).map((c) => new InitContainer(c));
    // Init containers that completed before a kubelet restart are not run again.
    const initDone = ((status["initContainerStatuses"] ?? []) as KObject[]).filter(
      (s) => s["state"]?.["terminated"]?.["exitCode"] === 0,
    );
    for (const ic of this.#init) {
      const prev = initDone.find((s) => s["name"] === ic.name);
      if (prev) {
        ic.state = prev["state"];
        ic.id = String(prev["containerID"] ?? "").replace(`${RUNTIME_SCHEME}://`, "") || undefined;
      }
    }
    if (status["podIP"] && !this.hostNetwork) this.#restoredIP = status["podIP"];
  }

  /** Whether the pod uses the node's network. */
  get hostNetwork(): boolean {
    return this.#pod["spec"]?.["hostNetwork"] === true;
  }

  // PodHandle
  pod(): KObject {
    return this.#pod;
  }
  ip(): string {
    return this.#ip ?? "";
  }
  gateway(): string {
    return this.hostNetwork ? this.hostIP : this.#d.ipam.gateway;
  }
  terminating(): boolean {
    return this.#terminating || this.#gone;
  }
  changed(): void {
    this.#markDirty();
    this.#checkTerminal();
  }
  claimPort(port: number, proto: Protocol, owner: string): boolean {
    const k = `${port}/${proto}`;
    const cur = this.#ports.get(k);
    if (cur !== undefined && cur !== owner) return false;
    this.#ports.set(k, owner);
    return true;
  }
  releasePort(port: number, proto: Protocol, owner: string): void {
    const k = `${port}/${proto}`;
    if (this.#ports.get(k) === owner) this.#ports.delete(k);
  }

  /** The containers, by name. */
  container(name: string): Container | undefined {
    return this.#containers.find((c) => c.name === name);
  }

  /** Container names, in spec order. */
  get containerNames(): string[] {
    return this.#containers.map((c) => c.name);
  }

  /** Starts running the pod. */
  start(): void {
    void this.#run().catch((err) => this.#d.log.error("pod worker failed", { err: String(err) }));
  }

  /** A newer version of the pod arrived. */
  update(pod: KObject): void {
    if (this.#gone) return;
    const oldAnnotations = this.#pod["metadata"]?.["annotations"];
    this.#pod = pod;
    // Someone else changed what the kubelet owns (the node lifecycle controller marks pods not
    // ready when their node seems lost): write ours again, as the kubelet's status manager does.
    const rv = Number(pod["metadata"]?.["resourceVersion"]);
    if (
      this.#lastWritten &&
      !this.#final &&
      rv > this.#lastWrittenRV &&
      statusSummary(pod["status"]) !== statusSummary(this.#lastWritten)
    ) {
      this.#lastWritten = undefined;
      this.#markDirty();
    }
    if (!isDeepStrictEqual(oldAnnotations, pod["metadata"]?.["annotations"]))
      for (const c of this.#containers) c.refreshKnobs();
    if (pod["metadata"]?.["deletionTimestamp"] && !this.#terminating) this.#finished = this.#terminate();
  }

  /** Resolves when the pod's deletion has been completed by this worker (or it was stopped). */
  get finished(): Promise<void> | undefined {
    return this.#finished;
  }

  async #run(): Promise<void> {
    this.#markDirty();
    if (this.#pod["metadata"]?.["deletionTimestamp"]) {
      this.#finished = this.#terminate();
      return;
    }
    if (!(await this.#sandbox())) return;
    for (const ic of this.#init) {
      if (this.terminating()) return;
      if (ic.state["terminated"]) continue;
      await this.#runInit(ic);
    }
    if (this.terminating()) return;
    for (const c of this.#containers) c.start();
  }

  /** Creates the sandbox: the pod IP; retried while the range is exhausted. */
  async #sandbox(): Promise<boolean> {
    for (;;) {
      if (this.terminating()) return false;
      try {
        if (this.hostNetwork) this.#ip = this.hostIP;
        else if (this.#restoredIP && this.#d.ipam.reserve(this.#restoredIP, this.uid))
          this.#ip = this.#restoredIP;
        else this.#ip = this.#d.ipam.allocate(this.uid);
        if (!this.hostNetwork) await this.#d.fabric.addPodIP(this.#ip);
        this.#sandboxReady = true;
        this.#markDirty();
        return true;
      } catch (err) {
        const msg = err instanceof IPExhaustedError ? err.message : String(err);
        this.#d.events.pod(
          this.#pod,
          undefined,
          "Warning",
          Reason.FailedCreatePodSandBox,
          `Failed to create pod sandbox: plugin type="bridge" name="kemu" failed (add): failed to allocate for range 0: ${msg}`,
        );
        await sleep(this.#d.clock, 10_000, this.#abort.signal).catch(() => {});
      }
    }
  }

  async #runInit(ic: InitContainer): Promise<void> {
    const image = String(ic.spec["image"]);
    const ev = (reason: string, message: string) =>
      this.#d.events.pod(this.#pod, ic.name, "Normal", reason, message);
    ev(Reason.Pulled, `Container image "${image}" already present on machine`);
    ic.id = randomBytes(32).toString("hex");
    ev(Reason.Created, `Created container: ${ic.name}`);
    const startedAt = rfc3339(this.#d.clock.now());
    ic.state = { running: { startedAt } };
    ev(Reason.Started, `Started container ${ic.name}`);
    this.#markDirty();
    let delay = 0;
    try {
      delay = parseKnobs(this.#pod, ic.spec).startupDelayMs;
    } catch (err) {
      if (!(err instanceof KnobError)) throw err;
    }
    if (delay > 0) await sleep(this.#d.clock, delay, this.#abort.signal).catch(() => {});
    ic.state = {
      terminated: {
        exitCode: 0,
        reason: "Completed",
        startedAt,
        finishedAt: rfc3339(this.#d.clock.now()),
        containerID: `${RUNTIME_SCHEME}://${ic.id}`,
      },
    };
    this.#markDirty();
  }

  /** When every container has stopped for good, the pod is finished: its sandbox goes. */
  #checkTerminal(): void {
    if (this.#terminating || this.#sandboxDown || !this.#sandboxReady) return;
    const views = this.#containers.map((c) => c.view());
    const phase = podPhase(
      this.#restartPolicy(),
      this.#init.map((i) => i.view()),
      views,
      false,
    );
    if ((phase === "Succeeded" || phase === "Failed") && this.#containers.every((c) => !c.running))
      void this.#teardownSandbox();
  }

  #restartPolicy(): string {
    return this.#pod["spec"]?.["restartPolicy"] ?? "Always";
  }

  async #teardownSandbox(): Promise<void> {
    if (this.#sandboxDown) return;
    this.#sandboxDown = true;
    this.#sandboxReady = false;
    const ip = this.#ip;
    if (ip && !this.hostNetwork) {
      await this.#d.fabric
        .removePodIP(ip)
        .catch((err) => this.#d.log.warn("removing pod IP failed", { err: String(err) }));
    }
    this.#d.ipam.release(this.uid);
    for (const c of this.#containers) this.#d.backoff.reset(`${this.uid}/${c.name}`);
    if (!this.#gone) this.#markDirty();
  }

  async #terminate(): Promise<void> {
    this.#terminating = true;
    this.#abort.abort(new Error("pod terminating"));
    const md = this.#pod["metadata"];
    const grace = Number(
      md["deletionGracePeriodSeconds"] ?? this.#pod["spec"]?.["terminationGracePeriodSeconds"] ?? 30,
    );
    await Promise.all(this.#containers.map((c) => c.kill({ graceMs: grace * 1000, cause: "delete" })));
    for (const ic of this.#init) {
      if (ic.state["running"])
        ic.state = {
          terminated: {
            exitCode: 137,
            reason: "Error",
            startedAt: ic.state["running"]["startedAt"],
            finishedAt: rfc3339(this.#d.clock.now()),
            containerID: `${RUNTIME_SCHEME}://${ic.id}`,
          },
        };
    }
    if (this.#gone) return;
    this.#final = true;
    this.#sandboxReady = false;
    this.#markDirty();
    await this.flush();
    if (this.#gone) return;
    try {
      await this.#d.api.delete(R.pods, this.namespace, this.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: this.uid },
      });
    } catch (err) {
      // 409: the uid precondition failed, the pod was already replaced; nothing left to delete.
      if (!(err instanceof ApiError && err.code === 409))
        this.#d.log.warn("deleting pod failed", { err: String(err) });
    }
    this.#gone = true;
    await this.#teardownSandbox();
  }

  /** Stops everything at once, without writing status (the pod object is gone, or the kubelet stops). */
  async forceStop(): Promise<void> {
    this.#gone = true;
    this.#abort.abort(new Error("pod removed"));
    await Promise.all(this.#containers.map((c) => c.forceStop()));
    await this.#teardownSandbox();
  }

  /** The status as it would be written now. */
  status(): KObject {
    return computePodStatus({
      pod: this.#pod,
      previous: this.#lastWritten,
      sandboxReady: this.#sandboxReady,
      podIP: this.#ip,
      hostIP: this.hostIP,
      startTime: this.#startTime,
      initContainers: this.#init.map((i) => i.view()),
      containers: this.#containers.map((c) => c.view()),
      terminal: this.#final,
      now: rfc3339(this.#d.clock.now()),
    });
  }

  #markDirty(): void {
    if (this.#gone) return;
    this.#dirty = true;
    this.#writing ??= this.#writeLoop().finally(() => (this.#writing = undefined));
  }

  /** Resolves once the latest status has been written (or can no longer be). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #writeLoop(): Promise<void> {
    while (this.#dirty && !this.#gone) {
      this.#dirty = false;
      const status = this.status();
      if (isDeepStrictEqual(status, this.#lastWritten)) continue;
      try {
        const written = await this.#d.api.patch(
          R.pods,
          this.namespace,
          this.name,
          { status },
          { subresource: "status" },
        );
        this.#lastWritten = status;
        this.#lastWrittenRV = Number(written["metadata"]?.["resourceVersion"]) || 0;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return;
        this.#d.log.warn("pod status update failed; retrying", { err: String(err) });
        this.#dirty = true;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}

/** What must match between the API's status and ours: phase, kubelet conditions, container readiness. */
function statusSummary(s: KObject | undefined): string {
  const conds = ((s?.["conditions"] ?? []) as KObject[])
    .filter((c) =>
      ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"].includes(c["type"]),
    )
    .map((c) => `${c["type"]}=${c["status"]}`)
    .sort();
  const cs = ((s?.["containerStatuses"] ?? []) as KObject[]).map(
    (c) => `${c["name"]}:${c["ready"]}:${c["restartCount"]}:${Object.keys(c["state"] ?? {})[0] ?? ""}`,
  );
  return JSON.stringify([s?.["phase"], conds, cs, s?.["podIP"] ?? ""]);
}

/** A container found running before a kubelet restart: its instance is gone (exit 255, Unknown). */
function restoredContainer(
  prev: KObject | undefined,
  now: number,
): { restartCount: number; lastState: KObject } | undefined {
  if (!prev) return undefined;
  const restartCount = Number(prev["restartCount"] ?? 0);
  const running = prev["state"]?.["running"];
  if (running && prev["containerID"]) {
    return {
      restartCount: restartCount + 1,
      lastState: {
        terminated: {
          exitCode: 255,
          reason: "Unknown",
          startedAt: running["startedAt"],
          finishedAt: rfc3339(now),
          containerID: prev["containerID"],
        },
      },
    };
  }
  return { restartCount, lastState: prev["lastState"] ?? {} };
}
