/**
 * The change tracker: what informer handlers record between two syncs (kube-proxy's
 * ServiceChangeTracker and EndpointsChangeTracker, reduced to what a full recompute needs).
 * Handlers call record*, which says whether the change matters; the sync checks the changes
 * out. Counts feed the sync_proxy_rules_{service,endpoint}_changes_{total,pending} metrics and
 * trigger times feed network_programming_duration_seconds.
 *
 * Limitations vs Kubernetes:
 * - A Service change matters when the rules it alone produces differ (the ports, IPs and
 *   policies kube-proxy reads); pending counts Services with a net change, as upstream does.
 * - Every update of an IPv4 EndpointSlice of a Service is a change (upstream compares the
 *   whole slice object too, so any new resourceVersion counts).
 */
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { NodeInfo, ProxyConfig } from "./types.ts";
import { computeRules, LABEL_SERVICE_NAME } from "./rules/compute.ts";

/** endpoints.kubernetes.io/last-change-trigger-time: when the change behind an Endpoints/EndpointSlice write happened. */
export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** What a sync takes out of the tracker. */
export interface CheckedOutChanges {
  /** Services with a net change since the last checkout. */
  services: number;
  /** EndpointSlice changes since the last checkout. */
  endpointSlices: number;
  /** Trigger times (epoch ms) of the slice changes this sync will apply, for network programming latency. */
  triggerTimes: number[];
}

/** Counter hooks, so that the metrics follow every recorded change. */
export interface ChangeCounters {
  serviceChange(pendingServices: number): void;
  endpointSliceChange(pendingEndpointSlices: number): void;
}

/** Records Service and EndpointSlice changes between syncs. */
export class ChangeTracker {
  readonly #node: () => NodeInfo;
  readonly #config: ProxyConfig;
  readonly #startedAt: number;
  readonly #counters: ChangeCounters | undefined;
  /** Service key -> what its rules were at the last checkout, while it has a pending change. */
  readonly #services = new Map<string, { previous: string; current: string }>();
  #endpointSlices = 0;
  /** Service key -> trigger times of its pending slice changes. */
  #triggerTimes = new Map<string, number[]>();

  /**
   * @param node the node rules are computed for (read at each change)
   * @param startedAt trigger times before this (epoch ms) are ignored, as kube-proxy ignores
   *   changes from before it started
   */
  constructor(node: () => NodeInfo, config: ProxyConfig, startedAt: number, counters?: ChangeCounters) {
    this.#node = node;
    this.#config = config;
    this.#startedAt = startedAt;
    this.#counters = counters;
  }

  /** The rules a Service alone produces: the part of it kube-proxy reads. */
  #view(svc: V1Service | undefined): string {
    if (!svc) return "[]";
    return JSON.stringify(computeRules([svc], [], this.#node(), this.#config).rules);
  }

  /** Records a Service add (previous undefined), update, or delete (current undefined); true if it matters. */
  recordService(previous: V1Service | undefined, current: V1Service | undefined): boolean {
    const svc = current ?? previous;
    if (!svc?.metadata?.name) return false;
    const key = `${svc.metadata.namespace ?? ""}/${svc.metadata.name}`;
    let change = this.#services.get(key);
    if (!change) {
      change = { previous: this.#view(previous), current: "" };
      this.#services.set(key, change);
    }
    change.current = this.#view(current);
    if (change.current === change.previous) this.#services.delete(key);
    this.#counters?.serviceChange(this.#services.size);
    return this.#services.has(key);
  }

  /** Records an EndpointSlice add, update or delete (removed); true if it matters. */
  recordEndpointSlice(slice: V1EndpointSlice, removed: boolean): boolean {
    const service = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (slice.addressType !== "IPv4" || !service || !slice.metadata?.name) return false;
    const key = `${slice.metadata.namespace ?? ""}/${service}`;
    this.#endpointSlices++;
    if (removed) {
      // The annotation of a deleted slice tells when it was last written, not when it went.
      this.#triggerTimes.delete(key);
    } else {
      const raw = slice.metadata.annotations?.[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
      const t = raw ? Date.parse(raw) : NaN;
      if (Number.isFinite(t) && t > this.#startedAt)
        this.#triggerTimes.set(key, [...(this.#triggerTimes.get(key) ?? []), t]);
    }
    this.#counters?.endpointSliceChange(this.#endpointSlices);
    return true;
  }

  /** Services with a pending net change. */
  get pendingServices(): number {
    return this.#services.size;
  }

  /** EndpointSlice changes not yet checked out. */
  get pendingEndpointSlices(): number {
    return this.#endpointSlices;
  }

  /** Takes the pending changes for a sync that is starting. */
  checkout(): CheckedOutChanges {
    const out: CheckedOutChanges = {
      services: this.#services.size,
      endpointSlices: this.#endpointSlices,
      triggerTimes: [...this.#triggerTimes.values()].flat().sort((a, b) => a - b),
    };
    this.#services.clear();
    this.#endpointSlices = 0;
    this.#triggerTimes = new Map();
    return out;
  }
}
