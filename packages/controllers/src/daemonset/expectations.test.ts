import { describe, expect, it } from "vitest";
import { Expectations } from "./expectations.ts";

describe("daemonset expectations", () => {
  it("expectations: satisfied once every creation and deletion sent has been seen", () => {
    const e = new Expectations();
    expect(e.satisfied("ns/ds")).toBe(true);
    e.expectCreations("ns/ds", 2);
    e.expectDeletions("ns/ds", ["ns/a"]);
    e.creationObserved("ns/ds");
    e.deletionObserved("ns/ds", "ns/a");
    expect(e.satisfied("ns/ds")).toBe(false);
    e.creationObserved("ns/ds");
    expect(e.satisfied("ns/ds")).toBe(true);
  });

  it("expectations: a deletion seen twice (deletionTimestamp, then gone) counts once", () => {
    const e = new Expectations();
    e.expectDeletions("ns/ds", ["ns/a", "ns/b"]);
    e.deletionObserved("ns/ds", "ns/a");
    e.deletionObserved("ns/ds", "ns/a");
    expect(e.satisfied("ns/ds")).toBe(false);
    e.deletionObserved("ns/ds", "ns/b");
    expect(e.satisfied("ns/ds")).toBe(true);
  });

  it("expectations: old expectations expire, in case an event was missed", () => {
    let now = 0;
    const e = new Expectations(1_000, () => now);
    e.expectCreations("ns/ds", 1);
    now = 999;
    expect(e.satisfied("ns/ds")).toBe(false);
    now = 1_001;
    expect(e.satisfied("ns/ds")).toBe(true);
  });
});
