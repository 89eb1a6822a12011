/**
 * kube-proxy's Prometheus metrics under their upstream names (pkg/proxy/metrics, as of
 * Kubernetes 1.32), one Registry per node so that many emulated nodes can share a process and
 * each serves its own /metrics on port 10249.
 *
 * Limitations vs Kubernetes:
 * - No process_* or go_* metrics, and none about iptables rule counts, conntrack or nfacct.
 * - A failed dataPlane.apply counts as sync_proxy_rules_iptables_restore_failures_total
 *   (iptables, ipvs) or sync_proxy_rules_nftables_sync_failures_total (nftables).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProxyMode, RuleSet } from "./types.ts";

function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + width * i);
}

/** network_programming_duration_seconds' buckets: upstream's merge() also keeps a leading 0. */
const NETWORK_PROGRAMMING_BUCKETS = [
  0,
  ...linearBuckets(0.25, 0.25, 2),
  ...linearBuckets(1, 1, 59),
  ...linearBuckets(60, 5, 12),
  ...linearBuckets(120, 30, 7),
];

const SYNC_BUCKETS = exponentialBuckets(0.001, 2, 15);

/** The metrics of one node's kube-proxy. */
export class ProxyMetrics {
  /** The node's own registry, served on its /metrics. */
  readonly registry = new Registry();
  readonly syncProxyRulesDuration: Histogram;
  /** iptables mode only, as upstream registers it. */
  readonly syncFullProxyRulesDuration: Histogram | undefined;
  /** iptables mode only, as upstream registers it. */
  readonly syncPartialProxyRulesDuration: Histogram | undefined;
  readonly syncProxyRulesLastTimestamp: Gauge;
  readonly syncProxyRulesLastQueuedTimestamp: Gauge;
  readonly networkProgrammingDuration: Histogram;
  readonly endpointChangesPending: Gauge;
  readonly endpointChangesTotal: Counter;
  readonly serviceChangesPending: Gauge;
  readonly serviceChangesTotal: Counter;
  readonly noLocalEndpointsTotal: Gauge<"traffic_policy">;
  readonly syncFailuresTotal: Counter;
  readonly proxyHealthzTotal: Counter<"code">;
  readonly proxyLivezTotal: Counter<"code">;

  constructor(mode: ProxyMode) {
    const registers = [this.registry];
    this.syncProxyRulesDuration = new Histogram({
      name: "kubeproxy_sync_proxy_rules_duration_seconds",
      help: "SyncProxyRules latency in seconds",
      buckets: SYNC_BUCKETS,
      registers,
    });
    if (mode === "iptables") {
      this.syncFullProxyRulesDuration = new Histogram({
        name: "kubeproxy_sync_full_proxy_rules_duration_seconds",
        help: "SyncProxyRules latency in seconds for full resyncs",
        buckets: SYNC_BUCKETS,
        registers,
      });
      this.syncPartialProxyRulesDuration = new Histogram({
        name: "kubeproxy_sync_partial_proxy_rules_duration_seconds",
        help: "SyncProxyRules latency in seconds for partial resyncs",
        buckets: SYNC_BUCKETS,
        registers,
      });
    }
    this.syncProxyRulesLastTimestamp = new Gauge({
      name: "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
      help: "The last time proxy rules were successfully synced",
      registers,
    });
    this.syncProxyRulesLastQueuedTimestamp = new Gauge({
      name: "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
      help: "The last time a sync of proxy rules was queued",
      registers,
    });
    this.networkProgrammingDuration = new Histogram({
      name: "kubeproxy_network_programming_duration_seconds",
      help: "In Cluster Network Programming Latency in seconds",
      buckets: NETWORK_PROGRAMMING_BUCKETS,
      registers,
    });
    this.endpointChangesPending = new Gauge({
      name: "kubeproxy_sync_proxy_rules_endpoint_changes_pending",
      help: "Pending proxy rules Endpoint changes",
      registers,
    });
    this.endpointChangesTotal = new Counter({
      name: "kubeproxy_sync_proxy_rules_endpoint_changes_total",
      help: "Cumulative proxy rules Endpoint changes",
      registers,
    });
    this.serviceChangesPending = new Gauge({
      name: "kubeproxy_sync_proxy_rules_service_changes_pending",
      help: "Pending proxy rules Service changes",
      registers,
    });
    this.serviceChangesTotal = new Counter({
      name: "kubeproxy_sync_proxy_rules_service_changes_total",
      help: "Cumulative proxy rules Service changes",
      registers,
    });
    this.noLocalEndpointsTotal = new Gauge({
      name: "kubeproxy_sync_proxy_rules_no_local_endpoints_total",
      help: "Number of services with a Local traffic policy and no endpoints",
      labelNames: ["traffic_policy"],
      registers,
    });
    this.syncFailuresTotal =
      mode === "nftables"
        ? new Counter({
            name: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
            help: "Cumulative proxy nftables sync failures",
            registers,
          })
        : new Counter({
            name: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
            help: "Cumulative proxy iptables restore failures",
            registers,
          });
    this.proxyHealthzTotal = new Counter({
      name: "kubeproxy_proxy_healthz_total",
      help: "Cumulative proxy healthz HTTP status",
      labelNames: ["code"],
      registers,
    });
    this.proxyLivezTotal = new Counter({
      name: "kubeproxy_proxy_livez_total",
      help: "Cumulative proxy livez HTTP status",
      labelNames: ["code"],
      registers,
    });
  }

  /** Records a successful sync that started and finished at these epoch ms, and what it applied. */
  observeSync(
    full: boolean,
    startedAt: number,
    finishedAt: number,
    rules: RuleSet,
    triggerTimes: number[],
  ): void {
    const seconds = (finishedAt - startedAt) / 1000;
    this.syncProxyRulesDuration.observe(seconds);
    (full ? this.syncFullProxyRulesDuration : this.syncPartialProxyRulesDuration)?.observe(seconds);
    this.syncProxyRulesLastTimestamp.set(finishedAt / 1000);
    for (const t of triggerTimes)
      this.networkProgrammingDuration.observe(Math.max(0, (finishedAt - t) / 1000));
    let internal = 0;
    let external = 0;
    for (const r of rules.rules) {
      if (!r.hasEndpoints) continue;
      if (r.internalPolicyLocal && r.clusterEndpoints.length === 0) internal++;
      if (r.externalPolicyLocal && r.clusterPolicyEndpoints && r.externalEndpoints.length === 0) external++;
    }
    this.noLocalEndpointsTotal.set({ traffic_policy: "internal" }, internal);
    this.noLocalEndpointsTotal.set({ traffic_policy: "external" }, external);
  }
}
