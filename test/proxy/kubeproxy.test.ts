/**
 * KubeProxy on the real path: a real nats-server and `kemu apiserver` child process, Services
 * and EndpointSlices written through the API over NATS (and kubectl for the patch), one
 * KubeProxy in this process with its own NATS connection and a recording fake data plane.
 * Checks the applied RuleSets, /healthz, /metrics, the NATS status subjects, and what a
 * nats-server crash and restart do (rules kept and marked stale, then a resync).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, R, type KObject } from "@kemu/controllers";
import type { Protocol, SocketAddress } from "@kemu/fabric";
import { connectNats, type NatsConnection, type Subscription } from "@kemu/nats";
import {
  KubeProxy,
  dumpRules,
  proxyStatusRequestSubject,
  proxyStatusSubject,
  traceFlow,
  type DataPlane,
  type DataPlaneStats,
  type FlowSource,
  type KubeProxyStatus,
  type RuleSet,
} from "@kemu/proxy";
import { TestCluster, eventually, uniqueNamespace } from "../harness.ts";
import { TestClient } from "../fakes.ts";

/** A data plane that only records what it is asked to apply. */
class RecordingDataPlane implements DataPlane {
  readonly applied: RuleSet[] = [];
  closed = false;
  async apply(rules: RuleSet): Promise<void> {
    this.applied.push(rules);
  }
  async connect(
    _src: FlowSource,
    _dstIP: string,
    _dstPort: number,
    _proto: Protocol,
  ): Promise<SocketAddress & { sourceIP: string }> {
    throw new Error("the recording data plane does not carry traffic");
  }
  stats(): DataPlaneStats {
    return { connections: {}, rejected: 0, dropped: 0 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  get last(): RuleSet | undefined {
    return this.applied.at(-1);
  }
}

const NODE = { name: "node-1", ip: "127.0.0.1" };

let c: TestCluster;
let tc: TestClient;
let proxyNc: NatsConnection;
let kp: KubeProxy;
let statusSub: Subscription;
const published: KubeProxyStatus[] = [];
const dp = new RecordingDataPlane();
const ns = uniqueNamespace("kube-proxy");

beforeAll(async () => {
  c = await TestCluster.start();
  tc = await TestClient.connect(c);
  await tc.api.create(R.namespaces, undefined, { metadata: { name: ns } });
  statusSub = tc.nc.subscribe(proxyStatusSubject(NODE.name), {
    callback: (err, msg) => {
      if (!err) published.push(JSON.parse(msg.string()) as KubeProxyStatus);
    },
  });
  await tc.nc.flush();
  proxyNc = await connectNats({
    url: c.nats.url,
    name: "node-1/kube-proxy",
    log: c.log.logger("node-1/nats"),
  });
  kp = new KubeProxy({
    log: c.log.logger("node-1/proxy"),
    dataPlane: dp,
    api: new ApiClient(proxyNc, 5_000),
    node: NODE,
    config: {
      mode: "iptables",
      ipvsScheduler: "rr",
      clusterCIDR: "10.244.0.0/16",
      minSyncPeriodMs: 1_000,
      syncPeriodMs: 30_000,
    },
    bindAddress: "127.0.0.1",
    healthzPort: 0,
    metricsPort: 0,
  });
  await kp.start();
});

afterAll(async () => {
  await kp?.stop();
  statusSub?.unsubscribe();
  await proxyNc?.close();
  await tc?.close();
  await c?.stop();
});

/** The applied rules of this suite's namespace, as a dump. */
function nsDump(rules: RuleSet | undefined): string {
  if (!rules) return "";
  return dumpRules({ ...rules, rules: rules.rules.filter((r) => r.namespace === ns) });
}

function service(name: string, spec: KObject): KObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name }, spec };
}

function slice(name: string, svc: string, port: number, endpoints: KObject[]): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      labels: { "kubernetes.io/service-name": svc },
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": new Date().toISOString() },
    },
    addressType: "IPv4",
    ports: [{ name: "", port, protocol: "TCP" }],
    endpoints,
  };
}

function ep(ip: string, node: string, pod: string): KObject {
  return {
    addresses: [ip],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: node,
    targetRef: { kind: "Pod", namespace: ns, name: pod },
  };
}

const NGINX = [
  ep("10.244.1.2", "node-1", "nginx-linuxea-a"),
  ep("10.244.2.2", "node-2", "nginx-linuxea-b"),
  ep("10.244.3.2", "node-3", "nginx-linuxea-c"),
];

async function metricsText(): Promise<string> {
  const a = kp.metricsAddress;
  return (await fetch(`http://${a.host}:${a.port}/metrics`)).text();
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("kube-proxy: on a real cluster", () => {
  it("kube-proxy: the initial lists become one full sync of the cluster's services", async () => {
    await eventually(async () => kp.status().state === "synced", { what: "the initial sync" });
    const first = dp.applied[0]!;
    expect(first.node).toEqual(NODE);
    expect(first.rules.map((r) => r.id)).toContain("default/kubernetes:https");
    expect(kp.status()).toMatchObject({ node: "node-1", mode: "iptables", connected: true, stale: false });
    expect(kp.status().fullSyncs).toBeGreaterThanOrEqual(1);
  });

  it("kube-proxy: the walkthrough's services and endpoint slices become rules (headless not proxied)", async () => {
    await tc.api.create(
      R.services,
      ns,
      service("redis", {
        clusterIP: "10.96.65.65",
        selector: { app: "redis", role: "Logstorage" },
        ports: [{ port: 6379, targetPort: 6379 }],
      }),
    );
    await tc.api.create(
      R.services,
      ns,
      service("linuxea", {
        type: "NodePort",
        clusterIP: "10.96.66.66",
        selector: { app: "nginx", release: "www" },
        ports: [{ port: 80, targetPort: 80, nodePort: 31180 }],
      }),
    );
    await tc.api.create(
      R.services,
      ns,
      service("none-linuxea", {
        clusterIP: "None",
        selector: { app: "nginx", release: "www" },
        ports: [{ port: 80, targetPort: 80 }],
      }),
    );
    await tc.api.create(
      R.endpointslices,
      ns,
      slice("redis-abcde", "redis", 6379, [ep("10.244.2.3", "node-2", "redis-x")]),
    );
    await tc.api.create(R.endpointslices, ns, slice("linuxea-abcde", "linuxea", 80, NGINX));
    await tc.api.create(R.endpointslices, ns, slice("none-linuxea-abcde", "none-linuxea", 80, NGINX));

    const want = [
      `# node node-1 ip=127.0.0.1 mode=iptables`,
      `${ns}/linuxea: TCP 10.96.66.66:80 nodePort=31180`,
      `  policy: internal=Cluster external=Cluster hasEndpoints=true localReady=1`,
      `  cluster:`,
      `    10.244.1.2:80 ready local node=node-1 pod=${ns}/nginx-linuxea-a`,
      `    10.244.2.2:80 ready node=node-2 pod=${ns}/nginx-linuxea-b`,
      `    10.244.3.2:80 ready node=node-3 pod=${ns}/nginx-linuxea-c`,
      `  external:`,
      `    10.244.1.2:80 ready local node=node-1 pod=${ns}/nginx-linuxea-a`,
      `    10.244.2.2:80 ready node=node-2 pod=${ns}/nginx-linuxea-b`,
      `    10.244.3.2:80 ready node=node-3 pod=${ns}/nginx-linuxea-c`,
      `${ns}/redis: TCP 10.96.65.65:6379`,
      `  policy: internal=Cluster external=Cluster hasEndpoints=true localReady=0`,
      `  cluster:`,
      `    10.244.2.3:6379 ready node=node-2 pod=${ns}/redis-x`,
      ``,
    ].join("\n");
    await eventually(async () => nsDump(dp.last) === want, { what: "the walkthrough's rules" });
    expect(nsDump(kp.rules)).toBe(want);

    const outside: FlowSource = { ip: "192.0.2.7", port: 50000, origin: "external" };
    const v = traceFlow(dp.last!, outside, NODE.ip, 31180, "TCP");
    expect(v.kind === "forward" && v.candidates.map((e) => e.ip)).toEqual([
      "10.244.1.2",
      "10.244.2.2",
      "10.244.3.2",
    ]);
  });

  it("kube-proxy: kubectl patch to sessionAffinity ClientIP reaches the rules", async () => {
    await c.kubectlOk(["-n", ns, "patch", "svc", "linuxea", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await eventually(
      async () => dp.last?.rules.find((r) => r.id === `${ns}/linuxea:`)?.affinityTimeoutSeconds === 10_800,
      { what: "affinity in the rules" },
    );
  });

  it("kube-proxy: /healthz answers 200 with upstream's JSON", async () => {
    const a = kp.healthzAddress;
    const res = await fetch(`http://${a.host}:${a.port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["lastUpdated", "currentTime", "nodeEligible"]);
    expect(body["nodeEligible"]).toBe(true);
    expect(body["currentTime"]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
  });

  it("kube-proxy: /metrics has kube-proxy's metric names and counts every sync", async () => {
    await eventually(
      async () => {
        const before = kp.status().syncs;
        const text = await metricsText();
        if (kp.status().syncs !== before || kp.status().state !== "synced") return false;
        expect(metricValue(text, "kubeproxy_sync_proxy_rules_duration_seconds_count")).toBe(before);
        expect(metricValue(text, "kubeproxy_sync_proxy_rules_duration_seconds_count")).toBe(
          dp.applied.length,
        );
        const full = metricValue(text, "kubeproxy_sync_full_proxy_rules_duration_seconds_count")!;
        const partial = metricValue(text, "kubeproxy_sync_partial_proxy_rules_duration_seconds_count")!;
        expect(full + partial).toBe(before);
        expect(full).toBe(kp.status().fullSyncs);
        return true;
      },
      { what: "a quiet moment to compare counts" },
    );
    const text = await metricsText();
    for (const name of [
      "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
      "kubeproxy_sync_proxy_rules_endpoint_changes_pending",
      "kubeproxy_sync_proxy_rules_service_changes_pending",
    ]) {
      expect(metricValue(text, name), name).toBeDefined();
    }
    expect(metricValue(text, "kubeproxy_sync_proxy_rules_service_changes_total")).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, "kubeproxy_sync_proxy_rules_endpoint_changes_total")).toBeGreaterThanOrEqual(3);
    // The three slices carried a trigger time from after the proxy started.
    expect(metricValue(text, "kubeproxy_network_programming_duration_seconds_count")).toBeGreaterThanOrEqual(
      3,
    );
    expect(text).toContain('kubeproxy_proxy_healthz_total{code="200"} 1');
  });

  it("kube-proxy: the status is published on every change and answered on request", async () => {
    const msg = await tc.nc.request(proxyStatusRequestSubject(NODE.name), "", { timeout: 5_000 });
    const status = JSON.parse(msg.string()) as KubeProxyStatus;
    expect(status).toMatchObject({ node: "node-1", mode: "iptables", state: "synced", stale: false });
    expect(status.syncs).toBe(kp.status().syncs);
    const states = new Set(published.map((s) => s.state));
    expect(states).toContain("waitingForInitialList");
    expect(states).toContain("syncing");
    expect(states).toContain("synced");
    await eventually(async () => JSON.stringify(published.at(-1)) === JSON.stringify(kp.status()), {
      what: "the latest status to be published",
    });
  });

  it("kube-proxy: its Node's zone label reaches the rules, and a to-be-deleted taint makes /healthz 503", async () => {
    const a = kp.healthzAddress;
    const healthz = async () => {
      const res = await fetch(`http://${a.host}:${a.port}/healthz`);
      return { code: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await tc.api.create(R.nodes, undefined, {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: NODE.name, labels: { "topology.kubernetes.io/zone": "zone-a" } },
      spec: { taints: [{ key: "ToBeDeletedByClusterAutoscaler", value: "1", effect: "NoSchedule" }] },
    });
    await eventually(async () => dp.last?.node.zone === "zone-a", { what: "the zone in the rules" });
    await eventually(async () => (await healthz()).code === 503, { what: "an unhealthy /healthz" });
    expect((await healthz()).body["nodeEligible"]).toBe(false);
    await tc.api.patch(R.nodes, undefined, NODE.name, [{ op: "remove", path: "/spec/taints" }], {
      type: "json",
    });
    await eventually(async () => (await healthz()).code === 200, { what: "a healthy /healthz again" });
    expect((await healthz()).body["nodeEligible"]).toBe(true);
    // The node deleted: not eligible again (kube-proxy's OnNodeDelete).
    await tc.api.delete(R.nodes, undefined, NODE.name, { gracePeriodSeconds: 0 });
    await eventually(async () => (await healthz()).code === 503, { what: "/healthz after the node is gone" });
  });

  it("kube-proxy: nats-server crashing keeps the rules (stale); its restart resyncs and the watches resume", async () => {
    const applied = dp.applied.length;
    const syncs = kp.status().syncs;
    const served = nsDump(dp.last);
    await c.nats.stop("SIGKILL");
    await eventually(async () => kp.status().state === "disconnected", { what: "the disconnect" });
    expect(kp.status()).toMatchObject({ stale: true, connected: false });
    // Nothing was taken away from the data plane: it keeps serving the last rules.
    expect(dp.applied.length).toBe(applied);
    expect(nsDump(dp.last)).toBe(served);
    expect(dp.closed).toBe(false);

    await c.nats.start();
    await eventually(async () => kp.status().state === "synced" && !kp.status().stale, {
      what: "the resync after reconnecting",
      timeoutMs: 30_000,
    });
    expect(kp.status().connected).toBe(true);
    // Exactly one resync: nothing changed while the server was away.
    expect(kp.status().syncs).toBe(syncs + 1);
    expect(dp.applied.length).toBe(applied + 1);
    expect(nsDump(dp.last)).toBe(served);

    // The watches resumed: a change made after the restart reaches the rules.
    await eventually(
      async () => {
        try {
          await tc.api.create(
            R.endpointslices,
            ns,
            slice("redis-fghij", "redis", 6379, [ep("10.244.1.3", "node-1", "redis-y")]),
          );
        } catch (err) {
          // An earlier attempt may have been written before its reply was lost.
          if ((err as { code?: number }).code !== 409) throw err;
        }
        return true;
      },
      { what: "the API over NATS after the restart", timeoutMs: 30_000 },
    );
    await eventually(
      async () =>
        dp.last?.rules
          .find((r) => r.id === `${ns}/redis:`)
          ?.clusterEndpoints.map((e) => e.ip)
          .join(",") === "10.244.1.3,10.244.2.3",
      { what: "the new endpoint in the rules", timeoutMs: 30_000 },
    );
    const msg = await tc.nc.request(proxyStatusRequestSubject(NODE.name), "", { timeout: 5_000 });
    expect(JSON.parse(msg.string())).toMatchObject({ state: "synced", stale: false, connected: true });
  });
});
