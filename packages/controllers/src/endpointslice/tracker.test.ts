import { describe, expect, it } from "vitest";
import type { KObject } from "../client.ts";
import { RecentWrites } from "./tracker.ts";

const obj = (name: string, rv: number): KObject => ({
  metadata: { namespace: "ns1", name, resourceVersion: String(rv) },
});

describe("endpointslice RecentWrites", () => {
  it("tracker: our write shadows an older cached version until the cache catches up", () => {
    const cache = new Map<string, KObject>([["ns1/a", obj("a", 5)]]);
    const r = new RecentWrites((k) => cache.get(k));
    r.wrote("ns1/svc", obj("a", 9));
    expect(r.get("ns1/a")).toEqual(obj("a", 9));
    // The informer sees a version older than ours (it is behind): still ours.
    expect(r.observe(obj("a", 7))).toBe("stale");
    expect(r.get("ns1/a")).toEqual(obj("a", 9));
    // The echo of our write.
    cache.set("ns1/a", obj("a", 9));
    expect(r.observe(obj("a", 9))).toBe("own");
    expect(r.size).toBe(0);
    // Someone else's later change.
    cache.set("ns1/a", obj("a", 12));
    expect(r.observe(obj("a", 12))).toBe("foreign");
  });

  it("tracker: created objects join their group's list before the informer sees them", () => {
    const cache = new Map<string, KObject>([["ns1/a", obj("a", 5)]]);
    const r = new RecentWrites((k) => cache.get(k));
    r.wrote("ns1/svc", obj("b", 6));
    expect(r.list("ns1/svc", [obj("a", 5)]).map((o) => o["metadata"]["name"])).toEqual(["a", "b"]);
  });

  it("tracker: our deletions hide the object until the informer drops it", () => {
    const cache = new Map<string, KObject>([["ns1/a", obj("a", 5)]]);
    const r = new RecentWrites((k) => cache.get(k));
    r.deleted("ns1/svc", obj("a", 5));
    expect(r.get("ns1/a")).toBeUndefined();
    expect(r.list("ns1/svc", [obj("a", 5)])).toEqual([]);
    cache.delete("ns1/a");
    expect(r.observeDelete(obj("a", 5))).toBe("own");
    expect(r.observeDelete(obj("a", 5))).toBe("foreign");
    // An object recreated under the same name after our deletion is seen again.
    r.deleted("ns1/svc", obj("a", 5));
    cache.set("ns1/a", obj("a", 20));
    r.deleted("ns1/svc", obj("a", 5));
    expect(r.get("ns1/a")).toEqual(obj("a", 20));
  });

  it("tracker: a write the informer already has is not tracked", () => {
    const cache = new Map<string, KObject>([["ns1/a", obj("a", 9)]]);
    const r = new RecentWrites((k) => cache.get(k));
    r.wrote("ns1/svc", obj("a", 9));
    expect(r.size).toBe(0);
  });
});
