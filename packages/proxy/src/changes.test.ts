import { describe, expect, it } from "vitest";
import { ChangeTracker } from "./changes.ts";
import { NODE_1, TEST_CONFIG, endpoint, makeEndpointSlice, makeService } from "./rules/fixtures.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function tracker() {
  const counts = { service: 0, slice: 0, pendingServices: 0, pendingSlices: 0 };
  const t = new ChangeTracker(() => NODE_1, TEST_CONFIG, T0, {
    serviceChange: (p) => {
      counts.service++;
      counts.pendingServices = p;
    },
    endpointSliceChange: (p) => {
      counts.slice++;
      counts.pendingSlices = p;
    },
  });
  return { t, counts };
}

const svc = (ip: string, mutate?: (s: ReturnType<typeof makeService>) => void) =>
  makeService("ns1", "svc1", (s) => {
    s.spec.clusterIP = ip;
    s.spec.ports = [{ name: "http", port: 80 }];
    mutate?.(s);
  });

describe("changes: services", () => {
  it("changes: a service add, update and delete are changes; pending counts services with a net change", () => {
    const { t, counts } = tracker();
    expect(t.recordService(undefined, svc("10.96.0.10"))).toBe(true);
    expect(t.recordService(svc("10.96.0.10"), svc("10.96.0.11"))).toBe(true);
    expect(t.pendingServices).toBe(1);
    expect(t.checkout()).toEqual({ services: 1, endpointSlices: 0, triggerTimes: [] });
    expect(t.recordService(svc("10.96.0.11"), undefined)).toBe(true);
    expect(counts).toMatchObject({ service: 3, pendingServices: 1 });
  });

  it("changes: updates kube-proxy does not read (labels, selector, resourceVersion) are not changes", () => {
    const { t, counts } = tracker();
    const before = svc("10.96.0.10");
    const after = svc("10.96.0.10", (s) => {
      s.metadata.labels = { team: "a" };
      s.metadata.resourceVersion = "99";
      s.spec.selector = { app: "other" };
    });
    expect(t.recordService(before, after)).toBe(false);
    expect(t.pendingServices).toBe(0);
    // Still counted in the total, as upstream's ServiceChangesTotal is.
    expect(counts.service).toBe(1);
  });

  it("changes: a change undone before the sync leaves nothing pending", () => {
    const { t } = tracker();
    const a = svc("10.96.0.10");
    const b = svc("10.96.0.10", (s) => (s.spec.sessionAffinity = "ClientIP"));
    expect(t.recordService(a, b)).toBe(true);
    expect(t.recordService(b, a)).toBe(false);
    expect(t.pendingServices).toBe(0);
  });

  it("changes: headless and ExternalName services never matter", () => {
    const { t } = tracker();
    expect(t.recordService(undefined, svc("None"))).toBe(false);
    const ext = makeService("ns1", "ext", (s) => {
      s.spec.type = "ExternalName";
      s.spec.externalName = "example.com";
    });
    expect(t.recordService(undefined, ext)).toBe(false);
  });
});

describe("changes: endpoint slices", () => {
  it("changes: every IPv4 slice event of a service is a change; others are not", () => {
    const { t, counts } = tracker();
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [{ name: "http", port: 8080, protocol: "TCP" }];
      s.endpoints = [endpoint("10.244.1.2", "node-1")];
    });
    expect(t.recordEndpointSlice(slice, false)).toBe(true);
    expect(t.recordEndpointSlice(slice, true)).toBe(true);
    const v6 = makeEndpointSlice("ns1", "svc1", 2, (s) => (s.addressType = "IPv6"));
    expect(t.recordEndpointSlice(v6, false)).toBe(false);
    const orphan = makeEndpointSlice("ns1", "svc1", 3, (s) => (s.metadata.labels = {}));
    expect(t.recordEndpointSlice(orphan, false)).toBe(false);
    expect(counts).toMatchObject({ slice: 2, pendingSlices: 2 });
    expect(t.checkout().endpointSlices).toBe(2);
    expect(t.pendingEndpointSlices).toBe(0);
  });

  it("changes: trigger times after the tracker started are kept for the sync; a delete forgets them", () => {
    const { t } = tracker();
    const at = (n: number, time: string) =>
      makeEndpointSlice("ns1", `svc${n}`, 1, (s) => {
        s.metadata.annotations = { "endpoints.kubernetes.io/last-change-trigger-time": time };
      });
    t.recordEndpointSlice(at(1, "2026-01-01T00:00:05Z"), false);
    t.recordEndpointSlice(at(1, "2026-01-01T00:00:07.5Z"), false);
    t.recordEndpointSlice(at(2, "2026-01-01T00:00:06Z"), false);
    t.recordEndpointSlice(at(3, "2025-12-31T23:59:00Z"), false); // before the tracker started
    t.recordEndpointSlice(at(4, "not a time"), false);
    t.recordEndpointSlice(at(5, "2026-01-01T00:00:08Z"), false);
    t.recordEndpointSlice(at(5, "2026-01-01T00:00:09Z"), true);
    expect(t.checkout().triggerTimes).toEqual([T0 + 5_000, T0 + 6_000, T0 + 7_500]);
    expect(t.checkout().triggerTimes).toEqual([]);
  });
});
