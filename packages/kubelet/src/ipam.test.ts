import { describe, expect, it } from "vitest";
import { cidrContains } from "@kemu/common";
import { IPExhaustedError, parseCIDR, PodIPAllocator } from "./ipam.ts";

describe("ipam: PodIPAllocator", () => {
  it("ipam: hands out .2 first; .0, .1 (gateway) and .255 are never given", () => {
    const a = new PodIPAllocator("10.244.3.0/24");
    expect(a.gateway).toBe("10.244.3.1");
    expect(a.range).toBe("10.244.3.2-10.244.3.254");
    const got = Array.from({ length: 253 }, (_, i) => a.allocate(`pod-${i}`));
    expect(got[0]).toBe("10.244.3.2");
    expect(got.at(-1)).toBe("10.244.3.254");
    expect(new Set(got).size).toBe(253);
    expect(got).not.toContain("10.244.3.0");
    expect(got).not.toContain("10.244.3.1");
    expect(got).not.toContain("10.244.3.255");
  });

  it("ipam: an IP in use is never given to another pod; exhaustion says so", () => {
    const a = new PodIPAllocator("10.244.1.0/30");
    expect(a.allocate("a")).toBe("10.244.1.2");
    expect(() => a.allocate("b")).toThrow(IPExhaustedError);
    expect(() => a.allocate("b")).toThrow("no IP addresses available in range set: 10.244.1.2-10.244.1.2");
  });

  it("ipam: a pod asking again gets its own IP back", () => {
    const a = new PodIPAllocator("10.244.1.0/24");
    const ip = a.allocate("a");
    a.allocate("b");
    expect(a.allocate("a")).toBe(ip);
  });

  it("ipam: a freed IP is not reused at once: the next after the last given comes first, wrapping around", () => {
    const a = new PodIPAllocator("10.244.1.0/29"); // usable .2-.6
    expect(["a", "b", "c"].map((o) => a.allocate(o))).toEqual(["10.244.1.2", "10.244.1.3", "10.244.1.4"]);
    a.release("a");
    expect(a.allocate("d")).toBe("10.244.1.5");
    expect(a.allocate("e")).toBe("10.244.1.6");
    expect(a.allocate("f")).toBe("10.244.1.2");
    expect(() => a.allocate("g")).toThrow(IPExhaustedError);
  });

  it("ipam: reserve keeps a restored pod's IP and refuses someone else's or an unusable one", () => {
    const a = new PodIPAllocator("10.244.1.0/24");
    expect(a.reserve("10.244.1.7", "a")).toBe(true);
    expect(a.reserve("10.244.1.7", "a")).toBe(true);
    expect(a.reserve("10.244.1.7", "b")).toBe(false);
    expect(a.reserve("10.244.1.1", "b")).toBe(false);
    expect(a.reserve("10.244.2.9", "b")).toBe(false);
    expect(a.allocate("a")).toBe("10.244.1.7");
    expect(a.inUse.get("10.244.1.7")).toBe("a");
  });

  it("ipam: CIDR helpers", () => {
    expect(parseCIDR("10.244.1.0/24")).toMatchObject({ size: 256, prefix: 24 });
    expect(() => parseCIDR("10.244.0.0/16")).toThrow("prefix must be /24 to /30");
    expect(cidrContains("10.244.0.0/16", "10.244.9.3")).toBe(true);
    expect(cidrContains("10.244.0.0/16", "10.96.0.1")).toBe(false);
    expect(cidrContains("10.244.0.0/16", "not-an-ip")).toBe(false);
  });
});
