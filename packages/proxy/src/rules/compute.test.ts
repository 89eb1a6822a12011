import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { NodeInfo, RuleSet } from "../types.ts";
import { computeRules } from "./compute.ts";
import { dumpRules } from "./dump.ts";
import {
  NODE_1,
  TEST_CONFIG,
  endpoint,
  makeEndpointSlice,
  makeService,
  terminating,
  walkthrough,
  type TestService,
} from "./fixtures.ts";

/** The dump of the rules node sees; compared with toBe so a failure shows a line diff. */
function dump(services: V1Service[], slices: V1EndpointSlice[], node: NodeInfo = NODE_1): string {
  return dumpRules(computeRules(services, slices, node, TEST_CONFIG));
}

/** An http port 80 -> 8080 Service at clusterIP. */
function httpService(name: string, clusterIP: string, mutate?: (s: TestService) => void): TestService {
  return makeService("ns1", name, (s) => {
    s.spec.clusterIP = clusterIP;
    s.spec.clusterIPs = [clusterIP];
    s.spec.ports = [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }];
    mutate?.(s);
  });
}

const HTTP_PORT = { name: "http", port: 8080, protocol: "TCP" };

describe("rules: which services get rules", () => {
  it("rules: headless, ExternalName, unallocated and IPv6-only services are not proxied", () => {
    const services = [
      httpService("headless", "None"),
      makeService("ns1", "external", (s) => {
        s.spec.type = "ExternalName";
        s.spec.externalName = "example.com";
        s.spec.ports = [{ port: 80 }];
      }),
      httpService("unallocated", ""),
      httpService("v6", "fd00::10"),
      httpService("proxied", "10.96.0.20"),
    ];
    expect(dump(services, [])).toBe(
      [
        "# node node-1 ip=127.0.1.1 mode=iptables",
        "ns1/proxied:http TCP 10.96.0.20:80",
        "  policy: internal=Cluster external=Cluster hasEndpoints=false localReady=0",
        "  cluster: -",
        "",
      ].join("\n"),
    );
  });

  it("rules: a dual-stack service is proxied on its IPv4 ClusterIP", () => {
    const svc = httpService("dual", "fd00::20", (s) => {
      s.spec.clusterIPs = ["fd00::20", "10.96.0.21"];
    });
    const rules = computeRules([svc], [], NODE_1, TEST_CONFIG);
    expect(rules.rules.map((r) => r.clusterIP)).toEqual(["10.96.0.21"]);
  });

  it("rules: one rule per service port, named ns/name:portName, with an unnamed single port", () => {
    const multi = makeService("ns1", "multi", (s) => {
      s.spec.clusterIP = "10.96.0.30";
      s.spec.ports = [
        { name: "http", port: 80, protocol: "TCP" },
        { name: "dns", port: 53, protocol: "UDP" },
      ];
    });
    const single = makeService("ns1", "single", (s) => {
      s.spec.clusterIP = "10.96.0.31";
      s.spec.ports = [{ port: 6379 }];
    });
    const rules = computeRules([single, multi], [], NODE_1, TEST_CONFIG);
    expect(rules.rules.map((r) => `${r.id} ${r.protocol} ${r.port}`)).toEqual([
      "ns1/multi:dns UDP 53",
      "ns1/multi:http TCP 80",
      "ns1/single: TCP 6379",
    ]);
  });
});

describe("rules: endpoints", () => {
  it("rules: endpoints are merged from all of a service's IPv4 slices, by port name and protocol", () => {
    const svc = makeService("ns1", "svc1", (s) => {
      s.spec.clusterIP = "10.96.0.40";
      s.spec.ports = [
        { name: "http", port: 80, protocol: "TCP" },
        { name: "metrics", port: 9090, protocol: "TCP" },
      ];
    });
    const slices = [
      makeEndpointSlice("ns1", "svc1", 1, (s) => {
        s.ports = [HTTP_PORT, { name: "metrics", port: 9100, protocol: "TCP" }];
        s.endpoints = [endpoint("10.244.1.10", "node-1"), endpoint("10.244.2.10", "node-2")];
      }),
      // Another slice of the same service (a second port group).
      makeEndpointSlice("ns1", "svc1", 2, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.3.10", "node-3")];
      }),
      // The same endpoint seen in two slices while it moves: counted once.
      makeEndpointSlice("ns1", "svc1", 3, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.3.10", "node-3")];
      }),
      // Same port name, other protocol: another ServicePortName.
      makeEndpointSlice("ns1", "svc1", 4, (s) => {
        s.ports = [{ name: "http", port: 8080, protocol: "UDP" }];
        s.endpoints = [endpoint("10.244.1.99", "node-1")];
      }),
      // IPv6 and FQDN slices, a slice without a port number, another service, another namespace.
      makeEndpointSlice("ns1", "svc1", 5, (s) => {
        s.addressType = "IPv6";
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("fd00::1", "node-1")];
      }),
      makeEndpointSlice("ns1", "svc1", 6, (s) => {
        s.addressType = "FQDN";
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("example.com", "node-1")];
      }),
      makeEndpointSlice("ns1", "svc1", 7, (s) => {
        s.ports = [{ name: "http", protocol: "TCP" }];
        s.endpoints = [endpoint("10.244.1.98", "node-1")];
      }),
      makeEndpointSlice("ns1", "other", 1, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.1.97", "node-1")];
      }),
      makeEndpointSlice("ns2", "svc1", 1, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.1.96", "node-1")];
      }),
    ];
    expect(dump([svc], slices)).toBe(
      [
        "# node node-1 ip=127.0.1.1 mode=iptables",
        "ns1/svc1:http TCP 10.96.0.40:80",
        "  policy: internal=Cluster external=Cluster hasEndpoints=true localReady=2",
        "  cluster:",
        "    10.244.1.10:8080 ready local node=node-1",
        "    10.244.2.10:8080 ready node=node-2",
        "    10.244.3.10:8080 ready node=node-3",
        "ns1/svc1:metrics TCP 10.96.0.40:9090",
        "  policy: internal=Cluster external=Cluster hasEndpoints=true localReady=2",
        "  cluster:",
        "    10.244.1.10:9100 ready local node=node-1",
        "    10.244.2.10:9100 ready node=node-2",
        "",
      ].join("\n"),
    );
  });

  it("rules: an unnamed endpoint port without name or protocol matches the unnamed TCP service port", () => {
    const svc = makeService("ns1", "svc1", (s) => {
      s.spec.clusterIP = "10.96.0.41";
      s.spec.ports = [{ port: 80 }];
    });
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [{ port: 8080 }];
      s.endpoints = [endpoint("10.244.1.2", "node-1")];
    });
    const [rule] = computeRules([svc], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(["10.244.1.2:8080"]);
  });

  it("rules: nil ready and serving mean true, nil terminating means false; podRef comes from targetRef", () => {
    const svc = httpService("svc1", "10.96.0.42");
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [
        endpoint("10.244.1.2", "node-1", (e) => {
          e.conditions = {};
          e.targetRef = { kind: "Pod", namespace: "ns1", name: "web-1" };
          e.zone = "zone-a";
        }),
      ];
    });
    const [rule] = computeRules([svc], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints).toEqual([
      {
        ip: "10.244.1.2",
        port: 8080,
        nodeName: "node-1",
        zone: "zone-a",
        ready: true,
        serving: true,
        terminating: false,
        isLocal: true,
        podRef: "ns1/web-1",
      },
    ]);
  });

  it("rules: a duplicate endpoint prefers the non-terminating copy (an IP reused by a new pod)", () => {
    const svc = httpService("svc1", "10.96.0.43");
    const slices = [
      makeEndpointSlice("ns1", "svc1", 1, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.1.2", "node-1", (e) => terminating(e))];
      }),
      makeEndpointSlice("ns1", "svc1", 2, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.1.2", "node-1")];
      }),
      makeEndpointSlice("ns1", "svc1", 3, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [endpoint("10.244.1.2", "node-1", (e) => terminating(e))];
      }),
    ];
    const [rule] = computeRules([svc], slices, NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints.map((e) => [e.ip, e.ready, e.terminating])).toEqual([
      ["10.244.1.2", true, false],
    ]);
  });
});

describe("rules: CategorizeEndpoints", () => {
  const mixed = () =>
    makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [
        endpoint("10.244.1.2", "node-1"),
        endpoint("10.244.1.3", "node-1", (e) => terminating(e)),
        endpoint("10.244.2.2", "node-2"),
        endpoint("10.244.2.3", "node-2", (e) => (e.conditions = { ready: false, serving: false })),
      ];
    });

  it("rules: Cluster policy uses the ready endpoints of every node", () => {
    const [rule] = computeRules([httpService("svc1", "10.96.0.50")], [mixed()], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints.map((e) => e.ip)).toEqual(["10.244.1.2", "10.244.2.2"]);
    expect(rule?.hasEndpoints).toBe(true);
    expect(rule?.localReadyEndpoints).toBe(1);
  });

  it("rules: with no ready endpoint anywhere, Cluster policy falls back to serving terminating ones", () => {
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [
        endpoint("10.244.1.3", "node-1", (e) => terminating(e)),
        endpoint("10.244.2.3", "node-2", (e) => terminating(e)),
        endpoint("10.244.2.4", "node-2", (e) => terminating(e, false)),
        endpoint("10.244.3.4", "node-3", (e) => (e.conditions = { ready: false, serving: true })),
      ];
    });
    const [rule] = computeRules([httpService("svc1", "10.96.0.51")], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints.map((e) => e.ip)).toEqual(["10.244.1.3", "10.244.2.3"]);
    expect(rule?.hasEndpoints).toBe(true);
    expect(rule?.localReadyEndpoints).toBe(0);
  });

  it("rules: endpoints that neither are ready nor serve while terminating leave the service without endpoints", () => {
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [
        endpoint("10.244.2.4", "node-2", (e) => terminating(e, false)),
        endpoint("10.244.3.4", "node-3", (e) => (e.conditions = { ready: false, serving: true })),
      ];
    });
    const [rule] = computeRules([httpService("svc1", "10.96.0.52")], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints).toEqual([]);
    expect(rule?.hasEndpoints).toBe(false);
  });

  it("rules: internalTrafficPolicy Local keeps only this node's endpoints for the ClusterIP", () => {
    const svc = httpService("svc1", "10.96.0.53", (s) => (s.spec.internalTrafficPolicy = "Local"));
    const onNode1 = computeRules([svc], [mixed()], NODE_1, TEST_CONFIG).rules[0];
    expect(onNode1?.clusterEndpoints.map((e) => e.ip)).toEqual(["10.244.1.2"]);
    expect(onNode1?.hasEndpoints).toBe(true);
    expect(onNode1?.externalEndpoints).toEqual([]);
    expect(onNode1?.clusterPolicyEndpoints).toBeUndefined();
    // node-4 has no endpoint of its own: nothing for its ClusterIP, though the service has endpoints.
    const onNode4 = computeRules([svc], [mixed()], { name: "node-4", ip: "127.0.1.4" }, TEST_CONFIG).rules[0];
    expect(onNode4?.clusterEndpoints).toEqual([]);
    expect(onNode4?.hasEndpoints).toBe(true);
  });

  it("rules: Local policy falls back to this node's serving terminating endpoints", () => {
    const svc = httpService("svc1", "10.96.0.54", (s) => (s.spec.internalTrafficPolicy = "Local"));
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [
        endpoint("10.244.1.3", "node-1", (e) => terminating(e)),
        endpoint("10.244.2.2", "node-2"),
      ];
    });
    const [rule] = computeRules([svc], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rule?.clusterEndpoints.map((e) => [e.ip, e.terminating])).toEqual([["10.244.1.3", true]]);
  });

  it("rules: externalTrafficPolicy Local keeps local endpoints for external traffic only", () => {
    const svc = httpService("svc1", "10.96.0.55", (s) => {
      s.spec.type = "NodePort";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.ports![0]!.nodePort = 30080;
    });
    const [rule] = computeRules([svc], [mixed()], NODE_1, TEST_CONFIG).rules;
    expect(rule?.externalPolicyLocal).toBe(true);
    expect(rule?.clusterEndpoints.map((e) => e.ip)).toEqual(["10.244.1.2", "10.244.2.2"]);
    expect(rule?.externalEndpoints.map((e) => e.ip)).toEqual(["10.244.1.2"]);
    expect(rule?.clusterPolicyEndpoints?.map((e) => e.ip)).toEqual(["10.244.1.2", "10.244.2.2"]);
    // A NodePort service is not a LoadBalancer: no health check node port even if one is set.
    expect(rule?.healthCheckNodePort).toBeUndefined();
  });

  it("rules: externalTrafficPolicy Local on a ClusterIP service is ignored", () => {
    const svc = httpService("svc1", "10.96.0.56", (s) => {
      s.spec.externalTrafficPolicy = "Local";
      s.spec.externalIPs = ["192.0.2.10"];
    });
    const [rule] = computeRules([svc], [mixed()], NODE_1, TEST_CONFIG).rules;
    expect(rule?.externalPolicyLocal).toBe(false);
    expect(rule?.externalEndpoints.map((e) => e.ip)).toEqual(["10.244.1.2", "10.244.2.2"]);
  });

  it("rules: both policies Local keep the Cluster-policy endpoints for short-circuited traffic", () => {
    const svc = httpService("svc1", "10.96.0.57", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.internalTrafficPolicy = "Local";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.healthCheckNodePort = 32000;
      s.spec.ports![0]!.nodePort = 30081;
      s.status.loadBalancer = { ingress: [{ ip: "127.0.2.5" }] };
    });
    expect(dump([svc], [mixed()], { name: "node-3", ip: "127.0.1.3" })).toBe(
      [
        "# node node-3 ip=127.0.1.3 mode=iptables",
        "ns1/svc1:http TCP 10.96.0.57:80 nodePort=30081 healthCheckNodePort=32000",
        "  loadBalancerIPs: 127.0.2.5",
        "  policy: internal=Local external=Local hasEndpoints=true localReady=0",
        "  cluster: -",
        "  external: -",
        "  cluster-policy:",
        "    10.244.1.2:8080 ready node=node-1",
        "    10.244.2.2:8080 ready node=node-2",
        "",
      ].join("\n"),
    );
  });

  it("rules: same-zone topology hints narrow Cluster endpoints when every ready endpoint has one", () => {
    const hinted = (ip: string, node: string, zone: string) =>
      endpoint(ip, node, (e) => {
        e.zone = zone;
        e.hints = { forZones: [{ name: zone }] };
      });
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [hinted("10.244.1.2", "node-1", "a"), hinted("10.244.2.2", "node-2", "b")];
    });
    const svc = httpService("svc1", "10.96.0.58");
    const ips = (node: NodeInfo, slices = [slice]) =>
      computeRules([svc], slices, node, TEST_CONFIG).rules[0]?.clusterEndpoints.map((e) => e.ip);
    expect(ips({ ...NODE_1, zone: "b" })).toEqual(["10.244.2.2"]);
    // No zone label on the node, or no endpoint hinted for its zone: hints are ignored.
    expect(ips(NODE_1)).toEqual(["10.244.1.2", "10.244.2.2"]);
    expect(ips({ ...NODE_1, zone: "c" })).toEqual(["10.244.1.2", "10.244.2.2"]);
    // One ready endpoint without a hint: hints are ignored.
    const partly = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT];
      s.endpoints = [hinted("10.244.1.2", "node-1", "a"), endpoint("10.244.2.2", "node-2")];
    });
    expect(ips({ ...NODE_1, zone: "a" }, [partly])).toEqual(["10.244.1.2", "10.244.2.2"]);
  });

  it("rules: localReadyEndpoints counts this node's ready endpoints over all of the service's ports", () => {
    const svc = makeService("ns1", "svc1", (s) => {
      s.spec.clusterIP = "10.96.0.59";
      s.spec.ports = [
        { name: "http", port: 80 },
        { name: "https", port: 443 },
      ];
    });
    const slice = makeEndpointSlice("ns1", "svc1", 1, (s) => {
      s.ports = [HTTP_PORT, { name: "https", port: 8443, protocol: "TCP" }];
      s.endpoints = [
        endpoint("10.244.1.2", "node-1"),
        endpoint("10.244.1.3", "node-1", (e) => terminating(e)),
        endpoint("10.244.2.2", "node-2"),
      ];
    });
    const rules = computeRules([svc], [slice], NODE_1, TEST_CONFIG).rules;
    expect(rules.map((r) => r.localReadyEndpoints)).toEqual([2, 2]);
  });
});

describe("rules: service fields", () => {
  it("rules: nodePort, external IPs, LoadBalancer VIPs (not Proxy-mode, IPv4 only), health check and affinity", () => {
    const svc = httpService("lb", "10.96.0.60", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalTrafficPolicy = "Local";
      s.spec.healthCheckNodePort = 32100;
      s.spec.ports![0]!.nodePort = 30090;
      s.spec.externalIPs = ["192.0.2.20", "192.0.2.3", "2001:db8::1"];
      s.spec.sessionAffinity = "ClientIP";
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 60 } };
      s.status.loadBalancer = {
        ingress: [
          { ip: "127.0.2.9" },
          { ip: "127.0.2.10", ipMode: "VIP" },
          { ip: "127.0.2.11", ipMode: "Proxy" },
          { hostname: "lb.example.com" },
        ],
      };
    });
    expect(dump([svc], [])).toBe(
      [
        "# node node-1 ip=127.0.1.1 mode=iptables",
        "ns1/lb:http TCP 10.96.0.60:80 nodePort=30090 healthCheckNodePort=32100 affinity=ClientIP/60s",
        "  externalIPs: 192.0.2.3 192.0.2.20",
        "  loadBalancerIPs: 127.0.2.9 127.0.2.10",
        "  policy: internal=Cluster external=Local hasEndpoints=false localReady=0",
        "  cluster: -",
        "  external: -",
        "  cluster-policy: -",
        "",
      ].join("\n"),
    );
  });

  it("rules: ClientIP affinity without a config uses the 10800 s default", () => {
    const svc = httpService("svc1", "10.96.0.61", (s) => (s.spec.sessionAffinity = "ClientIP"));
    expect(computeRules([svc], [], NODE_1, TEST_CONFIG).rules[0]?.affinityTimeoutSeconds).toBe(10_800);
    const none = httpService("svc1", "10.96.0.61");
    expect(computeRules([none], [], NODE_1, TEST_CONFIG).rules[0]?.affinityTimeoutSeconds).toBeUndefined();
  });

  it("rules: the output is canonical whatever order the informers list objects in", () => {
    const services = [
      httpService("b", "10.96.0.71"),
      httpService("a", "10.96.0.70"),
      httpService("c", "10.96.0.72"),
    ];
    const slices = ["a", "b", "c"].map((name, i) =>
      makeEndpointSlice("ns1", name, 1, (s) => {
        s.ports = [HTTP_PORT];
        s.endpoints = [
          endpoint(`10.244.1.${20 + i}`, "node-1"),
          endpoint(`10.244.1.${3 + i}`, "node-1"),
          endpoint(`10.244.10.${i}`, "node-2"),
        ];
      }),
    );
    const forward = computeRules(services, slices, NODE_1, TEST_CONFIG);
    const backward = computeRules([...services].reverse(), [...slices].reverse(), NODE_1, TEST_CONFIG);
    expect(backward).toEqual(forward);
    expect(forward.rules.map((r) => r.id)).toEqual(["ns1/a:http", "ns1/b:http", "ns1/c:http"]);
    // Numeric IP order, not string order.
    expect(forward.rules[0]?.clusterEndpoints.map((e) => e.ip)).toEqual([
      "10.244.1.3",
      "10.244.1.20",
      "10.244.10.0",
    ]);
  });

  it("rules: the RuleSet carries the node and the proxy mode", () => {
    const rules: RuleSet = computeRules(
      [],
      [],
      { ...NODE_1, zone: "a" },
      { ...TEST_CONFIG, mode: "ipvs", ipvsScheduler: "sh" },
    );
    expect(rules).toEqual({ node: { ...NODE_1, zone: "a" }, mode: "ipvs", ipvsScheduler: "sh", rules: [] });
    expect(dumpRules(rules)).toBe("# node node-1 ip=127.0.1.1 zone=a mode=ipvs/sh\n");
  });
});

describe("rules: golden", () => {
  const golden = (file: string, actual: string) => {
    const path = join(import.meta.dirname, "testdata", file);
    // UPDATE_GOLDEN=1 rewrites the file; review the diff before committing it.
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(path, actual);
    expect(actual).toBe(readFileSync(path, "utf8"));
  };

  it("rules: the walkthrough's services on node-1 (redis ClusterIP, linuxea NodePort, headless none-linuxea)", () => {
    const { services, slices } = walkthrough("None");
    golden("walkthrough-node-1.txt", dump(services, slices));
  });

  it("rules: the walkthrough after patching linuxea to sessionAffinity ClientIP, on node-2", () => {
    const { services, slices } = walkthrough("ClientIP");
    golden("walkthrough-clientip-node-2.txt", dump(services, slices, { name: "node-2", ip: "127.0.1.2" }));
  });
});
