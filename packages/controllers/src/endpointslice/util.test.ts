import { describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { R, type ApiClient, type KObject } from "../client.ts";
import { Informer } from "../informer.ts";
import { makePod, makeService, setReady } from "./fixtures.ts";
import {
  ServiceMembership,
  TriggerTimeTracker,
  findPort,
  formatRFC3339Nano,
  parseTime,
  podEndpointsChanged,
  shouldPodBeInEndpoints,
} from "./util.ts";

/** An informer over a fixed list (its watch never sends anything). */
async function staticInformer(gvr: typeof R.pods | typeof R.services, items: KObject[]): Promise<Informer> {
  const client = {
    list: async () => ({ items, metadata: { resourceVersion: "1" } }),
    watch: async () => ({ stop() {} }),
    nc: { status: async function* () {} },
  } as unknown as ApiClient;
  const inf = new Informer(client, gvr, new TestLog().logger());
  await inf.start();
  return inf;
}

describe("endpointslice util", () => {
  it("util: findPort resolves numbers, names with the port's protocol, and sidecar ports", () => {
    const pod = makePod("ns1", "p", (p) => {
      p["spec"]["containers"][0]["ports"] = [
        { name: "dns", containerPort: 5353, protocol: "UDP" },
        { name: "web", containerPort: 8080 },
      ];
      p["spec"]["initContainers"] = [
        { name: "mesh", restartPolicy: "Always", ports: [{ name: "mesh", containerPort: 15000 }] },
        { name: "init", ports: [{ name: "init", containerPort: 7000 }] },
      ];
    });
    expect(findPort(pod, { port: 80, targetPort: 9376 })).toBe(9376);
    expect(findPort(pod, { port: 80 })).toBe(80);
    expect(findPort(pod, { port: 80, targetPort: "web", protocol: "TCP" })).toBe(8080);
    expect(findPort(pod, { port: 53, targetPort: "dns", protocol: "UDP" })).toBe(5353);
    expect(findPort(pod, { port: 53, targetPort: "dns", protocol: "TCP" })).toBeUndefined();
    expect(findPort(pod, { port: 80, targetPort: "mesh" })).toBe(15000);
    expect(findPort(pod, { port: 80, targetPort: "init" })).toBeUndefined();
    expect(findPort(pod, { port: 80, targetPort: "nope" })).toBeUndefined();
  });

  it("util: which pods belong in endpoints", () => {
    expect(shouldPodBeInEndpoints(makePod("ns1", "p"), false)).toBe(true);
    const deleting = makePod(
      "ns1",
      "p",
      (p) => (p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"),
    );
    expect(shouldPodBeInEndpoints(deleting, false)).toBe(false);
    expect(shouldPodBeInEndpoints(deleting, true)).toBe(true);
    expect(
      shouldPodBeInEndpoints(
        makePod("ns1", "p", (p) => (p["status"]["phase"] = "Succeeded")),
        true,
      ),
    ).toBe(false);
    const onlyPodIP = makePod("ns1", "p", (p) => delete p["status"]["podIPs"]);
    expect(shouldPodBeInEndpoints(onlyPodIP, false)).toBe(true);
    expect(
      shouldPodBeInEndpoints(
        makePod("ns1", "p", (p) => (p["status"] = {})),
        true,
      ),
    ).toBe(false);
  });

  it("util: podEndpointsChanged tells endpoint changes from membership changes", () => {
    const a = makePod("ns1", "p");
    const same = structuredClone(a);
    same["metadata"]["annotations"] = { x: "y" };
    expect(podEndpointsChanged(a, same)).toEqual([false, false]);
    const unready = structuredClone(a);
    setReady(unready, false);
    expect(podEndpointsChanged(a, unready)).toEqual([true, false]);
    const relabelled = structuredClone(a);
    relabelled["metadata"]["labels"] = { app: "other" };
    expect(podEndpointsChanged(a, relabelled)).toEqual([false, true]);
    const moved = structuredClone(a);
    moved["status"]["podIPs"] = [{ ip: "10.244.9.9" }];
    expect(podEndpointsChanged(a, moved)).toEqual([true, false]);
  });

  it("util: RFC 3339 times keep nanoseconds and print as Go's RFC3339Nano", () => {
    expect(formatRFC3339Nano(parseTime("2026-01-01T00:00:00Z")!)).toBe("2026-01-01T00:00:00Z");
    expect(formatRFC3339Nano(parseTime("2026-01-01T00:00:00.120000Z")!)).toBe("2026-01-01T00:00:00.12Z");
    expect(formatRFC3339Nano(parseTime("2026-01-01T01:00:00.000000001+01:00")!)).toBe(
      "2026-01-01T00:00:00.000000001Z",
    );
    expect(parseTime("yesterday")).toBeUndefined();
  });

  it("util: the trigger time is the Service's creation first, then the earliest changed pod readiness", () => {
    const t = new TriggerTimeTracker();
    const svc = makeService("ns1", "web");
    const pods = [makePod("ns1", "a"), makePod("ns1", "b")];
    expect(formatRFC3339Nano(t.compute(svc, pods)!)).toBe("2026-01-01T00:00:00Z");
    // Nothing changed: no trigger time.
    expect(t.compute(svc, pods)).toBeUndefined();
    setReady(pods[0]!, false, "2026-01-01T00:07:00Z");
    setReady(pods[1]!, false, "2026-01-01T00:05:00Z");
    expect(formatRFC3339Nano(t.compute(svc, pods)!)).toBe("2026-01-01T00:05:00Z");
    // A new pod counts as changed.
    const c = makePod("ns1", "c", (p) => setReady(p, true, "2026-01-01T00:08:00Z"));
    expect(formatRFC3339Nano(t.compute(svc, [...pods, c])!)).toBe("2026-01-01T00:08:00Z");
    t.delete("ns1", "web");
    expect(formatRFC3339Nano(t.compute(svc, pods)!)).toBe("2026-01-01T00:00:00Z");
  });

  it("util: ServiceMembership finds the Services selecting a pod and the pods a Service selects", async () => {
    const svcs = [
      makeService("ns1", "web", (s) => (s["spec"]["selector"] = { app: "web" })),
      makeService("ns1", "web-canary", (s) => (s["spec"]["selector"] = { app: "web", track: "canary" })),
      makeService("ns1", "manual", (s) => delete s["spec"]["selector"]),
      makeService("ns2", "web", (s) => (s["spec"]["selector"] = { app: "web" })),
    ];
    const pods = [
      makePod("ns1", "stable"),
      makePod("ns1", "canary", (p) => (p["metadata"]["labels"] = { app: "web", track: "canary" })),
      makePod("ns1", "db", (p) => (p["metadata"]["labels"] = { app: "db" })),
    ];
    const m = new ServiceMembership(
      await staticInformer(R.pods, pods),
      await staticInformer(R.services, svcs),
    );
    expect([...m.servicesFor("ns1", { app: "web", track: "canary" })].sort()).toEqual([
      "ns1/web",
      "ns1/web-canary",
    ]);
    expect([...m.servicesFor("ns1", { app: "db" })]).toEqual([]);
    expect(m.podsFor(svcs[0]!).map((p) => p["metadata"]["name"])).toEqual(["stable", "canary"]);
    expect(m.podsFor(svcs[1]!).map((p) => p["metadata"]["name"])).toEqual(["canary"]);
    expect(m.podsFor(svcs[2]!)).toEqual([]);
    expect(m.podsFor(svcs[3]!)).toEqual([]);

    // A label change syncs only the Services that gained or lost the pod.
    const before = pods[1]!;
    const after = structuredClone(before);
    after["metadata"]["labels"] = { app: "web" };
    after["metadata"]["resourceVersion"] = "77";
    expect([...m.servicesToUpdate(before, after)]).toEqual(["ns1/web-canary"]);
    // A readiness change syncs every Service selecting it.
    setReady(after, false);
    expect([...m.servicesToUpdate(before, after)].sort()).toEqual(["ns1/web", "ns1/web-canary"]);
  });
});
