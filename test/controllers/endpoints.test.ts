/**
 * The Endpoints controller on the real path: nats-server, `kemu apiserver` and `kemu
 * controller-manager` processes, pods bound directly to fake nodes and made Running/Ready by the
 * fake kubelet (or, on node-4, which no kubelet runs, given a status by the test), observed with
 * real kubectl and the API over NATS.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { TestCluster, fixture, uniqueNamespace, retrying } from "../harness.ts";
import { FakeKubelet, TestClient, createNode, renewLease } from "../fakes.ts";

let c: TestCluster;
let tc: TestClient;
let api: ApiClient;
let kubelet: FakeKubelet;
let heartbeat: NodeJS.Timeout;

/** node-1..3 are run by the fake kubelet; node-4 by nobody, so its pods keep the status tests give them. */
const KUBELET_NODES = { "node-1": 1, "node-2": 2, "node-3": 3 };
const NODES = { ...KUBELET_NODES, "node-4": 4 };

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  tc = await TestClient.connect(c);
  api = tc.api;
  for (const [name, index] of Object.entries(NODES)) await createNode(api, name, { index });
  // Keep the nodes' leases fresh so the node lifecycle controller leaves them (and their pods) alone.
  heartbeat = setInterval(() => {
    for (const name of Object.keys(NODES)) void renewLease(api, name).catch(() => {});
  }, 10_000);
  kubelet = await FakeKubelet.start(api, KUBELET_NODES);
});

afterAll(async () => {
  clearInterval(heartbeat);
  await kubelet?.stop();
  await tc?.close();
  await c?.stop();
});

const eventually = <T>(fn: () => Promise<T>, timeoutMs = 20_000) => retrying(fn, timeoutMs);

async function namespace(prefix: string): Promise<string> {
  const ns = uniqueNamespace(prefix);
  await api.create(R.namespaces, undefined, { metadata: { name: ns } });
  return ns;
}

/** Creates a pod bound to node (node-1 by default) with one container and its ports. */
async function createPod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  opts: { node?: string; ports?: KObject[]; mutate?: (p: KObject) => void } = {},
): Promise<KObject> {
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      nodeName: opts.node ?? "node-1",
      containers: [{ name: "app", image: "nginx:1.27", ports: opts.ports ?? [{ containerPort: 80 }] }],
    },
  };
  opts.mutate?.(pod);
  return api.create(R.pods, ns, pod);
}

/** Waits until the fake kubelet has made a pod Running and Ready; returns it. */
async function readyPod(ns: string, name: string): Promise<KObject> {
  return eventually(async () => {
    const p = await api.get(R.pods, ns, name);
    expect(p?.["status"]?.["podIP"]).toBeTruthy();
    expect(p!["status"]["conditions"]).toContainEqual(
      expect.objectContaining({ type: "Ready", status: "True" }),
    );
    return p!;
  });
}

/** RFC 3339 at second precision, as metav1.Time. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Sets a pod's Ready condition through the status subresource, as a kubelet does. */
async function setReady(ns: string, name: string, ready: boolean, at: string): Promise<void> {
  const status = ready ? "True" : "False";
  await api.patch(
    R.pods,
    ns,
    name,
    {
      status: {
        conditions: [
          { type: "Initialized", status: "True", lastTransitionTime: at },
          { type: "Ready", status, lastTransitionTime: at },
          { type: "ContainersReady", status, lastTransitionTime: at },
          { type: "PodScheduled", status: "True", lastTransitionTime: at },
        ],
      },
    },
    { subresource: "status" },
  );
}

/** Gives a pod on node-4 (no kubelet) a Running status with an IP. */
async function runManually(ns: string, name: string, ip: string, ready = true): Promise<void> {
  const at = rfc3339(new Date());
  await api.patch(
    R.pods,
    ns,
    name,
    { status: { phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP: "127.0.1.4", startTime: at } },
    { subresource: "status" },
  );
  await setReady(ns, name, ready, at);
}

async function createService(ns: string, svc: KObject): Promise<KObject> {
  return api.create(R.services, ns, { apiVersion: "v1", kind: "Service", ...svc });
}

/** The Endpoints object as { "<port name>/<port>": { ready: [...ips], notReady: [...ips] } }. */
function view(ep: KObject | undefined): Record<string, { ready: string[]; notReady: string[] }> {
  const out: Record<string, { ready: string[]; notReady: string[] }> = {};
  for (const ss of (ep?.["subsets"] ?? []) as KObject[]) {
    const ports = ((ss["ports"] ?? []) as KObject[]).map((p) => `${p["name"] ?? ""}/${p["port"]}`);
    for (const port of ports.length ? ports : ["-"]) {
      const v = (out[port] ??= { ready: [], notReady: [] });
      v.ready.push(...((ss["addresses"] ?? []) as KObject[]).map((a) => a["ip"]));
      v.notReady.push(...((ss["notReadyAddresses"] ?? []) as KObject[]).map((a) => a["ip"]));
    }
  }
  for (const v of Object.values(out)) {
    v.ready.sort();
    v.notReady.sort();
  }
  return out;
}

/** Waits until the Endpoints object reads as expected; returns it. */
async function endpointsEqual(ns: string, name: string, expected: ReturnType<typeof view>): Promise<KObject> {
  return eventually(async () => {
    const ep = await api.get(R.endpoints, ns, name);
    expect(ep).toBeDefined();
    expect(view(ep)).toEqual(expected);
    return ep!;
  });
}

/** The `Endpoints:` line of `kubectl describe svc`. */
async function describedEndpoints(ns: string, svc: string): Promise<{ text: string; line: string }> {
  const text = await c.kubectlOk(["describe", "svc", svc, "-n", ns]);
  const m = /^Endpoints:\s+(.*)$/m.exec(text);
  return { text, line: m?.[1] ?? "" };
}

/** A walkthrough manifest moved into a test namespace. */
async function walkthroughManifest(file: string, ns: string): Promise<string> {
  return (await readFile(fixture(file), "utf8")).replace(/namespace: default/g, `namespace: ${ns}`);
}

const ip = (p: KObject) => String(p["status"]["podIP"]);

describe("endpoints controller", () => {
  it("endpoints: walkthrough step 3, `kubectl describe svc redis` shows the redis pod's IP:6379", async () => {
    const ns = await namespace("ep-redis");
    await createPod(
      ns,
      "redis-7c4d8b9f6-x2k4p",
      { app: "redis", role: "Logstorage" },
      { ports: [{ name: "redis", containerPort: 6379 }] },
    );
    const pod = await readyPod(ns, "redis-7c4d8b9f6-x2k4p");
    const out = await c.kubectlOk(["apply", "-f", "-"], {
      input: await walkthroughManifest("svc-redis.yaml", ns),
    });
    expect(out).toBe("service/redis created\n");

    const { text } = await eventually(async () => {
      const d = await describedEndpoints(ns, "redis");
      expect(d.line).toBe(`${ip(pod)}:6379`);
      return d;
    });
    expect(text).toMatch(/^Selector:\s+app=redis,role=Logstorage$/m);
    expect(text).toMatch(/^IP:\s+10\.96\.65\.65$/m);
    expect(text).toMatch(/^Port:\s+<unset>\s+6379\/TCP$/m);
    expect(text).toMatch(/^TargetPort:\s+6379\/TCP$/m);
    expect(text).toMatch(/^Session Affinity:\s+None$/m);

    const ep = await endpointsEqual(ns, "redis", { "/6379": { ready: [ip(pod)], notReady: [] } });
    expect(ep["subsets"]).toEqual([
      {
        addresses: [
          {
            ip: ip(pod),
            nodeName: "node-1",
            targetRef: {
              kind: "Pod",
              namespace: ns,
              name: "redis-7c4d8b9f6-x2k4p",
              uid: pod["metadata"]["uid"],
            },
          },
        ],
        ports: [{ port: 6379, protocol: "TCP" }],
      },
    ]);
    // No labels on the Service, none on its Endpoints; the trigger time is an RFC 3339 time.
    expect(ep["metadata"]["labels"]).toBeUndefined();
    expect(ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    );
    const get = await c.kubectlOk(["get", "endpoints", "redis", "-n", ns]);
    expect(get).toMatch(new RegExp(`^redis\\s+${ip(pod).replace(/\./g, "\\.")}:6379\\s+\\S+\\n$`, "m"));
  });

  it("endpoints: walkthrough step 7, `kubectl describe svc linuxea` lists all three nginx pods", async () => {
    const ns = await namespace("ep-linuxea");
    const pods: KObject[] = [];
    for (const [i, node] of ["node-1", "node-2", "node-3"].entries()) {
      await createPod(
        ns,
        `nginx-linuxea-${"abc"[i]}x7kq`,
        {
          app: "nginx",
          release: "www",
          "controller-revision-hash": "6c9b8d7f5b",
          "pod-template-generation": "1",
        },
        { node, ports: [{ name: "http", containerPort: 80 }] },
      );
    }
    for (const i of [0, 1, 2]) pods.push(await readyPod(ns, `nginx-linuxea-${"abc"[i]}x7kq`));
    await c.kubectlOk(["apply", "-f", "-"], { input: await walkthroughManifest("linuxea.yaml", ns) });
    const patched = await c.kubectlOk([
      "patch",
      "svc",
      "linuxea",
      "-n",
      ns,
      "-p",
      '{"spec":{"sessionAffinity":"ClientIP"}}',
    ]);
    expect(patched).toBe("service/linuxea patched\n");

    const want = pods.map((p) => `${ip(p)}:80`).sort();
    const { text } = await eventually(async () => {
      const d = await describedEndpoints(ns, "linuxea");
      expect(d.line.split(",").sort()).toEqual(want);
      return d;
    });
    expect(text).toMatch(/^Type:\s+NodePort$/m);
    expect(text).toMatch(/^NodePort:\s+<unset>\s+31180\/TCP$/m);
    expect(text).toMatch(/^Session Affinity:\s+ClientIP$/m);
    expect(text).toMatch(/^External Traffic Policy:\s+Cluster$/m);

    const ep = await endpointsEqual(ns, "linuxea", { "/80": { ready: pods.map(ip).sort(), notReady: [] } });
    expect(
      (ep["subsets"][0]["addresses"] as KObject[]).map((a) => [a["nodeName"], a["targetRef"]["name"]]).sort(),
    ).toEqual([
      ["node-1", "nginx-linuxea-ax7kq"],
      ["node-2", "nginx-linuxea-bx7kq"],
      ["node-3", "nginx-linuxea-cx7kq"],
    ]);
  });

  it("endpoints: named targetPorts are resolved per pod; multi-port Services group ports by pod set", async () => {
    const ns = await namespace("ep-ports");
    const labels = { app: "multi" };
    await createPod(ns, "std", labels, { ports: [{ name: "web", containerPort: 8080 }] });
    await createPod(ns, "alt", labels, { node: "node-2", ports: [{ name: "web", containerPort: 8081 }] });
    // No port named "web" here (and the UDP one does not match a TCP Service port).
    await createPod(ns, "other", labels, {
      node: "node-3",
      ports: [{ name: "web", containerPort: 8082, protocol: "UDP" }],
    });
    const [std, alt, other] = [
      await readyPod(ns, "std"),
      await readyPod(ns, "alt"),
      await readyPod(ns, "other"),
    ];
    await createService(ns, {
      metadata: { name: "multi", labels: { tier: "backend" } },
      spec: {
        selector: labels,
        ports: [
          { name: "http", port: 80, targetPort: "web" },
          { name: "metrics", port: 9100, targetPort: 9100 },
        ],
      },
    });
    const ep = await endpointsEqual(ns, "multi", {
      "http/8080": { ready: [ip(std!)], notReady: [] },
      "http/8081": { ready: [ip(alt!)], notReady: [] },
      "metrics/9100": { ready: [ip(std!), ip(alt!), ip(other!)].sort(), notReady: [] },
    });
    expect(ep["metadata"]["labels"]).toEqual({ tier: "backend" });
    for (const ss of ep["subsets"] as KObject[])
      for (const p of ss["ports"]) expect(p["protocol"]).toBe("TCP");
  });

  it("endpoints: readiness flips move a pod between addresses and notReadyAddresses, with the trigger time", async () => {
    const ns = await namespace("ep-ready");
    for (const n of ["a", "b"]) await createPod(ns, n, { app: "flip" });
    const [a, b] = [await readyPod(ns, "a"), await readyPod(ns, "b")];
    await createService(ns, {
      metadata: { name: "flip" },
      spec: { selector: { app: "flip" }, ports: [{ port: 80 }] },
    });
    await endpointsEqual(ns, "flip", { "/80": { ready: [ip(a), ip(b)].sort(), notReady: [] } });

    const down = rfc3339(new Date(Date.now() + 1000));
    await setReady(ns, "b", false, down);
    const ep = await endpointsEqual(ns, "flip", { "/80": { ready: [ip(a)], notReady: [ip(b)] } });
    expect(ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]).toBe(down);
    const d = await describedEndpoints(ns, "flip");
    expect(d.line).toBe(`${ip(a)}:80`);

    const up = rfc3339(new Date(Date.now() + 2000));
    await setReady(ns, "b", true, up);
    const back = await endpointsEqual(ns, "flip", { "/80": { ready: [ip(a), ip(b)].sort(), notReady: [] } });
    expect(back["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]).toBe(up);

    // publishNotReadyAddresses lists unready pods as ready addresses.
    await setReady(ns, "b", false, rfc3339(new Date(Date.now() + 3000)));
    await endpointsEqual(ns, "flip", { "/80": { ready: [ip(a)], notReady: [ip(b)] } });
    await api.patch(R.services, ns, "flip", { spec: { publishNotReadyAddresses: true } });
    await endpointsEqual(ns, "flip", { "/80": { ready: [ip(a), ip(b)].sort(), notReady: [] } });
  });

  it("endpoints: a pod being deleted leaves at once (unless publishNotReadyAddresses); a deleted pod is gone", async () => {
    const ns = await namespace("ep-delete");
    const labels = { app: "del" };
    await createPod(ns, "kept", labels);
    await createPod(ns, "gone", labels, { node: "node-2" });
    await createPod(ns, "slow", labels, { node: "node-4" });
    await runManually(ns, "slow", "10.244.4.10");
    const [kept, gone] = [await readyPod(ns, "kept"), await readyPod(ns, "gone")];
    await createService(ns, { metadata: { name: "del" }, spec: { selector: labels, ports: [{ port: 80 }] } });
    await createService(ns, {
      metadata: { name: "del-all" },
      spec: { selector: labels, ports: [{ port: 80 }], publishNotReadyAddresses: true },
    });
    const all = [ip(kept), ip(gone), "10.244.4.10"].sort();
    await endpointsEqual(ns, "del", { "/80": { ready: all, notReady: [] } });
    await endpointsEqual(ns, "del-all", { "/80": { ready: all, notReady: [] } });

    // The fake kubelet finishes this deletion at once.
    await c.kubectlOk(["delete", "pod", "gone", "-n", ns, "--wait=false"]);
    // Nobody runs node-4: this pod stays Terminating for its grace period.
    await c.kubectlOk(["delete", "pod", "slow", "-n", ns, "--wait=false", "--grace-period=60"]);
    await endpointsEqual(ns, "del", { "/80": { ready: [ip(kept)], notReady: [] } });
    await endpointsEqual(ns, "del-all", { "/80": { ready: [ip(kept), "10.244.4.10"].sort(), notReady: [] } });
    const slow = await api.get(R.pods, ns, "slow");
    expect(slow?.["metadata"]["deletionTimestamp"]).toBeTruthy();
    await api.delete(R.pods, ns, "slow", { gracePeriodSeconds: 0 });
    await endpointsEqual(ns, "del-all", { "/80": { ready: [ip(kept)], notReady: [] } });
  });

  it("endpoints: a headless Service's Endpoints are labelled headless and carry pod hostnames", async () => {
    const ns = await namespace("ep-headless");
    const labels = { app: "db" };
    for (const n of ["db-0", "db-1"]) {
      await createPod(ns, n, labels, {
        mutate: (p) => {
          p["spec"]["hostname"] = n;
          p["spec"]["subdomain"] = "db";
        },
      });
    }
    const pods = [await readyPod(ns, "db-0"), await readyPod(ns, "db-1")];
    await createService(ns, {
      metadata: { name: "db", labels: { app: "db" } },
      spec: { clusterIP: "None", selector: labels, ports: [{ port: 5432 }] },
    });
    const ep = await endpointsEqual(ns, "db", { "/5432": { ready: pods.map(ip).sort(), notReady: [] } });
    expect(ep["metadata"]["labels"]).toEqual({ app: "db", "service.kubernetes.io/headless": "" });
    expect((ep["subsets"][0]["addresses"] as KObject[]).map((a) => [a["ip"], a["hostname"]]).sort()).toEqual(
      pods.map((p) => [ip(p), p["metadata"]["name"]]).sort(),
    );
    // A headless Service without ports still publishes its addresses.
    await createService(ns, {
      metadata: { name: "db-noports" },
      spec: { clusterIP: "None", selector: labels },
    });
    await endpointsEqual(ns, "db-noports", { "-": { ready: pods.map(ip).sort(), notReady: [] } });
  });

  it("endpoints: hand-made Endpoints of a Service without a selector are left alone", async () => {
    const ns = await namespace("ep-manual");
    await createService(ns, { metadata: { name: "external" }, spec: { ports: [{ port: 80 }] } });
    const manual = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "external", namespace: ns },
      subsets: [{ addresses: [{ ip: "192.0.2.10" }], ports: [{ port: 80 }] }],
    };
    await c.kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(manual) });
    const before = await api.get(R.endpoints, ns, "external");
    // Make the controller look at the Service again, then wait for a later Service's Endpoints:
    // the selector-less one has been synced by then.
    await api.patch(R.services, ns, "external", { metadata: { labels: { touched: "yes" } } });
    await createPod(ns, "marker", { app: "marker" });
    const marker = await readyPod(ns, "marker");
    await createService(ns, {
      metadata: { name: "marker" },
      spec: { selector: { app: "marker" }, ports: [{ port: 80 }] },
    });
    await endpointsEqual(ns, "marker", { "/80": { ready: [ip(marker)], notReady: [] } });
    const after = await api.get(R.endpoints, ns, "external");
    expect(after).toEqual(before);
    // kubectl 1.32 describes endpoints from EndpointSlices: the mirroring controller's copy.
    await eventually(async () =>
      expect((await describedEndpoints(ns, "external")).line).toBe("192.0.2.10:80"),
    );
    expect(await api.get(R.endpoints, ns, "external")).toEqual(before);
  });

  it("endpoints: a selector change swaps the pods; deleting the Service deletes its Endpoints", async () => {
    const ns = await namespace("ep-selector");
    await createPod(ns, "blue", { app: "web", color: "blue" });
    await createPod(ns, "green", { app: "web", color: "green" }, { node: "node-2" });
    const [blue, green] = [await readyPod(ns, "blue"), await readyPod(ns, "green")];
    await createService(ns, {
      metadata: { name: "web" },
      spec: { selector: { app: "web", color: "blue" }, ports: [{ port: 80 }] },
    });
    await endpointsEqual(ns, "web", { "/80": { ready: [ip(blue)], notReady: [] } });
    await c.kubectlOk(["patch", "svc", "web", "-n", ns, "-p", '{"spec":{"selector":{"color":"green"}}}']);
    await endpointsEqual(ns, "web", { "/80": { ready: [ip(green)], notReady: [] } });
    // A pod relabelled into the Service joins it.
    await c.kubectlOk(["label", "pod", "blue", "-n", ns, "color=green", "--overwrite"]);
    await endpointsEqual(ns, "web", { "/80": { ready: [ip(blue), ip(green)].sort(), notReady: [] } });

    await c.kubectlOk(["delete", "svc", "web", "-n", ns]);
    const r = await c.kubectl(["wait", "--for=delete", "endpoints/web", "-n", ns, "--timeout=20s"]);
    expect(r.stderr).toBe("");
  });

  it("endpoints: after a SIGKILL the restarted controller converges on what changed while it was down", async () => {
    const ns = await namespace("ep-restart");
    const labels = { app: "r" };
    for (const n of ["r1", "r2"]) await createPod(ns, n, labels);
    const [r1, r2] = [await readyPod(ns, "r1"), await readyPod(ns, "r2")];
    await createService(ns, { metadata: { name: "r" }, spec: { selector: labels, ports: [{ port: 80 }] } });
    await createService(ns, {
      metadata: { name: "doomed" },
      spec: { selector: labels, ports: [{ port: 80 }] },
    });
    await createService(ns, { metadata: { name: "byhand" }, spec: { ports: [{ port: 80 }] } });
    await api.create(R.endpoints, ns, {
      metadata: { name: "byhand" },
      subsets: [{ addresses: [{ ip: "192.0.2.20" }], ports: [{ port: 80 }] }],
    });
    await endpointsEqual(ns, "r", { "/80": { ready: [ip(r1), ip(r2)].sort(), notReady: [] } });
    await endpointsEqual(ns, "doomed", { "/80": { ready: [ip(r1), ip(r2)].sort(), notReady: [] } });
    const byhand = await api.get(R.endpoints, ns, "byhand");

    await c.stopControllers("SIGKILL");
    await api.delete(R.services, ns, "doomed");
    await c.kubectlOk(["delete", "pod", "r1", "-n", ns, "--wait=false"]);
    await createPod(ns, "r3", labels, { node: "node-3" });
    const r3 = await readyPod(ns, "r3");
    await setReady(ns, "r2", false, rfc3339(new Date(Date.now() + 1000)));
    await eventually(async () => expect(await api.get(R.pods, ns, "r1")).toBeUndefined());
    await c.startControllers();

    await endpointsEqual(ns, "r", { "/80": { ready: [ip(r3)], notReady: [ip(r2)] } });
    await eventually(async () => expect(await api.get(R.endpoints, ns, "doomed")).toBeUndefined());
    expect(await api.get(R.endpoints, ns, "byhand")).toEqual(byhand);
  });
});
