/**
 * KubeProxy: one node's kube-proxy emulator. It wires the parts together:
 * - informers for Services and EndpointSlices (and its own Node) over the NATS API; their
 *   handlers only record into the change tracker and send CHANGED to the machine;
 * - the NATS connection's status, as DISCONNECTED/RECONNECTED machine events;
 * - the rule-sync machine, whose sync actor calls computeRules and then dataPlane.apply;
 * - kube-proxy's metrics (port 10249) and health (port 10256) servers on the node's IP;
 * - the machine's status, published on `kemu.node.<node>.proxy.status` at every change and
 *   answered on `kemu.node.<node>.proxy.status.get`, so a dashboard can draw every node.
 *
 * Usage: `const kp = new KubeProxy({...}); await kp.start(); ... await kp.stop();` A KubeProxy
 * starts once; stop() leaves the data plane (and the rules it serves) to its owner.
 *
 * Limitations vs Kubernetes:
 * - Services and EndpointSlices only: no Endpoints fallback, no ServiceCIDR/IPAddress objects.
 * - The node's zone comes from its Node's topology.kubernetes.io/zone label once seen (else
 *   NodeInfo.zone); other node labels are not used.
 * - No health check node port servers (the data plane's business), no conntrack cleanup.
 * See rules/compute.ts, machine/machine.ts, healthz.ts and metrics.ts for the rest.
 */
import type { V1EndpointSlice, V1Node, V1Service } from "@kubernetes/client-node";
import type { Logger } from "@kemu/common";
import { Informer, R, type ApiClient, type KObject } from "@kemu/controllers";
import type { SocketAddress } from "@kemu/fabric";
import { nodeSubject, type Subscription } from "@kemu/nats";
import { createActor, fromCallback, fromPromise, type Actor } from "xstate";
import { ChangeTracker } from "./changes.ts";
import { ProxyHealth, nodeEligible } from "./healthz.ts";
import {
  HEALTHZ_PORT,
  METRICS_PORT,
  close,
  healthzHandler,
  listen,
  metricsHandler,
  type Listening,
} from "./http.ts";
import {
  proxySyncMachine,
  syncStatus,
  type ProxySyncStatus,
  type SyncEvent,
  type SyncInput,
  type SyncOutput,
} from "./machine/machine.ts";
import { ProxyMetrics } from "./metrics.ts";
import { computeRules } from "./rules/compute.ts";
import type { DataPlane, NodeInfo, ProxyConfig, ProxyMode, RuleSet } from "./types.ts";

/** A clock for timers and timestamps: xstate's Clock plus now() in epoch ms (SimulatedClock fits). */
export interface ProxyClock {
  now(): number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- xstate's Clock signature
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- xstate's Clock signature
  clearTimeout(id: any): void;
}

/** The real clock: epoch milliseconds with sub-millisecond precision, and Node's timers. */
export const realClock: ProxyClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, timeout) => setTimeout(fn, timeout),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** The NATS subject a node's proxy publishes its status on. */
export function proxyStatusSubject(node: string): string {
  return nodeSubject(node, "proxy.status");
}

/** The NATS subject that answers requests for a node's proxy status. */
export function proxyStatusRequestSubject(node: string): string {
  return nodeSubject(node, "proxy.status.get");
}

/** What a KubeProxy needs. */
export interface KubeProxyOptions {
  log: Logger;
  /** Defaults to realClock. */
  clock?: ProxyClock;
  dataPlane: DataPlane;
  /** The API over NATS; its connection also carries the status subjects. */
  api: ApiClient;
  node: NodeInfo;
  config: ProxyConfig;
  /** Where /healthz and /metrics listen: the node's IP (127.0.1.N on the loopback fabric). */
  bindAddress: string;
  /** Default 10256; 0 lets the kernel pick. */
  healthzPort?: number;
  /** Default 10249; 0 lets the kernel pick. */
  metricsPort?: number;
  /** First retry delay after a failed sync (default 1 s). */
  initialBackoffMs?: number;
  /** Longest retry delay (default syncPeriod). */
  maxBackoffMs?: number;
}

/** A node's proxy status as published over NATS. */
export interface KubeProxyStatus extends ProxySyncStatus {
  node: string;
  mode: ProxyMode;
}

/** One node's kube-proxy emulator. */
export class KubeProxy {
  readonly #log: Logger;
  readonly #clock: ProxyClock;
  readonly #dataPlane: DataPlane;
  readonly #api: ApiClient;
  readonly #node: NodeInfo;
  readonly #config: ProxyConfig;
  readonly #opts: KubeProxyOptions;
  readonly #services: Informer;
  readonly #slices: Informer;
  readonly #nodes: Informer;
  readonly #tracker: ChangeTracker;
  readonly #health: ProxyHealth;
  /** The node's Prometheus metrics (its registry is what /metrics serves). */
  readonly metrics: ProxyMetrics;
  readonly #actor: Actor<typeof proxySyncMachine>;
  #zone: string | undefined;
  #rules: RuleSet | undefined;
  /** Applies run one after another, even when the machine abandons a sync on disconnect. */
  #applying: Promise<void> = Promise.resolve();
  #healthz: Listening | undefined;
  #metricsServer: Listening | undefined;
  #statusSub: Subscription | undefined;
  #lastPublished = "";
  #started = false;
  #stopped = false;

  constructor(opts: KubeProxyOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#clock = opts.clock ?? realClock;
    this.#dataPlane = opts.dataPlane;
    this.#api = opts.api;
    this.#node = { ...opts.node };
    this.#zone = opts.node.zone;
    this.#config = opts.config;
    this.metrics = new ProxyMetrics(opts.config.mode);
    this.#health = new ProxyHealth(() => this.#clock.now(), 2 * opts.config.syncPeriodMs);
    this.#tracker = new ChangeTracker(() => this.#nodeInfo(), opts.config, this.#clock.now(), {
      serviceChange: (pending) => {
        this.metrics.serviceChangesTotal.inc();
        this.metrics.serviceChangesPending.set(pending);
      },
      endpointSliceChange: () => {
        this.metrics.endpointChangesTotal.inc();
        this.metrics.endpointChangesPending.inc();
      },
    });
    this.#services = new Informer(opts.api, R.services, opts.log.child("services"));
    this.#slices = new Informer(opts.api, R.endpointslices, opts.log.child("endpointslices"));
    this.#nodes = new Informer(opts.api, R.nodes, opts.log.child("node"), {
      fieldSelector: `metadata.name=${opts.node.name}`,
    });
    const machine = proxySyncMachine.provide({
      actors: { sync: this.#syncActor(), watch: this.#watchActor(), connection: this.#connectionActor() },
    });
    this.#actor = createActor(machine, {
      clock: this.#clock,
      input: {
        minSyncPeriodMs: opts.config.minSyncPeriodMs,
        syncPeriodMs: opts.config.syncPeriodMs,
        ...(opts.initialBackoffMs !== undefined ? { initialBackoffMs: opts.initialBackoffMs } : {}),
        ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      },
    });
  }

  #nodeInfo(): NodeInfo {
    const n: NodeInfo = { name: this.#node.name, ip: this.#node.ip };
    if (this.#zone) n.zone = this.#zone;
    return n;
  }

  /** Informers -> LISTED once both have listed, CHANGED for each change that matters. */
  #watchActor() {
    return fromCallback<SyncEvent>(({ sendBack }) => {
      let listed = false;
      const changed = () => {
        if (!listed) return;
        this.#health.queuedUpdate();
        this.metrics.syncProxyRulesLastQueuedTimestamp.set(this.#clock.now() / 1000);
        sendBack({ type: "CHANGED" });
      };
      const svc = (o: KObject | undefined, n: KObject | undefined) => {
        if (this.#tracker.recordService(o as V1Service | undefined, n as V1Service | undefined)) changed();
      };
      const slice = (s: KObject, removed: boolean) => {
        if (this.#tracker.recordEndpointSlice(s as V1EndpointSlice, removed)) changed();
      };
      this.#services.addHandlers({
        add: (n) => svc(undefined, n),
        update: (o, n) => svc(o, n),
        delete: (o) => svc(o, undefined),
      });
      this.#slices.addHandlers({
        add: (s) => slice(s, false),
        update: (_o, s) => slice(s, false),
        delete: (s) => slice(s, true),
      });
      const onNode = (n: KObject | undefined) => {
        this.#health.setNodeEligible(nodeEligible(n as V1Node | undefined));
        const zone = (n as V1Node | undefined)?.metadata?.labels?.["topology.kubernetes.io/zone"];
        if (n && zone !== this.#zone) {
          this.#zone = zone;
          changed();
        }
      };
      this.#nodes.addHandlers({ add: onNode, update: (_o, n) => onNode(n), delete: () => onNode(undefined) });
      let stopped = false;
      void Promise.all([this.#services.start(), this.#slices.start()]).then(() => {
        if (stopped) return;
        listed = true;
        this.#log.info("services and endpoint slices listed", {
          services: this.#services.list().length,
          endpointSlices: this.#slices.list().length,
        });
        sendBack({ type: "LISTED" });
      });
      void this.#nodes.start();
      return () => {
        stopped = true;
        this.#services.stop();
        this.#slices.stop();
        this.#nodes.stop();
      };
    });
  }

  /** nc.status() -> DISCONNECTED / RECONNECTED. */
  #connectionActor() {
    return fromCallback<SyncEvent>(({ sendBack }) => {
      const it = this.#api.nc.status();
      void (async () => {
        for await (const s of it) {
          if (s.type === "disconnect") sendBack({ type: "DISCONNECTED" });
          else if (s.type === "reconnect") sendBack({ type: "RECONNECTED" });
        }
      })();
      return () => (it as { stop?: () => void }).stop?.();
    });
  }

  /** Checks out the changes, computes the rules, applies them, and records the sync. */
  #syncActor() {
    return fromPromise<SyncOutput, SyncInput>(async ({ input }) => {
      const startedAt = this.#clock.now();
      const changes = this.#tracker.checkout();
      this.metrics.serviceChangesPending.set(0);
      this.metrics.endpointChangesPending.set(0);
      const rules = computeRules(
        this.#services.list() as V1Service[],
        this.#slices.list() as V1EndpointSlice[],
        this.#nodeInfo(),
        this.#config,
      );
      const apply = this.#applying.then(() => this.#dataPlane.apply(rules));
      this.#applying = apply.catch(() => {});
      try {
        await apply;
      } catch (err) {
        this.metrics.syncFailuresTotal.inc();
        this.#log.warn("applying rules failed", { reason: input.reason, err: String(err) });
        throw err;
      }
      const finishedAt = this.#clock.now();
      this.#rules = rules;
      this.#health.updated();
      this.metrics.observeSync(input.full, startedAt, finishedAt, rules, changes.triggerTimes);
      this.#log.debug("rules synced", {
        reason: input.reason,
        rules: rules.rules.length,
        ms: Math.round((finishedAt - startedAt) * 1000) / 1000,
      });
      return { startedAt, finishedAt, ruleCount: rules.rules.length };
    });
  }

  /** Starts the HTTP servers, the status subjects and the machine (which starts the informers). */
  async start(): Promise<void> {
    if (this.#started) throw new Error("KubeProxy already started");
    this.#started = true;
    const host = this.#opts.bindAddress;
    this.#healthz = await listen(
      healthzHandler(this.#health, this.metrics),
      host,
      this.#opts.healthzPort ?? HEALTHZ_PORT,
    );
    this.#metricsServer = await listen(
      metricsHandler(this.metrics, this.#config.mode, this.#log),
      host,
      this.#opts.metricsPort ?? METRICS_PORT,
    );
    const nc = this.#api.nc;
    this.#statusSub = nc.subscribe(proxyStatusRequestSubject(this.#node.name), {
      callback: (err, msg) => {
        if (!err) msg.respond(JSON.stringify(this.status()));
      },
    });
    this.#actor.subscribe(() => this.#publishStatus());
    // kube-proxy marks itself updated as its sync loop starts, in case no sync ever succeeds.
    this.#health.updated();
    this.metrics.syncProxyRulesLastQueuedTimestamp.set(this.#clock.now() / 1000);
    this.#actor.start();
    this.#publishStatus();
    this.#log.info("kube-proxy started", {
      node: this.#node.name,
      mode: this.#config.mode,
      healthz: `${this.#healthz.address.host}:${this.#healthz.address.port}`,
      metrics: `${this.#metricsServer.address.host}:${this.#metricsServer.address.port}`,
    });
  }

  #publishStatus(): void {
    if (this.#stopped) return;
    const body = JSON.stringify(this.status());
    if (body === this.#lastPublished) return;
    this.#lastPublished = body;
    try {
      this.#api.nc.publish(proxyStatusSubject(this.#node.name), body);
    } catch (err) {
      // Publishing on a closed connection throws; the status is also served on request.
      this.#log.debug("status not published", { err: String(err) });
    }
  }

  /** Stops the machine, the informers, the servers and the status subjects; the data plane keeps its rules. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#actor.stop();
    this.#statusSub?.unsubscribe();
    await Promise.all([close(this.#healthz), close(this.#metricsServer)]);
    await this.#applying;
  }

  /** The machine's state and counters, with the node's name and proxy mode. */
  status(): KubeProxyStatus {
    return { node: this.#node.name, mode: this.#config.mode, ...syncStatus(this.#actor.getSnapshot()) };
  }

  /** The last RuleSet applied successfully, if any. */
  get rules(): RuleSet | undefined {
    return this.#rules;
  }

  /** Where /healthz and /livez listen (valid once started). */
  get healthzAddress(): SocketAddress {
    if (!this.#healthz) throw new Error("KubeProxy not started");
    return this.#healthz.address;
  }

  /** Where /metrics listens (valid once started). */
  get metricsAddress(): SocketAddress {
    if (!this.#metricsServer) throw new Error("KubeProxy not started");
    return this.#metricsServer.address;
  }
}
