/**
 * The EndpointSlice controller on the real path: nats-server, `kemu apiserver` and `kemu
 * controller-manager` processes, pods bound directly to fake nodes and made Running/Ready by the
 * fake kubelet (or, on node-4, which no kubelet runs, given a status by the test), observed with
 * real kubectl and the API over NATS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { TestCluster, uniqueNamespace, retrying } from "../harness.ts";
import { FakeKubelet, TestClient, createNode, renewLease } from "../fakes.ts";

let c: TestCluster;
let tc: TestClient;
let api: ApiClient;
let kubelet: FakeKubelet;
let heartbeat: NodeJS.Timeout;

/** node-1..3 are run by the fake kubelet; node-4 by nobody, so its pods keep the status tests give them. */
const KUBELET_NODES = { "node-1": 1, "node-2": 2, "node-3": 3 };
const ZONES: Record<string, string> = { "node-1": "zone-a", "node-2": "zone-b" };
const MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
const CONTROLLER = "endpointslice-controller.k8s.io";

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  tc = await TestClient.connect(c);
  api = tc.api;
  for (const [name, index] of Object.entries({ ...KUBELET_NODES, "node-4": 4 })) {
    const zone = ZONES[name];
    await createNode(api, name, {
      index,
      ...(zone ? { labels: { "topology.kubernetes.io/zone": zone } } : {}),
    });
  }
  // Keep the nodes' leases fresh so the node lifecycle controller leaves them (and their pods) alone.
  heartbeat = setInterval(() => {
    for (const name of ["node-1", "node-2", "node-3", "node-4"]) void renewLease(api, name).catch(() => {});
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
  opts: { node?: string; ports?: KObject[] } = {},
): Promise<KObject> {
  return api.create(R.pods, ns, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      nodeName: opts.node ?? "node-1",
      containers: [
        { name: "app", image: "nginx:1.27", ports: opts.ports ?? [{ name: "http", containerPort: 8080 }] },
      ],
    },
  });
}

/** Waits until a pod is Running and Ready with an IP; returns it. */
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

/** Gives a pod on node-4 (no kubelet) a Running, Ready status with an IP. */
async function runManually(ns: string, name: string, ip: string): Promise<void> {
  const at = rfc3339(new Date());
  await api.patch(
    R.pods,
    ns,
    name,
    { status: { phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP: "127.0.1.4", startTime: at } },
    { subresource: "status" },
  );
  await setReady(ns, name, true, at);
}

async function createService(ns: string, svc: KObject): Promise<KObject> {
  return api.create(R.services, ns, { apiVersion: "v1", kind: "Service", ...svc });
}

/** The Service's slices managed by the controller. */
async function slicesOf(ns: string, svc: string): Promise<KObject[]> {
  const list = await api.list(R.endpointslices, ns, {
    labelSelector: `kubernetes.io/service-name=${svc},${MANAGED_BY}=${CONTROLLER}`,
  });
  return list["items"] as KObject[];
}

/** Every endpoint of a Service's slices as "ip ready/serving/terminating", sorted. */
function endpointView(slices: KObject[]): string[] {
  return slices
    .flatMap((s) => (s["endpoints"] ?? []) as KObject[])
    .map((e) => {
      const cd = e["conditions"];
      return `${e["addresses"].join(",")} ${cd["ready"]}/${cd["serving"]}/${cd["terminating"]}`;
    })
    .sort();
}

/** Waits until the Service's endpoints read as expected (see endpointView); returns its slices. */
async function endpointsAre(ns: string, svc: string, expected: string[]): Promise<KObject[]> {
  return eventually(async () => {
    const slices = await slicesOf(ns, svc);
    expect(endpointView(slices)).toEqual([...expected].sort());
    return slices;
  });
}

const ip = (p: KObject) => String(p["status"]["podIP"]);
const ready = (p: KObject | string) => `${typeof p === "string" ? p : ip(p)} true/true/false`;

describe("endpointslice controller", () => {
  it("endpointslice: a Service gets a generated slice with its pods, labels, owner, zones and trigger time", async () => {
    const ns = await namespace("es-basic");
    const labels = { app: "web" };
    await createPod(ns, "web-1", labels);
    await createPod(ns, "web-3", labels, { node: "node-3" });
    const [p1, p3] = [await readyPod(ns, "web-1"), await readyPod(ns, "web-3")];
    const svc = await createService(ns, {
      metadata: { name: "web", labels: { team: "shop" } },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    });
    const [slice] = await endpointsAre(ns, "web", [ready(p1), ready(p3)]);
    expect(slice!["metadata"]["name"]).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slice!["metadata"]["generateName"]).toBe("web-");
    expect(slice!["metadata"]["labels"]).toEqual({
      team: "shop",
      "kubernetes.io/service-name": "web",
      [MANAGED_BY]: CONTROLLER,
    });
    expect(slice!["metadata"]["ownerReferences"]).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        name: "web",
        uid: svc["metadata"]["uid"],
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice!["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    );
    expect(slice!["addressType"]).toBe("IPv4");
    expect(slice!["ports"]).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    const byName = Object.fromEntries(
      (slice!["endpoints"] as KObject[]).map((e) => [e["targetRef"]["name"], e]),
    );
    expect(byName["web-1"]).toEqual({
      addresses: [ip(p1)],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", namespace: ns, name: "web-1", uid: p1["metadata"]["uid"] },
      nodeName: "node-1",
      zone: "zone-a",
    });
    // node-3 has no zone label: no zone.
    expect(byName["web-3"]!["zone"]).toBeUndefined();
    expect(byName["web-3"]!["nodeName"]).toBe("node-3");

    const get = await c.kubectlOk(["get", "endpointslices", "-n", ns]);
    expect(get).toMatch(new RegExp(`^${slice!["metadata"]["name"]}\\s+IPv4\\s+8080\\s+\\S+\\s+\\S+$`, "m"));
  });

  it("endpointslice: a readiness flip turns ready and serving off, and describe svc drops the endpoint", async () => {
    const ns = await namespace("es-ready");
    for (const n of ["a", "b"]) await createPod(ns, n, { app: "flip" });
    const [a, b] = [await readyPod(ns, "a"), await readyPod(ns, "b")];
    await createService(ns, {
      metadata: { name: "flip" },
      spec: { selector: { app: "flip" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await endpointsAre(ns, "flip", [ready(a), ready(b)]);
    const at = rfc3339(new Date(Date.now() + 1000));
    await setReady(ns, "b", false, at);
    const [slice] = await endpointsAre(ns, "flip", [ready(a), `${ip(b)} false/false/false`]);
    expect(slice!["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]).toBe(at);
    const text = await c.kubectlOk(["describe", "svc", "flip", "-n", ns]);
    expect(text).toMatch(new RegExp(`^Endpoints:\\s+${ip(a).replace(/\./g, "\\.")}:8080$`, "m"));
    await setReady(ns, "b", true, rfc3339(new Date(Date.now() + 2000)));
    await endpointsAre(ns, "flip", [ready(a), ready(b)]);
  });

  it("endpointslice: a pod being deleted stays as terminating, serving while ready, until it is gone", async () => {
    const ns = await namespace("es-term");
    const labels = { app: "term" };
    await createPod(ns, "stay", labels);
    await createPod(ns, "slow", labels, { node: "node-4" });
    await runManually(ns, "slow", "10.244.4.20");
    const stay = await readyPod(ns, "stay");
    await createService(ns, {
      metadata: { name: "term" },
      spec: { selector: labels, ports: [{ port: 80 }] },
    });
    await createService(ns, {
      metadata: { name: "term-pub" },
      spec: { selector: labels, ports: [{ port: 80 }], publishNotReadyAddresses: true },
    });
    await endpointsAre(ns, "term", [ready(stay), ready("10.244.4.20")]);

    // Nobody runs node-4, so the pod stays Terminating for its grace period.
    await c.kubectlOk(["delete", "pod", "slow", "-n", ns, "--wait=false", "--grace-period=60"]);
    await endpointsAre(ns, "term", [ready(stay), "10.244.4.20 false/true/true"]);
    await endpointsAre(ns, "term-pub", [ready(stay), "10.244.4.20 true/true/true"]);
    // kubectl describe lists ready endpoints only.
    const text = await c.kubectlOk(["describe", "svc", "term", "-n", ns]);
    expect(text).toMatch(new RegExp(`^Endpoints:\\s+${ip(stay).replace(/\./g, "\\.")}:80$`, "m"));

    await setReady(ns, "slow", false, rfc3339(new Date(Date.now() + 1000)));
    await endpointsAre(ns, "term", [ready(stay), "10.244.4.20 false/false/true"]);
    await api.delete(R.pods, ns, "slow", { gracePeriodSeconds: 0 });
    await endpointsAre(ns, "term", [ready(stay)]);
  });

  it("endpointslice: pods resolving a named port differently get slices of their own", async () => {
    const ns = await namespace("es-ports");
    const labels = { app: "multi" };
    await createPod(ns, "std", labels, { ports: [{ name: "web", containerPort: 8080 }] });
    await createPod(ns, "alt", labels, { node: "node-2", ports: [{ name: "web", containerPort: 9090 }] });
    await createPod(ns, "none", labels, { node: "node-3", ports: [] });
    const [std, alt, none] = [
      await readyPod(ns, "std"),
      await readyPod(ns, "alt"),
      await readyPod(ns, "none"),
    ];
    await createService(ns, {
      metadata: { name: "multi" },
      spec: {
        selector: labels,
        ports: [
          { name: "http", port: 80, targetPort: "web" },
          { name: "dns", port: 53, targetPort: 5353, protocol: "UDP" },
        ],
      },
    });
    const slices = await endpointsAre(ns, "multi", [ready(std), ready(alt), ready(none)]);
    const layout = Object.fromEntries(
      slices.map((s) => [
        ((s["ports"] ?? []) as KObject[]).map((p) => `${p["name"]}:${p["port"]}/${p["protocol"]}`).join(" "),
        (s["endpoints"] as KObject[]).map((e) => e["targetRef"]["name"]),
      ]),
    );
    expect(layout).toEqual({
      "http:8080/TCP dns:5353/UDP": ["std"],
      "http:9090/TCP dns:5353/UDP": ["alt"],
      "dns:5353/UDP": ["none"],
    });
  });

  it("endpointslice: more than 100 endpoints are split over slices of at most 100", async () => {
    const ns = await namespace("es-big");
    const labels = { app: "big" };
    const names = Array.from({ length: 120 }, (_, i) => `big-${i}`);
    const nodes = ["node-1", "node-2", "node-3"];
    await Promise.all(names.map((n, i) => createPod(ns, n, labels, { node: nodes[i % 3]! })));
    const pods = await eventually(async () => {
      const list = (await api.list(R.pods, ns))["items"] as KObject[];
      expect(list.filter((p) => p["status"]?.["podIP"]).length).toBe(120);
      return list;
    });
    await createService(ns, {
      metadata: { name: "big" },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const slices = await endpointsAre(ns, "big", pods.map(ready));
    expect(slices.map((s) => s["endpoints"].length).sort((x, y) => y - x)).toEqual([100, 20]);

    // Shrinking keeps endpoints in place: no slice grows past 100 and none is left empty.
    const gone = new Set(names.slice(0, 30));
    await Promise.all([...gone].map((n) => api.delete(R.pods, ns, n)));
    const left = pods.filter((p) => !gone.has(p["metadata"]["name"]));
    const after = await endpointsAre(ns, "big", left.map(ready));
    for (const s of after) {
      expect(s["endpoints"].length).toBeGreaterThan(0);
      expect(s["endpoints"].length).toBeLessThanOrEqual(100);
    }
  });

  it("endpointslice: headless Services are labelled and carry hostnames; selector-less Services get no slices", async () => {
    const ns = await namespace("es-headless");
    await api.create(R.pods, ns, {
      metadata: { name: "db-0", labels: { app: "db" } },
      spec: {
        nodeName: "node-2",
        hostname: "db-0",
        subdomain: "db",
        containers: [{ name: "db", image: "postgres" }],
      },
    });
    const db0 = await readyPod(ns, "db-0");
    await createService(ns, {
      metadata: { name: "db" },
      spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] },
    });
    const [slice] = await endpointsAre(ns, "db", [ready(db0)]);
    expect(slice!["metadata"]["labels"]["service.kubernetes.io/headless"]).toBe("");
    expect(slice!["endpoints"][0]["hostname"]).toBe("db-0");

    // A hand-made slice for a selector-less Service is someone else's: it stays as it is.
    await createService(ns, { metadata: { name: "external" }, spec: { ports: [{ port: 80 }] } });
    const manual = await api.create(R.endpointslices, ns, {
      metadata: {
        name: "external-1",
        labels: { "kubernetes.io/service-name": "external", [MANAGED_BY]: "staff" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["192.0.2.30"] }],
      ports: [{ port: 80 }],
    });
    // Touch both Services, then wait for a later change to land: both syncs are past by then.
    await api.patch(R.services, ns, "external", { metadata: { labels: { touched: "yes" } } });
    await api.patch(R.services, ns, "db", { metadata: { labels: { touched: "yes" } } });
    await eventually(async () => {
      const [s] = await slicesOf(ns, "db");
      expect(s?.["metadata"]["labels"]["touched"]).toBe("yes");
    });
    expect(await slicesOf(ns, "external")).toEqual([]);
    expect(await api.get(R.endpointslices, ns, "external-1")).toEqual(manual);
  });

  it("endpointslice: a selector change moves the endpoints; a deleted Service's slices go with it", async () => {
    const ns = await namespace("es-selector");
    await createPod(ns, "blue", { app: "web", color: "blue" });
    await createPod(ns, "green", { app: "web", color: "green" }, { node: "node-2" });
    const [blue, green] = [await readyPod(ns, "blue"), await readyPod(ns, "green")];
    await createService(ns, {
      metadata: { name: "web" },
      spec: { selector: { app: "web", color: "blue" }, ports: [{ port: 80 }] },
    });
    const [first] = await endpointsAre(ns, "web", [ready(blue)]);
    await c.kubectlOk(["patch", "svc", "web", "-n", ns, "-p", '{"spec":{"selector":{"color":"green"}}}']);
    const moved = await endpointsAre(ns, "web", [ready(green)]);
    // The slice was updated in place, not replaced.
    expect(moved.map((s) => s["metadata"]["name"])).toEqual([first!["metadata"]["name"]]);

    await c.kubectlOk(["delete", "svc", "web", "-n", ns]);
    await eventually(async () => expect(await slicesOf(ns, "web")).toEqual([]));
  });

  it("endpointslice: a slice deleted or edited by someone else is put back", async () => {
    const ns = await namespace("es-heal");
    await createPod(ns, "a", { app: "heal" });
    const a = await readyPod(ns, "a");
    await createService(ns, {
      metadata: { name: "heal" },
      spec: { selector: { app: "heal" }, ports: [{ port: 80 }] },
    });
    const [slice] = await endpointsAre(ns, "heal", [ready(a)]);
    await api.patch(R.endpointslices, ns, slice!["metadata"]["name"], {
      endpoints: [{ addresses: ["192.0.2.99"], conditions: { ready: true } }],
    });
    await endpointsAre(ns, "heal", [ready(a)]);
    await api.delete(R.endpointslices, ns, slice!["metadata"]["name"]);
    const [again] = await endpointsAre(ns, "heal", [ready(a)]);
    expect(again!["metadata"]["name"]).not.toBe(slice!["metadata"]["name"]);
  });

  it("endpointslice: nothing is written when a change does not affect the endpoints", async () => {
    const ns = await namespace("es-quiet");
    await createPod(ns, "q", { app: "quiet" });
    await createPod(ns, "m", { app: "marker" });
    const [q, m] = [await readyPod(ns, "q"), await readyPod(ns, "m")];
    await createService(ns, {
      metadata: { name: "quiet" },
      spec: { selector: { app: "quiet" }, ports: [{ port: 80 }] },
    });
    await createService(ns, {
      metadata: { name: "marker" },
      spec: { selector: { app: "marker" }, ports: [{ port: 80 }] },
    });
    const [before] = await endpointsAre(ns, "quiet", [ready(q)]);
    await endpointsAre(ns, "marker", [ready(m)]);
    const ep = await eventually(async () => {
      const e = await api.get(R.endpoints, ns, "quiet");
      expect(e?.["subsets"]).toBeDefined();
      return e!;
    });
    // Changes that do not touch endpoints: a pod annotation, a Service annotation, a new port name
    // elsewhere.
    await api.patch(R.pods, ns, "q", { metadata: { annotations: { note: "x" } } });
    await api.patch(R.services, ns, "quiet", { metadata: { annotations: { note: "y" } } });
    // Then a change the controllers do act on, queued after those.
    await setReady(ns, "m", false, rfc3339(new Date(Date.now() + 1000)));
    await endpointsAre(ns, "marker", [`${ip(m)} false/false/false`]);
    const [after] = await slicesOf(ns, "quiet");
    expect(after!["metadata"]["resourceVersion"]).toBe(before!["metadata"]["resourceVersion"]);
    expect((await api.get(R.endpoints, ns, "quiet"))!["metadata"]["resourceVersion"]).toBe(
      ep["metadata"]["resourceVersion"],
    );
  });

  it("endpointslice: hand-made Endpoints of a selector-less Service are mirrored into slices", async () => {
    const ns = await namespace("es-mirror");
    await createService(ns, { metadata: { name: "ext" }, spec: { ports: [{ name: "web", port: 80 }] } });
    const ep = await api.create(R.endpoints, ns, {
      metadata: { name: "ext", labels: { origin: "manual" } },
      subsets: [
        {
          addresses: [{ ip: "192.0.2.40" }, { ip: "192.0.2.41" }],
          notReadyAddresses: [{ ip: "192.0.2.42" }],
          ports: [{ name: "web", port: 8080 }],
        },
      ],
    });
    const mirrored = async () =>
      (
        await api.list(R.endpointslices, ns, {
          labelSelector: `kubernetes.io/service-name=ext,${MANAGED_BY}=endpointslicemirroring-controller.k8s.io`,
        })
      )["items"] as KObject[];
    const [slice] = await eventually(async () => {
      const items = await mirrored();
      expect(items).toHaveLength(1);
      return items;
    });
    expect(slice!["metadata"]["name"]).toMatch(/^ext-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slice!["metadata"]["labels"]["origin"]).toBe("manual");
    expect(slice!["metadata"]["ownerReferences"]).toEqual([
      {
        apiVersion: "v1",
        kind: "Endpoints",
        name: "ext",
        uid: ep["metadata"]["uid"],
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(slice!["ports"]).toEqual([{ name: "web", port: 8080, protocol: "TCP" }]);
    expect(
      (slice!["endpoints"] as KObject[]).map((e) => [e["addresses"][0], e["conditions"]["ready"]]),
    ).toEqual([
      ["192.0.2.40", true],
      ["192.0.2.41", true],
      ["192.0.2.42", false],
    ]);
    const text = await c.kubectlOk(["describe", "svc", "ext", "-n", ns]);
    expect(text).toMatch(/^Endpoints:\s+192\.0\.2\.40:8080,192\.0\.2\.41:8080$/m);

    // An edit of the Endpoints is mirrored.
    await api.patch(R.endpoints, ns, "ext", {
      subsets: [{ addresses: [{ ip: "192.0.2.43" }], ports: [{ name: "web", port: 8080 }] }],
    });
    await eventually(async () => {
      const [s] = await mirrored();
      expect((s!["endpoints"] as KObject[]).map((e) => e["addresses"][0])).toEqual(["192.0.2.43"]);
      expect(s!["metadata"]["name"]).toBe(slice!["metadata"]["name"]);
    });
    // Once the Service has a selector, the EndpointSlice controller owns its slices instead.
    await createPod(ns, "ext-pod", { app: "ext" });
    const pod = await readyPod(ns, "ext-pod");
    await api.patch(R.services, ns, "ext", { spec: { selector: { app: "ext" } } });
    await eventually(async () => expect(await mirrored()).toEqual([]));
    await endpointsAre(ns, "ext", [ready(pod)]);
  });

  it("endpointslice: after a SIGKILL the restarted controller converges, without duplicate slices", async () => {
    const ns = await namespace("es-restart");
    const labels = { app: "r" };
    for (const n of ["r1", "r2"]) await createPod(ns, n, labels);
    const [r1, r2] = [await readyPod(ns, "r1"), await readyPod(ns, "r2")];
    await createService(ns, { metadata: { name: "r" }, spec: { selector: labels, ports: [{ port: 80 }] } });
    await createService(ns, {
      metadata: { name: "doomed" },
      spec: { selector: labels, ports: [{ port: 80 }] },
    });
    const [before] = await endpointsAre(ns, "r", [ready(r1), ready(r2)]);
    await endpointsAre(ns, "doomed", [ready(r1), ready(r2)]);

    await c.stopControllers("SIGKILL");
    await api.delete(R.services, ns, "doomed");
    await c.kubectlOk(["delete", "pod", "r1", "-n", ns, "--wait=false"]);
    await createPod(ns, "r3", labels, { node: "node-3" });
    const r3 = await readyPod(ns, "r3");
    await setReady(ns, "r2", false, rfc3339(new Date(Date.now() + 1000)));
    await eventually(async () => expect(await api.get(R.pods, ns, "r1")).toBeUndefined());
    await c.startControllers();

    const after = await endpointsAre(ns, "r", [ready(r3), `${ip(r2)} false/false/false`]);
    expect(after.map((s) => s["metadata"]["name"])).toEqual([before!["metadata"]["name"]]);
    // The garbage collector removes the slices of the Service deleted meanwhile.
    await eventually(async () => expect(await slicesOf(ns, "doomed")).toEqual([]));
  });
});
