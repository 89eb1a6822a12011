import { describe, expect, it } from "vitest";
import { frontendsFor } from "./balancer.ts";
import { poolAddresses } from "./lbpool.ts";
import { autoLoadBalancerPool } from "./edge.ts";

function makeService(name: string, mutate: (s: Record<string, any>) => void): Record<string, any> {
  const s = {
    metadata: { namespace: "ns1", name },
    spec: { type: "ClusterIP", ports: [{ port: 80, protocol: "TCP" }] },
    status: {},
  };
  mutate(s);
  return s;
}

describe("edge", () => {
  it("edge: the pool is the CIDR without network and broadcast addresses", () => {
    const p = poolAddresses("127.0.2.0/24");
    expect(p).toHaveLength(254);
    expect(p[0]).toBe("127.0.2.1");
    expect(p[253]).toBe("127.0.2.254");
    expect(() => poolAddresses("nonsense")).toThrow(/invalid LoadBalancer pool/);
  });

  it("edge: frontends publish NodePorts on the edge host and LoadBalancer ports on their ingress IPs", () => {
    const np = makeService("np", (s) => {
      s["spec"].type = "NodePort";
      s["spec"].ports = [
        { port: 80, nodePort: 31180, protocol: "TCP" },
        { port: 53, nodePort: 31053, protocol: "UDP" },
      ];
    });
    const lb = makeService("lb", (s) => {
      s["spec"].type = "LoadBalancer";
      s["spec"].externalTrafficPolicy = "Local";
      s["spec"].healthCheckNodePort = 32000;
      s["spec"].ports = [{ port: 443, nodePort: 30443, protocol: "TCP" }];
      s["status"] = { loadBalancer: { ingress: [{ ip: "127.0.2.7" }] } };
    });
    const plain = makeService("plain", () => {});
    expect(
      frontendsFor([np, lb, plain], "127.0.0.1").map((f) => [f.id, f.nodePort, f.healthCheckNodePort]),
    ).toEqual([
      ["127.0.0.1:30443/TCP", 30443, 32000],
      ["127.0.0.1:31053/UDP", 31053, undefined],
      ["127.0.0.1:31180/TCP", 31180, undefined],
      ["127.0.2.7:443/TCP", 30443, 32000],
    ]);
  });
});

describe("edge: --lb-pool auto", () => {
  const iface = (address: string, cidr: string, internal = false) => ({
    address,
    cidr,
    internal,
    family: "IPv4" as const,
    netmask: "",
    mac: "",
  });

  it("edge: auto takes the top /28 of this host's network, which Docker's IPAM fills last", () => {
    expect(
      autoLoadBalancerPool({
        lo: [iface("127.0.0.1", "127.0.0.1/8", true)],
        eth0: [iface("172.18.0.7", "172.18.0.7/16")],
      }),
    ).toBe("172.18.255.240/28");
    expect(autoLoadBalancerPool({ eth0: [iface("192.168.48.3", "192.168.48.3/20")] })).toBe(
      "192.168.63.240/28",
    );
    expect(poolAddresses("172.18.255.240/28")).toHaveLength(14);
    expect(autoLoadBalancerPool({ lo: [iface("127.0.0.1", "127.0.0.1/8", true)] })).toBeUndefined();
  });
});
