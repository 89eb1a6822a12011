import { afterEach, describe, expect, it } from "vitest";
import { nullLogger } from "@kemu/common";
import { ProxyHealth, formatGoTime, nodeEligible } from "./healthz.ts";
import { close, healthzHandler, listen, metricsHandler, type Listening } from "./http.ts";
import { ProxyMetrics } from "./metrics.ts";
import { computeRules } from "./rules/compute.ts";
import { NODE_1, TEST_CONFIG, endpoint, makeEndpointSlice, makeService } from "./rules/fixtures.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const SYNC_PERIOD = 30_000;

function clock() {
  const c = { t: T0, now: () => c.t };
  return c;
}

describe("healthz: health rules", () => {
  it("healthz: healthy while starting and while nothing is queued, however old the last sync", () => {
    const c = clock();
    const h = new ProxyHealth(c.now, 2 * SYNC_PERIOD);
    expect(h.healthz().healthy).toBe(true);
    h.updated();
    c.t += 10 * 60_000;
    expect(h.healthz()).toEqual({ healthy: true, lastUpdated: c.t, currentTime: c.t, nodeEligible: true });
  });

  it("healthz: a queued update not synced within 2 x syncPeriod makes it unhealthy until a sync succeeds", () => {
    const c = clock();
    const h = new ProxyHealth(c.now, 2 * SYNC_PERIOD);
    h.updated();
    c.t += 5_000;
    h.queuedUpdate();
    c.t += 59_999;
    expect(h.healthz().healthy).toBe(true);
    h.queuedUpdate(); // a later change does not move the oldest one
    c.t += 1;
    expect(h.healthz()).toEqual({ healthy: false, lastUpdated: T0, currentTime: c.t, nodeEligible: true });
    expect(h.livez().healthy).toBe(false);
    h.updated();
    expect(h.healthz().healthy).toBe(true);
  });

  it("healthz: a node being deleted or tainted for deletion is not eligible; /livez ignores that", () => {
    const c = clock();
    const h = new ProxyHealth(c.now, 2 * SYNC_PERIOD);
    h.updated();
    expect(nodeEligible({ metadata: {}, spec: {} })).toBe(true);
    expect(nodeEligible({ metadata: { deletionTimestamp: "2026-01-01T00:00:00Z" } })).toBe(false);
    expect(nodeEligible({ spec: { taints: [{ key: "ToBeDeletedByClusterAutoscaler" }] } })).toBe(false);
    expect(nodeEligible(undefined)).toBe(false);
    h.setNodeEligible(false);
    expect(h.healthz()).toMatchObject({ healthy: false, nodeEligible: false });
    expect(h.livez().healthy).toBe(true);
  });

  it("healthz: times print like Go's time.Time with its monotonic reading", () => {
    expect(formatGoTime(Date.parse("2026-05-03T10:33:25.637Z"), 1_073_421.4)).toBe(
      "2026-05-03 10:33:25.637 +0000 UTC m=+1073.421400000",
    );
    expect(formatGoTime(Date.parse("2026-05-03T10:33:25.500Z"), 0)).toBe(
      "2026-05-03 10:33:25.5 +0000 UTC m=+0.000000000",
    );
    expect(formatGoTime(Date.parse("2026-05-03T10:33:25Z"), 1)).toBe(
      "2026-05-03 10:33:25 +0000 UTC m=+0.001000000",
    );
  });
});

describe("healthz: HTTP servers", () => {
  const servers: Listening[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => close(s)));
  });

  it("healthz: /healthz and /livez answer upstream's JSON, 200 or 503, and count in proxy_healthz_total", async () => {
    const c = clock();
    const h = new ProxyHealth(c.now, 2 * SYNC_PERIOD);
    const m = new ProxyMetrics("iptables");
    h.updated();
    const s = await listen(healthzHandler(h, m), "127.0.0.1", 0);
    servers.push(s);
    const base = `http://${s.address.host}:${s.address.port}`;
    c.t += 1_500;
    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(
      '{"lastUpdated": "2026-01-01 00:00:01.5 +0000 UTC m=+1.500000000",' +
        '"currentTime": "2026-01-01 00:00:01.5 +0000 UTC m=+1.500000000", "nodeEligible": true}',
    );
    h.queuedUpdate();
    c.t += 60_000;
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      lastUpdated: "2026-01-01 00:00:00 +0000 UTC m=+0.000000000",
      currentTime: "2026-01-01 00:01:01.5 +0000 UTC m=+61.500000000",
      nodeEligible: true,
    });
    res = await fetch(`${base}/livez`);
    expect(res.status).toBe(503);
    expect(Object.keys((await res.json()) as object)).toEqual(["lastUpdated", "currentTime"]);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const text = await m.registry.metrics();
    expect(text).toContain('kubeproxy_proxy_healthz_total{code="200"} 1');
    expect(text).toContain('kubeproxy_proxy_healthz_total{code="503"} 1');
    expect(text).toContain('kubeproxy_proxy_livez_total{code="503"} 1');
  });

  it("healthz: the metrics server serves /metrics, /healthz and /proxyMode", async () => {
    const m = new ProxyMetrics("ipvs");
    const s = await listen(metricsHandler(m, "ipvs", nullLogger), "127.0.0.1", 0);
    servers.push(s);
    const base = `http://${s.address.host}:${s.address.port}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain("# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram");
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
    expect(await (await fetch(`${base}/proxyMode`)).text()).toBe("ipvs");
    expect((await fetch(`${base}/configz`)).status).toBe(404);
  });

  it("healthz: listening on a port in use fails", async () => {
    const m = new ProxyMetrics("iptables");
    const s = await listen(metricsHandler(m, "iptables", nullLogger), "127.0.0.1", 0);
    servers.push(s);
    await expect(
      listen(metricsHandler(m, "iptables", nullLogger), "127.0.0.1", s.address.port),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("metrics: names and observations", () => {
  it("metrics: iptables mode registers upstream's names, with full and partial sync histograms", async () => {
    const names = (await new ProxyMetrics("iptables").registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      "kubeproxy_network_programming_duration_seconds",
      "kubeproxy_proxy_healthz_total",
      "kubeproxy_proxy_livez_total",
      "kubeproxy_sync_full_proxy_rules_duration_seconds",
      "kubeproxy_sync_partial_proxy_rules_duration_seconds",
      "kubeproxy_sync_proxy_rules_duration_seconds",
      "kubeproxy_sync_proxy_rules_endpoint_changes_pending",
      "kubeproxy_sync_proxy_rules_endpoint_changes_total",
      "kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
      "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
      "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
      "kubeproxy_sync_proxy_rules_no_local_endpoints_total",
      "kubeproxy_sync_proxy_rules_service_changes_pending",
      "kubeproxy_sync_proxy_rules_service_changes_total",
    ]);
    const nft = (await new ProxyMetrics("nftables").registry.getMetricsAsJSON()).map((m) => m.name);
    expect(nft).toContain("kubeproxy_sync_proxy_rules_nftables_sync_failures_total");
    expect(nft).not.toContain("kubeproxy_sync_full_proxy_rules_duration_seconds");
  });

  it("metrics: a sync records its duration, time, network programming latency and Local services without local endpoints", async () => {
    const m = new ProxyMetrics("iptables");
    const svc = (name: string, mutate: (s: ReturnType<typeof makeService>) => void) =>
      makeService("ns1", name, (s) => {
        s.spec.clusterIP = "10.96.0.90";
        s.spec.ports = [{ name: "http", port: 80, nodePort: 30090 }];
        s.spec.type = "NodePort";
        mutate(s);
      });
    const slice = (name: string) =>
      makeEndpointSlice("ns1", name, 1, (s) => {
        s.ports = [{ name: "http", port: 8080, protocol: "TCP" }];
        s.endpoints = [endpoint("10.244.2.2", "node-2")];
      });
    const rules = computeRules(
      [
        svc("itp", (s) => (s.spec.internalTrafficPolicy = "Local")),
        svc("etp", (s) => (s.spec.externalTrafficPolicy = "Local")),
      ],
      [slice("itp"), slice("etp")],
      NODE_1,
      TEST_CONFIG,
    );
    m.observeSync(true, T0, T0 + 12, rules, [T0 - 1_700]);
    m.observeSync(false, T0 + 1_000, T0 + 1_003, rules, []);
    const text = await m.registry.metrics();
    expect(text).toContain("kubeproxy_sync_proxy_rules_duration_seconds_count 2");
    expect(text).toContain("kubeproxy_sync_full_proxy_rules_duration_seconds_count 1");
    expect(text).toContain("kubeproxy_sync_partial_proxy_rules_duration_seconds_count 1");
    expect(text).toContain(`kubeproxy_sync_proxy_rules_last_timestamp_seconds ${(T0 + 1_003) / 1000}`);
    expect(text).toContain('kubeproxy_network_programming_duration_seconds_bucket{le="1"} 0');
    expect(text).toContain('kubeproxy_network_programming_duration_seconds_bucket{le="2"} 1');
    expect(text).toContain(
      'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal"} 1',
    );
    expect(text).toContain(
      'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="external"} 1',
    );
  });
});
