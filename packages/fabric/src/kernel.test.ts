/**
 * The kernel fabric's use of iproute2, with a fake `ip` that keeps a tiny model of lo's addresses
 * and the routing table and fails as the real one does (File exists, Cannot assign requested
 * address). The real `ip` runs in the compose suite (test/compose), inside node containers.
 */
import { describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { KernelFabric, type IpRunner } from "./kernel.ts";

/** A fake iproute2: lo's addresses and the routes, plus every command it was given. */
function fakeIp(initial: { addrs?: string[]; routes?: Record<string, string> } = {}) {
  const addrs = new Set(initial.addrs ?? []);
  const routes = new Map(Object.entries(initial.routes ?? {}));
  const calls: string[] = [];
  const ip: IpRunner = async (args) => {
    calls.push(args.join(" "));
    const [a, b, c] = args;
    if (a === "-o" && args.includes("addr")) {
      return [...addrs].map((x, i) => `${i + 1}: lo    inet ${x}/32 scope global lo\n`).join("");
    }
    if (a === "-4" && b === "route") {
      return [...routes].map(([cidr, via]) => `${cidr} via ${via} dev eth0 \n`).join("");
    }
    if (a === "addr" && b === "add") {
      const x = c!.split("/")[0]!;
      if (addrs.has(x)) throw new Error(`ip ${args.join(" ")}: RTNETLINK answers: File exists`);
      addrs.add(x);
      return "";
    }
    if (a === "addr" && b === "del") {
      const x = c!.split("/")[0]!;
      if (!addrs.delete(x))
        throw new Error(`ip ${args.join(" ")}: RTNETLINK answers: Cannot assign requested address`);
      return "";
    }
    if (a === "route" && b === "replace") {
      routes.set(c!, args[4]!);
      return "";
    }
    if (a === "route" && b === "del") {
      if (!routes.delete(c!)) throw new Error(`ip ${args.join(" ")}: RTNETLINK answers: No such process`);
      return "";
    }
    throw new Error(`unexpected ip ${args.join(" ")}`);
  };
  return { ip, addrs, routes, calls };
}

const log = new TestLog().logger("fabric");

describe("kernel fabric", () => {
  it("kernel fabric: pods listen on their own IPs, which go onto lo once, and are reached at those IPs", async () => {
    const f = fakeIp();
    const fabric = new KernelFabric({ nodeIP: "172.18.0.5", log, ip: f.ip });
    expect(fabric.nodeIP()).toBe("172.18.0.5");
    await fabric.addPodIP("10.244.1.2");
    await fabric.addPodIP("10.244.1.2"); // a restart: already there is fine
    expect([...f.addrs]).toEqual(["10.244.1.2"]);
    expect(fabric.podListenAddress("10.244.1.2", 80)).toEqual({ host: "10.244.1.2", port: 80 });
    // Any pod IP, on any node: the kernel routes it.
    expect(fabric.resolvePodPort("10.244.3.9", 6379, "TCP")).toEqual({ host: "10.244.3.9", port: 6379 });
    await fabric.removePodIP("10.244.1.2");
    await fabric.removePodIP("10.244.1.2"); // already gone is fine
    expect(f.addrs.size).toBe(0);
  });

  it("kernel fabric: service IPs go on and off lo for the data plane", async () => {
    const f = fakeIp();
    const fabric = new KernelFabric({ nodeIP: "172.18.0.5", log, ip: f.ip });
    await fabric.serviceIPs.add("10.96.0.10");
    expect(f.calls).toEqual(["addr add 10.96.0.10/32 dev lo"]);
    await fabric.serviceIPs.remove("10.96.0.10");
    expect(f.addrs.size).toBe(0);
  });

  it("kernel fabric: reset takes kemu's leftovers (pod and service /32s, pod routes) and nothing else", async () => {
    const f = fakeIp({
      addrs: ["10.244.1.7", "10.96.66.66", "192.168.9.9"],
      routes: { "10.244.2.0/24": "172.18.0.4", "10.0.0.0/8": "172.18.0.1" },
    });
    const fabric = new KernelFabric({ nodeIP: "172.18.0.5", log, ip: f.ip });
    await fabric.reset();
    expect([...f.addrs]).toEqual(["192.168.9.9"]);
    expect([...f.routes.keys()]).toEqual(["10.0.0.0/8"]);
  });

  it("kernel fabric: syncRoutes follows nodes joining, moving and leaving, touching only what changed", async () => {
    const f = fakeIp();
    const fabric = new KernelFabric({ nodeIP: "172.18.0.5", log, ip: f.ip });
    await fabric.syncRoutes([
      { cidr: "10.244.2.0/24", via: "172.18.0.4" },
      { cidr: "10.244.3.0/24", via: "172.18.0.6" },
    ]);
    expect(Object.fromEntries(f.routes)).toEqual({
      "10.244.2.0/24": "172.18.0.4",
      "10.244.3.0/24": "172.18.0.6",
    });
    f.calls.length = 0;
    // node-3 restarted with a new address; node-4 joined; node-2 unchanged.
    await fabric.syncRoutes([
      { cidr: "10.244.2.0/24", via: "172.18.0.4" },
      { cidr: "10.244.3.0/24", via: "172.18.0.9" },
      { cidr: "10.244.4.0/24", via: "172.18.0.7" },
    ]);
    expect(f.calls).toEqual([
      "route replace 10.244.3.0/24 via 172.18.0.9",
      "route replace 10.244.4.0/24 via 172.18.0.7",
    ]);
    // node-2 was deleted.
    f.calls.length = 0;
    await fabric.syncRoutes([
      { cidr: "10.244.3.0/24", via: "172.18.0.9" },
      { cidr: "10.244.4.0/24", via: "172.18.0.7" },
    ]);
    expect(f.calls).toEqual(["route del 10.244.2.0/24"]);
    expect(fabric.routes()).toEqual([
      { cidr: "10.244.3.0/24", via: "172.18.0.9" },
      { cidr: "10.244.4.0/24", via: "172.18.0.7" },
    ]);
  });

  it("kernel fabric: a route that cannot be installed is retried on the next sync", async () => {
    const f = fakeIp();
    let fail = true;
    const flaky: IpRunner = async (args) => {
      if (fail && args[1] === "replace")
        throw new Error("ip route replace: RTNETLINK answers: Network is unreachable");
      return f.ip(args);
    };
    const fabric = new KernelFabric({ nodeIP: "172.18.0.5", log, ip: flaky });
    const want = [{ cidr: "10.244.2.0/24", via: "172.18.0.4" }];
    await fabric.syncRoutes(want);
    expect(fabric.routes()).toEqual([]);
    fail = false;
    await fabric.syncRoutes(want);
    expect(fabric.routes()).toEqual(want);
  });
});
