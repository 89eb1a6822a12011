/**
 * The kubelet's node duties: register the Node (or take over the existing one after a
 * restart), renew its Lease in kube-node-lease (every 10 s, leaseDurationSeconds 40, owned by the
 * Node), and post node status every nodeStatusUpdateFrequency when it changed, or every
 * nodeStatusReportFrequency regardless (lastHeartbeatTime).
 *
 * The objects are built by pure functions (nodeObject, nodeStatus, leaseObject); NodeAgent only
 * decides when to write them.
 *
 * Limitations vs Kubernetes: capacity is what the settings say (no cAdvisor), pressure
 * conditions are always False, no images list, no node-ipam: the kubelet sets spec.podCIDR
 * itself (10.244.N.0/24), no --register-with-taints.
 */
import type { Logger } from "@kemu/common";
import { ApiError } from "@kemu/apiserver";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { arch } from "node:os";
import type { Clock, ClockTimer } from "./clock.ts";
import type { KubeletSettings } from "./config.ts";
import { rfc3339 } from "./container.ts";
import { Reason, type KubeletEvents } from "./events.ts";

/** status.nodeInfo.kubeletVersion. */
export const KUBELET_VERSION = "v1.32.0-kemu";
/** status.nodeInfo.containerRuntimeVersion. */
export const CONTAINER_RUNTIME_VERSION = "kemu://0.1.0";
/** The namespace of node Leases. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** The Go architecture name of this host ("amd64", "arm64"). */
export function goArch(): string {
  const a = arch();
  return a === "x64" ? "amd64" : a === "ia32" ? "386" : a;
}

/** MicroTime, as Lease renewTime has it: "2026-11-24T22:41:05.123000Z". */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** The node's pod CIDR. */
export function podCIDR(settings: Pick<KubeletSettings, "nodeIndex">): string {
  return `10.244.${settings.nodeIndex}.0/24`;
}

/** The labels the kubelet puts on its Node. */
export function nodeLabels(settings: KubeletSettings): Record<string, string> {
  const a = goArch();
  return {
    "beta.kubernetes.io/arch": a,
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": a,
    "kubernetes.io/hostname": settings.nodeName,
    "kubernetes.io/os": "linux",
    ...settings.nodeLabels,
  };
}

const CONDITIONS = [
  ["MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  ["DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  ["PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  ["Ready", "True", "KubeletReady", "kubelet is posting ready status"],
] as const;

/** Node status: conditions (keeping lastTransitionTime while unchanged), addresses, capacity, nodeInfo. */
export function nodeStatus(
  settings: KubeletSettings,
  ip: string,
  previous: KObject | undefined,
  nowMs: number,
): KObject {
  const now = rfc3339(nowMs);
  const prev: KObject[] = previous?.["conditions"] ?? [];
  const resources = {
    cpu: settings.cpu,
    "ephemeral-storage": settings.ephemeralStorage,
    memory: settings.memory,
    pods: String(settings.maxPods),
  };
  return {
    conditions: CONDITIONS.map(([type, status, reason, message]) => {
      const p = prev.find((c) => c["type"] === type);
      return {
        type,
        status,
        lastHeartbeatTime: now,
        lastTransitionTime:
          p && p["status"] === status && p["lastTransitionTime"] ? p["lastTransitionTime"] : now,
        reason,
        message,
      };
    }),
    addresses: [
      { type: "InternalIP", address: ip },
      { type: "Hostname", address: settings.nodeName },
    ],
    capacity: resources,
    allocatable: resources,
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: settings.kernelVersion,
      osImage: settings.osImage,
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: goArch(),
    },
  };
}

/** The Node to register. */
export function nodeObject(settings: KubeletSettings, ip: string, nowMs: number): KObject {
  const cidr = podCIDR(settings);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: settings.nodeName,
      labels: nodeLabels(settings),
      annotations: {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
    status: nodeStatus(settings, ip, undefined, nowMs),
  };
}

/** Whether posting next would change more than heartbeat times. */
export function nodeStatusChanged(current: KObject | undefined, next: KObject): boolean {
  const strip = (s: KObject | undefined) => ({
    ...(s ?? {}),
    conditions: ((s?.["conditions"] ?? []) as KObject[])
      .map((c) => ({ type: c["type"], status: c["status"], reason: c["reason"], message: c["message"] }))
      .sort((a, b) => String(a.type).localeCompare(String(b.type))),
  });
  return JSON.stringify(canonical(strip(current))) !== JSON.stringify(canonical(strip(next)));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([k]) => k !== "images" && k !== "volumesInUse" && k !== "volumesAttached")
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  return v;
}

/** The node's Lease, owned by the Node. */
export function leaseObject(node: KObject, durationSeconds: number, nowMs: number): KObject {
  const name = node["metadata"]["name"];
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: node["metadata"]["uid"] }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTime(nowMs) },
  };
}

/** Registers the node, then keeps its Lease and status fresh. */
export class NodeAgent {
  readonly #s: KubeletSettings;
  readonly #ip: string;
  readonly #api: ApiClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: KubeletEvents;
  #node: KObject | undefined;
  #lease: KObject | undefined;
  #lastReport = 0;
  #timers: ClockTimer[] = [];
  #stopped = false;
  #leaseFailures = 0;

  constructor(o: {
    settings: KubeletSettings;
    ip: string;
    api: ApiClient;
    clock: Clock;
    log: Logger;
    events: KubeletEvents;
  }) {
    this.#s = o.settings;
    this.#ip = o.ip;
    this.#api = o.api;
    this.#clock = o.clock;
    this.#log = o.log;
    this.#events = o.events;
  }

  /** The Node as last written or read. */
  get node(): KObject | undefined {
    return this.#node;
  }

  /** Registers the Node (taking over an existing one), posts status, renews the Lease. */
  async register(): Promise<void> {
    const name = this.#s.nodeName;
    this.#events.node(name, "Normal", Reason.Starting, "Starting kubelet.");
    let previous: KObject | undefined;
    try {
      this.#node = await this.#api.create(
        R.nodes,
        undefined,
        nodeObject(this.#s, this.#ip, this.#clock.now()),
      );
      this.#log.info("node registered", { node: name });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      const existing = await this.#api.get(R.nodes, undefined, name);
      if (!existing) throw err;
      previous = existing["status"];
      const cidr = podCIDR(this.#s);
      const patch: KObject = { metadata: { labels: nodeLabels(this.#s) } };
      if (!existing["spec"]?.["podCIDR"]) patch["spec"] = { podCIDR: cidr, podCIDRs: [cidr] };
      else if (existing["spec"]["podCIDR"] !== cidr)
        this.#log.warn("existing node has another pod CIDR; keeping it", {
          podCIDR: existing["spec"]["podCIDR"],
        });
      this.#node = await this.#api.patch(R.nodes, undefined, name, patch);
      this.#log.info("node taken over", { node: name });
    }
    for (const [type, , reason] of CONDITIONS) {
      if (type === "Ready") continue;
      this.#events.node(
        name,
        "Normal",
        reason.replace("Kubelet", "Node"),
        `Node ${name} status is now: ${reason.replace("Kubelet", "Node")}`,
      );
    }
    this.#events.node(
      name,
      "Normal",
      Reason.NodeAllocatableEnforced,
      "Updated Node Allocatable limit across pods",
    );
    await this.#postStatus(previous ?? this.#node?.["status"], true);
    await this.#renewLease();
  }

  /** The pod CIDR the node has (its spec, which may predate these settings). */
  get podCIDR(): string {
    return this.#node?.["spec"]?.["podCIDR"] ?? podCIDR(this.#s);
  }

  /** Starts the Lease and status loops. */
  start(): void {
    this.#loop(this.#s.nodeLeaseRenewIntervalSeconds * 1000, () => this.#renewLease());
    this.#loop(this.#s.nodeStatusUpdateFrequencySeconds * 1000, () => this.#syncStatus());
  }

  /** Stops the loops (the Node and Lease stay, as when a kubelet dies). */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
  }

  #loop(everyMs: number, fn: () => Promise<void>): void {
    const tick = () => {
      if (this.#stopped) return;
      void fn()
        .catch((err) => this.#log.warn("node heartbeat failed", { err: String(err) }))
        .finally(() => {
          if (this.#stopped) return;
          const t = this.#clock.setTimeout(() => {
            this.#timers = this.#timers.filter((x) => x !== t);
            tick();
          }, everyMs);
          this.#timers.push(t);
        });
    };
    const t = this.#clock.setTimeout(tick, everyMs);
    this.#timers.push(t);
  }

  async #syncStatus(): Promise<void> {
    const current = await this.#api.get(R.nodes, undefined, this.#s.nodeName);
    if (!current) {
      // Someone deleted the Node: register again, as the kubelet does.
      this.#log.warn("node object gone; registering again");
      this.#lease = undefined;
      await this.register();
      return;
    }
    this.#node = current;
    await this.#postStatus(current["status"], false);
  }

  async #postStatus(current: KObject | undefined, force: boolean): Promise<void> {
    const now = this.#clock.now();
    const next = nodeStatus(this.#s, this.#ip, current, now);
    const due = now - this.#lastReport >= this.#s.nodeStatusReportFrequencySeconds * 1000;
    if (!force && !due && !nodeStatusChanged(current, next)) return;
    this.#node = await this.#api.patch(
      R.nodes,
      undefined,
      this.#s.nodeName,
      { status: next },
      { subresource: "status" },
    );
    this.#lastReport = now;
    const wasReady = ((current?.["conditions"] ?? []) as KObject[]).find((c) => c["type"] === "Ready")?.[
      "status"
    ];
    if (wasReady !== "True")
      this.#events.node(
        this.#s.nodeName,
        "Normal",
        Reason.NodeReady,
        `Node ${this.#s.nodeName} status is now: NodeReady`,
      );
  }

  async #renewLease(): Promise<void> {
    const now = this.#clock.now();
    try {
      if (!this.#lease) {
        const got = await this.#api.get(R.leases, NODE_LEASE_NAMESPACE, this.#s.nodeName);
        if (!got) {
          if (!this.#node) throw new Error("node not registered");
          this.#lease = await this.#api.create(
            R.leases,
            NODE_LEASE_NAMESPACE,
            leaseObject(this.#node, this.#s.nodeLeaseDurationSeconds, now),
          );
          this.#leaseFailures = 0;
          return;
        }
        this.#lease = got;
      }
      const next: KObject = structuredClone(this.#lease);
      next["spec"] = {
        ...next["spec"],
        holderIdentity: this.#s.nodeName,
        leaseDurationSeconds: this.#s.nodeLeaseDurationSeconds,
        renewTime: microTime(now),
      };
      this.#lease = await this.#api.update(R.leases, NODE_LEASE_NAMESPACE, next);
      this.#leaseFailures = 0;
    } catch (err) {
      // A conflict or a deleted Lease: read it again next time.
      this.#lease = undefined;
      if (++this.#leaseFailures <= 1 && err instanceof ApiError && (err.code === 409 || err.code === 404))
        return this.#renewLease();
      throw err;
    }
  }
}
