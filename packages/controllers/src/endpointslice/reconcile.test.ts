import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { makeNode, makePod, makeService, setReady } from "./fixtures.ts";
import { CONTROLLER_NAME, reconcileSlices, type ReconcileInput } from "./reconcile.ts";
import { parseTime } from "./util.ts";

const nodes = new Map([
  ["node-1", makeNode("node-1", { "topology.kubernetes.io/zone": "zone-a" })],
  ["node-2", makeNode("node-2")],
]);

function plan(svc: KObject, pods: KObject[], existing: KObject[] = [], extra: Partial<ReconcileInput> = {}) {
  return reconcileSlices({ service: svc, pods, existing, node: (n) => nodes.get(n), ...extra });
}

/** What the API would return for a created slice. */
let rv = 1000;
function created(s: KObject, name: string): KObject {
  const out = structuredClone(s);
  out["metadata"]["name"] = name;
  out["metadata"]["resourceVersion"] = String(++rv);
  return out;
}

const web = (mutate?: (svc: KObject) => void) =>
  makeService("ns1", "web", (s) => {
    s["spec"]["selector"] = { app: "web" };
    s["metadata"]["labels"] = { team: "a" };
    mutate?.(s);
  });

describe("endpointslice reconcile", () => {
  it("endpointslice: a new Service gets one slice with every ready pod, labels, owner and trigger time", () => {
    const svc = web();
    const pods = [makePod("ns1", "b", (p) => (p["status"]["podIP"] = "10.244.1.20")), makePod("ns1", "a")];
    pods[0]!["status"]["podIPs"] = [{ ip: "10.244.1.20" }];
    const p = plan(svc, pods, [], { triggerTime: parseTime("2026-01-01T00:01:00Z") });
    expect(p.update).toEqual([]);
    expect(p.delete).toEqual([]);
    expect(p.errors).toEqual([]);
    expect(p.create).toHaveLength(1);
    const slice = p.create[0]!;
    expect(slice["metadata"]).toEqual({
      generateName: "web-",
      namespace: "ns1",
      labels: {
        team: "a",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": CONTROLLER_NAME,
      },
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:01:00Z" },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Service",
          name: "web",
          uid: svc["metadata"]["uid"],
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(slice["addressType"]).toBe("IPv4");
    expect(slice["ports"]).toEqual([{ name: "", protocol: "TCP", port: 8080 }]);
    const [first, second] = slice["endpoints"] as KObject[];
    expect(second).toEqual({
      addresses: ["10.244.1.20"],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", namespace: "ns1", name: "b", uid: "uid-pod-ns1-b" },
      nodeName: "node-1",
      zone: "zone-a",
    });
    // Endpoints are in address order.
    expect(first!["targetRef"]["name"]).toBe("a");
  });

  it("endpointslice: conditions follow readiness and deletion; publishNotReadyAddresses makes all ready", () => {
    const pods = [
      makePod("ns1", "ready"),
      makePod("ns1", "unready", (p) => setReady(p, false)),
      makePod("ns1", "terminating", (p) => (p["metadata"]["deletionTimestamp"] = "2026-01-01T00:03:00Z")),
      makePod("ns1", "terminating-unready", (p) => {
        p["metadata"]["deletionTimestamp"] = "2026-01-01T00:03:00Z";
        setReady(p, false);
      }),
      makePod("ns1", "done", (p) => (p["status"]["phase"] = "Succeeded")),
      makePod("ns1", "no-ip", (p) => {
        delete p["status"]["podIP"];
        delete p["status"]["podIPs"];
      }),
    ];
    const conds = (svc: KObject) =>
      Object.fromEntries(
        (plan(svc, pods).create[0]!["endpoints"] as KObject[]).map((e) => [
          e["targetRef"]["name"],
          e["conditions"],
        ]),
      );
    expect(conds(web())).toEqual({
      ready: { ready: true, serving: true, terminating: false },
      unready: { ready: false, serving: false, terminating: false },
      terminating: { ready: false, serving: true, terminating: true },
      "terminating-unready": { ready: false, serving: false, terminating: true },
    });
    expect(conds(web((s) => (s["spec"]["publishNotReadyAddresses"] = true)))).toEqual({
      ready: { ready: true, serving: true, terminating: false },
      unready: { ready: true, serving: false, terminating: false },
      terminating: { ready: true, serving: true, terminating: true },
      "terminating-unready": { ready: true, serving: false, terminating: true },
    });
  });

  it("endpointslice: pods resolving a named port differently land in different slices", () => {
    const svc = web((s) => {
      s["spec"]["ports"] = [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" },
      ];
    });
    const alt = makePod("ns1", "alt", (p) => {
      p["spec"]["containers"][0]["ports"] = [{ name: "http", containerPort: 8081, protocol: "TCP" }];
    });
    const none = makePod("ns1", "none", (p) => (p["spec"]["containers"][0]["ports"] = []));
    const udp = makePod("ns1", "udp", (p) => {
      p["spec"]["containers"][0]["ports"] = [{ name: "http", containerPort: 8080, protocol: "UDP" }];
    });
    const p = plan(svc, [makePod("ns1", "std"), alt, none, udp]);
    const byPorts = Object.fromEntries(
      p.create.map((s) => [
        JSON.stringify(s["ports"]),
        (s["endpoints"] as KObject[]).map((e) => e["targetRef"]["name"]).sort(),
      ]),
    );
    expect(byPorts).toEqual({
      [JSON.stringify([
        { name: "http", protocol: "TCP", port: 8080 },
        { name: "metrics", protocol: "TCP", port: 9090 },
      ])]: ["std"],
      [JSON.stringify([
        { name: "http", protocol: "TCP", port: 8081 },
        { name: "metrics", protocol: "TCP", port: 9090 },
      ])]: ["alt"],
      // A named port resolves only with the Service port's protocol.
      [JSON.stringify([{ name: "metrics", protocol: "TCP", port: 9090 }])]: ["none", "udp"],
    });
  });

  it("endpointslice: at most 100 endpoints per slice", () => {
    const pods = Array.from({ length: 250 }, (_, i) =>
      makePod("ns1", `p${i}`, (p) => {
        const ip = `10.244.${2 + Math.floor(i / 200)}.${(i % 200) + 2}`;
        p["status"]["podIP"] = ip;
        p["status"]["podIPs"] = [{ ip }];
      }),
    );
    const p = plan(web(), pods);
    expect(p.create.map((s) => (s["endpoints"] as KObject[]).length)).toEqual([100, 100, 50]);
    expect(plan(web(), pods, [], { maxEndpointsPerSlice: 1000 }).create).toHaveLength(1);
  });

  it("endpointslice: nothing is written when the slices already say it", () => {
    const svc = web();
    const pods = [makePod("ns1", "a"), makePod("ns1", "b")];
    const existing = plan(svc, pods).create.map((s, i) => created(s, `web-x${i}`));
    // A pod update that does not change its endpoint (say, a new resourceVersion) writes nothing.
    pods[0]!["metadata"]["resourceVersion"] = "999";
    expect(plan(svc, pods, existing)).toEqual({ create: [], update: [], delete: [], errors: [] });
  });

  it("endpointslice: a readiness flip updates the slice in place with the new trigger time", () => {
    const svc = web();
    const pods = [makePod("ns1", "a"), makePod("ns1", "b")];
    const existing = plan(svc, pods).create.map((s) => created(s, "web-abcde"));
    setReady(pods[1]!, false, "2026-01-01T00:05:00.5Z");
    const p = plan(svc, pods, existing, { triggerTime: parseTime("2026-01-01T00:05:00.5Z") });
    expect(p.create).toEqual([]);
    expect(p.delete).toEqual([]);
    expect(p.update).toHaveLength(1);
    const slice = p.update[0]!;
    expect(slice["metadata"]["name"]).toBe("web-abcde");
    expect(slice["metadata"]["resourceVersion"]).toBe(existing[0]!["metadata"]["resourceVersion"]);
    expect(slice["metadata"]["annotations"]).toEqual({
      "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:05:00.5Z",
    });
    expect(
      (slice["endpoints"] as KObject[]).map((e) => [e["targetRef"]["name"], e["conditions"]["ready"]]),
    ).toEqual([
      ["a", true],
      ["b", false],
    ]);
  });

  it("endpointslice: a Service with no endpoints keeps one placeholder slice", () => {
    const svc = web();
    const p = plan(svc, []);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]!["endpoints"]).toEqual([]);
    expect(p.create[0]!["ports"]).toEqual([]);
    const placeholder = created(p.create[0]!, "web-empty");
    expect(plan(svc, [], [placeholder])).toEqual({ create: [], update: [], delete: [], errors: [] });
    // When the last pod goes, its slice becomes the placeholder (one update, not delete + create).
    const full = created(plan(svc, [makePod("ns1", "a")]).create[0]!, "web-full");
    const emptied = plan(svc, [], [full]);
    expect(emptied.create).toEqual([]);
    expect(emptied.delete).toEqual([]);
    expect(emptied.update.map((s) => [s["metadata"]["name"], s["endpoints"], s["ports"]])).toEqual([
      ["web-full", [], []],
    ]);
  });

  it("endpointslice: slices owned by an earlier Service of the same name are deleted", () => {
    const old = web((s) => (s["metadata"]["uid"] = "old-uid"));
    const stale = created(plan(old, [makePod("ns1", "a")]).create[0]!, "web-old");
    const p = plan(web(), [makePod("ns1", "a")], [stale]);
    expect(p.delete.map((s) => s["metadata"]["name"])).toEqual(["web-old"]);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]!["metadata"]["ownerReferences"][0]["uid"]).toBe(web()["metadata"]["uid"]);
  });

  it("endpointslice: a pod on an unknown node is skipped and reported, unless publishNotReadyAddresses", () => {
    const ghost = makePod("ns1", "ghost", (p) => (p["spec"]["nodeName"] = "node-9"));
    const p = plan(web(), [makePod("ns1", "a"), ghost]);
    expect((p.create[0]!["endpoints"] as KObject[]).map((e) => e["targetRef"]["name"])).toEqual(["a"]);
    expect(p.errors).toEqual(["skipping Pod ghost for Service ns1/web: Node node-9 Not Found"]);
    const pub = plan(
      web((s) => (s["spec"]["publishNotReadyAddresses"] = true)),
      [ghost],
    );
    expect(pub.errors).toEqual([]);
    expect((pub.create[0]!["endpoints"] as KObject[])[0]!["nodeName"]).toBe("node-9");
  });

  it("endpointslice: headless Services are labelled, and hostname is set for pods in their subdomain", () => {
    const svc = web((s) => {
      s["spec"]["clusterIP"] = "None";
      s["spec"]["clusterIPs"] = ["None"];
      s["spec"]["ports"] = [];
    });
    const pod = makePod("ns1", "a", (p) => {
      p["spec"]["hostname"] = "web-0";
      p["spec"]["subdomain"] = "web";
    });
    const slice = plan(svc, [pod]).create[0]!;
    expect(slice["metadata"]["labels"]["service.kubernetes.io/headless"]).toBe("");
    expect(slice["ports"]).toEqual([]);
    expect((slice["endpoints"] as KObject[])[0]!["hostname"]).toBe("web-0");
  });

  it("endpointslice: a label change on the Service relabels its slices", () => {
    const svc = web();
    const existing = plan(svc, [makePod("ns1", "a")]).create.map((s) => created(s, "web-abcde"));
    const p = plan(
      web((s) => (s["metadata"]["labels"] = { team: "b" })),
      [makePod("ns1", "a")],
      existing,
    );
    expect(p.update.map((s) => s["metadata"]["labels"]["team"])).toEqual(["b"]);
  });

  it("endpointslice: a Service being deleted gets no new slices", () => {
    const svc = web((s) => (s["metadata"]["deletionTimestamp"] = "2026-01-01T00:09:00Z"));
    expect(plan(svc, [makePod("ns1", "a")]).create).toEqual([]);
  });
});
