/**
 * kube-proxy's health: the state behind /healthz and /livez on port 10256
 * (pkg/proxy/healthcheck ProxyHealthServer). A proxy is unhealthy when an update was queued
 * (a change arrived) and no sync has succeeded within healthTimeout (2 × syncPeriod) since;
 * /healthz is also unhealthy when the node is not eligible (deleted, or tainted
 * ToBeDeletedByClusterAutoscaler). Bodies are upstream's JSON, with Go's time formatting.
 *
 * Limitations vs Kubernetes: one IP family; the "m=+" monotonic reading counts from when the
 * KubeProxy started, not from process start.
 */

/** The taint the cluster autoscaler puts on a node it is about to delete. */
export const TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

/** What /healthz and /livez answer. */
export interface HealthCheck {
  healthy: boolean;
  /** Epoch ms: the last successful sync when unhealthy, the current time when healthy (as upstream). */
  lastUpdated: number;
  currentTime: number;
  nodeEligible: boolean;
}

/** The health state; event handlers and the sync actor update it, the HTTP handlers read it. */
export class ProxyHealth {
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #origin: number;
  #lastUpdated: number | undefined;
  #oldestQueued: number | undefined;
  #nodeEligible = true;

  /** @param healthTimeoutMs how long a queued update may wait for a sync (kube-proxy: 2 × syncPeriod). */
  constructor(now: () => number, healthTimeoutMs: number) {
    this.#now = now;
    this.#timeoutMs = healthTimeoutMs;
    this.#origin = now();
  }

  /** A change arrived that needs a sync (QueuedUpdate); the oldest unsynced one counts. */
  queuedUpdate(): void {
    this.#oldestQueued ??= this.#now();
  }

  /** Rules were synced successfully (Updated). */
  updated(): void {
    this.#oldestQueued = undefined;
    this.#lastUpdated = this.#now();
  }

  /** Records whether the node may receive traffic (SyncNode). */
  setNodeEligible(eligible: boolean): void {
    this.#nodeEligible = eligible;
  }

  /** Whether the proxier is healthy, ignoring the node (IsHealthy; what /livez reports). */
  #proxierHealthy(now: number): boolean {
    if (this.#lastUpdated === undefined || this.#oldestQueued === undefined) return true;
    return now - this.#oldestQueued < this.#timeoutMs;
  }

  /** The /livez answer. */
  livez(): HealthCheck {
    const now = this.#now();
    const healthy = this.#proxierHealthy(now);
    return {
      healthy,
      lastUpdated: healthy ? now : this.#lastUpdated!,
      currentTime: now,
      nodeEligible: this.#nodeEligible,
    };
  }

  /** The /healthz answer: the proxier's health and the node's eligibility. */
  healthz(): HealthCheck {
    const now = this.#now();
    const healthy = this.#proxierHealthy(now) && this.#nodeEligible;
    const lastUpdated = healthy ? now : (this.#lastUpdated ?? now);
    return { healthy, lastUpdated, currentTime: now, nodeEligible: this.#nodeEligible };
  }

  /** The time as Go prints a time.Time with its monotonic reading, as kube-proxy's bodies show it. */
  goTime(epochMs: number): string {
    return formatGoTime(epochMs, epochMs - this.#origin);
  }
}

/** Formats epoch ms like Go's time.Time.String() in UTC: "2026-01-02 15:04:05.123 +0000 UTC m=+1.500000000". */
export function formatGoTime(epochMs: number, monotonicMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2026-01-02T15:04:05.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} +0000 UTC`;
  return `${base} m=+${(Math.max(0, monotonicMs) / 1000).toFixed(9)}`;
}

/** kube-proxy's /healthz body. */
export function healthzBody(h: ProxyHealth, c: HealthCheck): string {
  return `{"lastUpdated": ${JSON.stringify(h.goTime(c.lastUpdated))},"currentTime": ${JSON.stringify(h.goTime(c.currentTime))}, "nodeEligible": ${c.nodeEligible}}`;
}

/** kube-proxy's /livez body. */
export function livezBody(h: ProxyHealth, c: HealthCheck): string {
  return `{"lastUpdated": ${JSON.stringify(h.goTime(c.lastUpdated))},"currentTime": ${JSON.stringify(h.goTime(c.currentTime))}}`;
}

/** Whether a Node object lets its kube-proxy report healthy: not being deleted, not marked for deletion. */
export function nodeEligible(
  node: { metadata?: { deletionTimestamp?: unknown }; spec?: { taints?: { key?: string }[] } } | undefined,
): boolean {
  if (!node) return false;
  if (node.metadata?.deletionTimestamp) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
}
