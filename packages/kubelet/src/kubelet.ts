/**
 * The kubelet emulator of one node: registers the Node and heartbeats (node.ts), runs the pods
 * bound to it (pod.ts, container.ts) as emulated apps on the fabric, and serves `kubectl logs`
 * and in-pod HTTP requests over NATS (logs.ts, exec.ts). Many may run in one process, one per
 * emulated node.
 *
 * Pods are followed with an informer on `spec.nodeName=<node>`; its handlers only queue the pod's
 * key, and a work queue syncs one key at a time: start a worker for a new pod, pass updates to
 * it (knob annotations, deletionTimestamp), or stop it when the pod object is gone.
 *
 * On start the kubelet forgets the fabric records its node published before (a restarted node
 * agent's sockets are gone), takes over an existing Node, and reserves the IPs of the pods it
 * finds, so they keep them.
 *
 * Limitations vs Kubernetes: no static pods, no admission (resources, max pods), no eviction
 * manager, no graceful node shutdown, no container garbage collection of terminated pods (they
 * are kept until deleted).
 */
import type { Logger } from "@kemu/common";
import {
  EventRecorder,
  Informer,
  R,
  WorkQueue,
  keyOf,
  splitKey,
  type ApiClient,
  type KObject,
} from "@kemu/controllers";
import type { Fabric } from "@kemu/fabric";
import type { DataPlane } from "@kemu/proxy";
import { APPS, type AppEntry } from "./apps/registry.ts";
import { Backoff } from "./backoff.ts";
import { systemClock, type Clock } from "./clock.ts";
import { kubeletSettings, type KubeletSettings, type KubeletSettingsInput } from "./config.ts";
import { recorderEvents, type KubeletEvents } from "./events.ts";
import { ExecService } from "./exec.ts";
import { PodIPAllocator } from "./ipam.ts";
import { cidrContains } from "@kemu/common";
import { LogsService } from "./logs.ts";
import { NodeAgent } from "./node.ts";
import { PodWorker } from "./pod.ts";

/** What a Kubelet is built from. */
export interface KubeletOptions {
  /** Parsed settings, or input to parse (defaults filled in). */
  settings: KubeletSettings | KubeletSettingsInput;
  api: ApiClient;
  fabric: Fabric;
  log: Logger;
  clock?: Clock;
  /** The node's data plane, for in-pod requests to ClusterIPs (exec). */
  dataPlane?: DataPlane;
  /** The app table (default APPS). */
  apps?: readonly AppEntry[];
  /** Where events go (default: the API, as component "kubelet"). */
  events?: KubeletEvents;
}

/** Workers syncing pods (each sync is short: long work runs in the pod's worker). */
const SYNC_WORKERS = 2;

/** One node's kubelet. */
export class Kubelet {
  readonly settings: KubeletSettings;
  /** The Node's name. */
  readonly nodeName: string;
  /** The node's InternalIP. */
  readonly nodeIP: string;
  readonly #api: ApiClient;
  readonly #fabric: Fabric;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #dataPlane: DataPlane | undefined;
  readonly #apps: readonly AppEntry[];
  readonly #events: KubeletEvents;
  readonly #node: NodeAgent;
  readonly #backoff: Backoff;
  readonly #workers = new Map<string, PodWorker>();
  #ipam: PodIPAllocator | undefined;
  #informer: Informer | undefined;
  #queue: WorkQueue | undefined;
  #logs: LogsService | undefined;
  #exec: ExecService | undefined;
  #started = false;
  #stopped = false;

  constructor(o: KubeletOptions) {
    this.settings = kubeletSettings(o.settings as KubeletSettingsInput);
    this.nodeName = this.settings.nodeName;
    this.nodeIP = o.fabric.nodeIP(this.settings.nodeIndex);
    this.#api = o.api;
    this.#fabric = o.fabric;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#dataPlane = o.dataPlane;
    this.#apps = o.apps ?? APPS;
    this.#events =
      o.events ?? recorderEvents(new EventRecorder(o.api, "kubelet", o.log.child("events"), this.nodeName));
    this.#node = new NodeAgent({
      settings: this.settings,
      ip: this.nodeIP,
      api: o.api,
      clock: this.#clock,
      log: o.log.child("node"),
      events: this.#events,
    });
    this.#backoff = new Backoff(
      this.settings.crashLoopBackOffInitialSeconds * 1000,
      this.settings.crashLoopBackOffMaxSeconds * 1000,
      this.#clock,
    );
  }

  /** The pod CIDR pods get their IPs from. */
  get podCIDR(): string {
    return this.#ipam?.cidr ?? this.#node.podCIDR;
  }

  /** Registers the node, starts heartbeats, runs the node's pods and serves logs and exec. */
  async start(): Promise<void> {
    if (this.#started) throw new Error("kubelet already started");
    this.#started = true;
    await this.#fabric.forgetNode(this.nodeName);
    await this.#node.register();
    this.#ipam = new PodIPAllocator(this.#node.podCIDR);
    this.#node.start();
    const queue = new WorkQueue(`kubelet-${this.nodeName}`, this.#log);
    this.#queue = queue;
    const informer = new Informer(this.#api, R.pods, this.#log.child("pods"), {
      fieldSelector: `spec.nodeName=${this.nodeName}`,
    });
    this.#informer = informer;
    const enqueue = (p: KObject) => queue.add(keyOf(p));
    informer.addHandlers({ add: enqueue, update: (_o, p) => enqueue(p), delete: enqueue });
    await informer.start();
    this.#reserveIPs(informer.list());
    const lookup = (namespace: string, name: string) => this.pod(namespace, name);
    this.#logs = new LogsService({
      nc: this.#api.nc,
      node: this.nodeName,
      lookup,
      clock: this.#clock,
      log: this.#log,
    });
    this.#exec = new ExecService({
      nc: this.#api.nc,
      node: this.nodeName,
      lookup,
      api: this.#api,
      fabric: this.#fabric,
      dataPlane: this.#dataPlane,
      log: this.#log,
    });
    this.#logs.start();
    this.#exec.start();
    void queue.run(SYNC_WORKERS, (key) => this.#sync(key));
    this.#log.info("kubelet running", { node: this.nodeName, ip: this.nodeIP, podCIDR: this.podCIDR });
  }

  /** Pods found at start keep their IPs: no new pod may take them. */
  #reserveIPs(pods: KObject[]): void {
    for (const p of pods) {
      const ip: string | undefined = p["status"]?.["podIP"];
      const phase = p["status"]?.["phase"];
      if (!ip || p["spec"]?.["hostNetwork"] || phase === "Succeeded" || phase === "Failed") continue;
      if (!cidrContains(this.podCIDR, ip)) continue;
      if (!this.#ipam!.reserve(ip, p["metadata"]["uid"]))
        this.#log.warn("pod IP already taken", { pod: keyOf(p), ip });
    }
  }

  /** The worker running pod namespace/name, if this node runs it. */
  pod(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.#workers.values()) if (w.namespace === namespace && w.name === name) return w;
    return undefined;
  }

  async #sync(key: string): Promise<void> {
    if (this.#stopped) return;
    const pod = this.#informer!.get(key);
    const { namespace, name } = splitKey(key);
    const current = namespace === undefined ? undefined : this.pod(namespace, name);
    if (current && (!pod || pod["metadata"]["uid"] !== current.uid)) {
      // The pod object is gone (force-deleted, or deleted by this worker): stop what is left.
      this.#workers.delete(current.uid);
      if (!current.terminating()) await current.forceStop();
      else void current.finished?.then(() => current.forceStop());
    }
    if (!pod) return;
    const uid: string = pod["metadata"]["uid"];
    const w = this.#workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    const phase = pod["status"]?.["phase"];
    if (phase === "Succeeded" || phase === "Failed") return;
    const worker = new PodWorker(pod, {
      nodeName: this.nodeName,
      hostIP: this.nodeIP,
      ipam: this.#ipam!,
      fabric: this.#fabric,
      api: this.#api,
      clock: this.#clock,
      log: this.#log.child("pod"),
      events: this.#events,
      backoff: this.#backoff,
      logLines: this.settings.containerLogLines,
      apps: this.#apps,
    });
    this.#workers.set(uid, worker);
    worker.start();
  }

  /**
   * Stops the kubelet: heartbeats, watches and services end and every container stops at once.
   * The Node, its Lease and the pods stay in the API, as when a real kubelet dies.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#node.stop();
    this.#informer?.stop();
    this.#queue?.stop();
    this.#logs?.stop();
    this.#exec?.stop();
    await Promise.all([...this.#workers.values()].map((w) => w.forceStop()));
    this.#workers.clear();
    this.#log.info("kubelet stopped", { node: this.nodeName });
  }
}
