import { describe, expect, it } from "vitest";
import {
  dhBucket,
  endpointKey,
  iptablesPick,
  iptablesProbability,
  ipvsPick,
  nftablesPick,
  pickEndpoint,
  pickWithAffinity,
  ServicePortState,
  shBucket,
} from "./balancer.ts";
import { makeEndpoint } from "./testing.ts";

const eps = ["10.244.1.5", "10.244.2.7", "10.244.3.9"].map((ip) => makeEndpoint(ip));
const ctx = { clientIP: "192.168.7.1", dstIP: "10.96.0.100" };

/** A seeded generator (mulberry32), so that the counts below are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function histogram(n: number, pick: () => number): number[] {
  const h = new Array<number>(n).fill(0);
  for (let i = 0; i < 6000; i++) h[pick()]!++;
  return h;
}

describe("balancer", () => {
  it("balancer: iptables probabilities are kube-proxy's 1/(n-i) printed with ten decimals", () => {
    expect([0, 1, 2].map((i) => iptablesProbability(i, 4))).toEqual([0.25, 0.3333333333, 0.5]);
    expect(iptablesProbability(0, 3)).toBe(0.3333333333);
  });

  it("balancer: the iptables cascade and nftables numgen are uniform", () => {
    // 6000 picks over 3: mean 2000, sd 36.5; 1700 is more than 8 sd away.
    const r1 = seeded(1);
    for (const h of [
      histogram(3, () => iptablesPick(3, r1)),
      histogram(3, () => nftablesPick(3, Math.random)),
    ]) {
      for (const c of h) expect(c).toBeGreaterThan(1700);
    }
    const r = seeded(42);
    for (const c of histogram(5, () => iptablesPick(5, r))) expect(c).toBeGreaterThan(1000);
    const r2 = seeded(7);
    for (const c of histogram(4, () => nftablesPick(4, r2))) expect(c).toBeGreaterThan(1300);
  });

  it("balancer: the iptables cascade falls through to the last endpoint", () => {
    expect(iptablesPick(3, () => 0.99)).toBe(2);
    expect(iptablesPick(3, () => 0)).toBe(0);
    expect(iptablesPick(1, () => 0.5)).toBe(0);
  });

  it("balancer: ipvs rr cycles in list order and continues past a removed endpoint", () => {
    const st = new ServicePortState();
    const order = Array.from({ length: 7 }, () => eps[ipvsPick("rr", st, eps, ctx)]!.ip);
    expect(order).toEqual([
      "10.244.1.5",
      "10.244.2.7",
      "10.244.3.9",
      "10.244.1.5",
      "10.244.2.7",
      "10.244.3.9",
      "10.244.1.5",
    ]);
    // Last pick was .1.5; it goes away: the next is the one that took its place.
    const fewer = eps.slice(1);
    expect(fewer[ipvsPick("rr", st, fewer, ctx)]!.ip).toBe("10.244.2.7");
    expect(fewer[ipvsPick("wrr", st, fewer, ctx)]!.ip).toBe("10.244.3.9");
  });

  it("balancer: ipvs lc prefers the endpoint with the fewest connections, the first on ties", () => {
    const st = new ServicePortState();
    expect(ipvsPick("lc", st, eps, ctx)).toBe(0);
    st.count("active", endpointKey(eps[0]!), 1);
    expect(ipvsPick("lc", st, eps, ctx)).toBe(1);
    st.count("active", endpointKey(eps[1]!), 1);
    st.count("inactive", endpointKey(eps[2]!), 3);
    // Inactive connections weigh 1/256 of an active one.
    expect(ipvsPick("lc", st, eps, ctx)).toBe(2);
    expect(ipvsPick("wlc", st, eps, ctx)).toBe(2);
    st.count("active", endpointKey(eps[0]!), -1);
    expect(ipvsPick("lc", st, eps, ctx)).toBe(0);
  });

  it("balancer: ipvs sed ignores inactive connections and nq takes the first idle server", () => {
    const st = new ServicePortState();
    st.count("active", endpointKey(eps[0]!), 2);
    st.count("active", endpointKey(eps[1]!), 1);
    st.count("inactive", endpointKey(eps[2]!), 50);
    st.count("active", endpointKey(eps[2]!), 1);
    expect(ipvsPick("sed", st, eps, ctx)).toBe(1);
    expect(ipvsPick("nq", st, eps, ctx)).toBe(1);
    st.count("active", endpointKey(eps[2]!), -1);
    expect(ipvsPick("nq", st, eps, ctx)).toBe(2);
  });

  it("balancer: ipvs sh maps a client IP to one endpoint and spreads many clients", () => {
    const st = new ServicePortState();
    const first = ipvsPick("sh", st, eps, ctx);
    for (let i = 0; i < 20; i++) expect(ipvsPick("sh", st, eps, ctx)).toBe(first);
    const seen = new Set<number>();
    for (let i = 1; i <= 50; i++) seen.add(ipvsPick("sh", st, eps, { ...ctx, clientIP: `10.244.9.${i}` }));
    expect(seen.size).toBe(3);
    expect(shBucket("10.244.9.1")).toBeGreaterThanOrEqual(0);
    expect(shBucket("10.244.9.1")).toBeLessThan(256);
  });

  it("balancer: ipvs dh maps a destination to one endpoint whatever the client", () => {
    const st = new ServicePortState();
    const picks = new Set<number>();
    for (let i = 1; i <= 30; i++)
      picks.add(ipvsPick("dh", st, eps, { clientIP: `10.0.0.${i}`, dstIP: "10.96.0.10" }));
    expect(picks.size).toBe(1);
    // The kernel's multiplicative hash only keeps the low 8 bits: 0x0a60000a * 0x9e3779b1 & 0xff.
    expect(dhBucket("10.96.0.10")).toBe((10 * 0xb1) & 0xff);
  });

  it("balancer: modes dispatch to their pickers", () => {
    const st = new ServicePortState();
    expect(pickEndpoint("iptables", "rr", st, eps, ctx, () => 0.99).ip).toBe("10.244.3.9");
    expect(pickEndpoint("nftables", "rr", st, eps, ctx, () => 0.5).ip).toBe("10.244.2.7");
    expect(pickEndpoint("ipvs", "rr", st, eps, ctx, () => 0.99).ip).toBe("10.244.1.5");
  });

  it("balancer: ClientIP affinity sticks, refreshes on use and expires after the timeout", () => {
    const st = new ServicePortState();
    let r = 0.99;
    const pick = (now: number, client = "1.2.3.4") =>
      pickWithAffinity("iptables", "rr", st, eps, { ...ctx, clientIP: client }, () => r, 10, now).ip;
    expect(pick(0)).toBe("10.244.3.9");
    r = 0;
    expect(pick(9_000)).toBe("10.244.3.9");
    // Refreshed at 9 s, so still there at 18 s.
    expect(pick(18_000)).toBe("10.244.3.9");
    expect(pick(18_000, "5.6.7.8")).toBe("10.244.1.5");
    // 10 s after the last use it is gone, and a new choice is made and remembered.
    expect(pick(28_001)).toBe("10.244.1.5");
    r = 0.99;
    expect(pick(28_002)).toBe("10.244.1.5");
  });

  it("balancer: an affinity entry for an endpoint that is no longer a candidate is replaced", () => {
    const st = new ServicePortState();
    pickWithAffinity("iptables", "rr", st, eps, ctx, () => 0.99, 60, 0);
    const fewer = eps.slice(0, 2);
    expect(pickWithAffinity("iptables", "rr", st, fewer, ctx, () => 0, 60, 1).ip).toBe("10.244.1.5");
    expect(st.affinity.get(ctx.clientIP)?.ep).toBe("10.244.1.5:8080");
  });

  it("balancer: expireAffinity forgets entries older than the timeout", () => {
    const st = new ServicePortState();
    st.affinity.set("a", { ep: "x", at: 0 });
    st.affinity.set("b", { ep: "x", at: 5000 });
    st.expireAffinity(10_500, 10_000);
    expect([...st.affinity.keys()]).toEqual(["b"]);
  });
});
