import { describe, expect, it } from "vitest";
import { makeEndpointSlice, makeEndpoints, makeService, NOW, type TestService } from "./fixtures.ts";
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from "./services.ts";
import type { Plain } from "./types.ts";
import type { V1EndpointSlice, V1Endpoints } from "@kubernetes/client-node";

function row(svc: TestService): unknown[] {
  return servicePrinter.cells(svc, NOW);
}

describe("services", () => {
  it("services: column definitions match printers.go", () => {
    expect(servicePrinter.columns.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ["Name", "string", "name", 0],
      ["Type", "string", "", 0],
      ["Cluster-IP", "string", "", 0],
      ["External-IP", "string", "", 0],
      ["Port(s)", "string", "", 0],
      ["Age", "string", "", 0],
      ["Selector", "string", "", 1],
    ]);
  });

  it("services: the kubernetes ClusterIP service without a selector", () => {
    const svc = makeService("default", "kubernetes", (s) => {
      s.spec.clusterIP = "10.96.0.1";
      s.spec.clusterIPs = ["10.96.0.1"];
      s.spec.ports = [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }];
      s.spec.selector = undefined;
    });
    expect(row(svc)).toEqual(["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "5m", "<none>"]);
  });

  it("services: the walkthrough's redis ClusterIP service with its selector", () => {
    const svc = makeService("default", "redis", (s) => {
      s.spec.clusterIP = "10.96.65.65";
      s.spec.clusterIPs = ["10.96.65.65"];
      s.spec.ports = [{ port: 6379, protocol: "TCP", targetPort: 6379 }];
      s.spec.selector = { role: "Logstorage", app: "redis" };
    });
    expect(row(svc)).toEqual([
      "redis",
      "ClusterIP",
      "10.96.65.65",
      "<none>",
      "6379/TCP",
      "5m",
      "app=redis,role=Logstorage",
    ]);
  });

  it("services: kube-dns lists every port with its protocol", () => {
    const svc = makeService("kube-system", "kube-dns", (s) => {
      s.spec.ports = [
        { name: "dns", port: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, protocol: "TCP" },
        { name: "metrics", port: 9153, protocol: "TCP" },
      ];
    });
    expect(row(svc)[4]).toBe("53/UDP,53/TCP,9153/TCP");
  });

  it("services: NodePort shows port:nodePort", () => {
    const svc = makeService("default", "linuxea", (s) => {
      s.spec.type = "NodePort";
      s.spec.clusterIP = "10.96.66.66";
      s.spec.clusterIPs = ["10.96.66.66"];
      s.spec.ports = [{ port: 80, nodePort: 31180, protocol: "TCP", targetPort: 80 }];
      s.spec.selector = { app: "nginx", release: "www" };
    });
    expect(row(svc)).toEqual([
      "linuxea",
      "NodePort",
      "10.96.66.66",
      "<none>",
      "80:31180/TCP",
      "5m",
      "app=nginx,release=www",
    ]);
  });

  it("services: headless services show CLUSTER-IP None", () => {
    const svc = makeService("default", "none-linuxea", (s) => {
      s.spec.clusterIP = "None";
      s.spec.clusterIPs = ["None"];
    });
    expect(row(svc).slice(0, 5)).toEqual(["none-linuxea", "ClusterIP", "None", "<none>", "80/TCP"]);
  });

  it("services: ExternalName shows the external name and no cluster IP or ports", () => {
    const svc = makeService("default", "ext", (s) => {
      s.spec = { type: "ExternalName", externalName: "www.example.com" };
    });
    expect(row(svc)).toEqual(["ext", "ExternalName", "<none>", "www.example.com", "<none>", "5m", "<none>"]);
  });

  it("services: LoadBalancer without ingress is <pending>", () => {
    const svc = makeService("default", "lb", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.ports = [{ port: 80, nodePort: 30080, protocol: "TCP" }];
    });
    expect(row(svc).slice(1, 5)).toEqual(["LoadBalancer", "10.96.0.41", "<pending>", "80:30080/TCP"]);
  });

  it("services: LoadBalancer ingress IPs and hostnames are sorted, deduplicated and never clipped", () => {
    const svc = makeService("default", "lb", (s) => {
      s.spec.type = "LoadBalancer";
      s.status = {
        loadBalancer: {
          ingress: [
            { ip: "127.0.2.2" },
            { hostname: "a-very-long-load-balancer-name.example.com" },
            { ip: "127.0.2.1" },
            { ip: "127.0.2.2" },
          ],
        },
      };
    });
    expect(row(svc)[3]).toBe("127.0.2.1,127.0.2.2,a-very-long-load-balancer-name.example.com");
  });

  it("services: LoadBalancer lists ingress before spec.externalIPs", () => {
    const svc = makeService("default", "lb", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalIPs = ["192.0.2.10"];
      s.status = { loadBalancer: { ingress: [{ ip: "127.0.2.1" }] } };
    });
    expect(row(svc)[3]).toBe("127.0.2.1,192.0.2.10");
    const noIngress = makeService("default", "lb2", (s) => {
      s.spec.type = "LoadBalancer";
      s.spec.externalIPs = ["192.0.2.10"];
    });
    expect(row(noIngress)[3]).toBe("192.0.2.10");
  });

  it("services: ClusterIP and NodePort show spec.externalIPs joined by commas", () => {
    const svc = makeService("default", "ext-ips", (s) => {
      s.spec.externalIPs = ["192.0.2.10", "192.0.2.11"];
    });
    expect(row(svc)[3]).toBe("192.0.2.10,192.0.2.11");
  });

  it("services: objects without clusterIPs, type or protocol print as their defaulted form", () => {
    const svc = makeService("default", "raw", (s) => {
      s.spec = { clusterIP: "10.96.0.42", ports: [{ port: 8080 }] };
    });
    expect(row(svc).slice(1, 5)).toEqual(["ClusterIP", "10.96.0.42", "<none>", "8080/TCP"]);
    const unknown = makeService("default", "odd", (s) => {
      s.spec.type = "Weird";
    });
    expect(row(unknown)[3]).toBe("<unknown>");
  });
});

describe("endpoints", () => {
  function ep(mutate: (e: Plain<V1Endpoints>) => void): unknown[] {
    return endpointsPrinter.cells(makeEndpoints("ns1", "web", mutate), NOW);
  }
  const addr = (...ips: string[]) => ips.map((ip) => ({ ip }));

  it("endpoints: no subsets is <none>", () => {
    expect(ep(() => {})).toEqual(["web", "<none>", "5m"]);
  });

  it("endpoints: up to three ip:port pairs are listed in full", () => {
    const cells = ep((e) => {
      e.subsets = [{ addresses: addr("10.244.1.5", "10.244.2.3", "10.244.3.4"), ports: [{ port: 80 }] }];
    });
    expect(cells).toEqual(["web", "10.244.1.5:80,10.244.2.3:80,10.244.3.4:80", "5m"]);
  });

  it("endpoints: beyond three the rest are counted", () => {
    const cells = ep((e) => {
      e.subsets = [
        { addresses: addr("10.244.1.5", "10.244.2.3"), ports: [{ port: 80 }] },
        { addresses: addr("10.244.3.4", "10.244.3.5"), ports: [{ port: 80 }] },
      ];
    });
    expect(cells[1]).toBe("10.244.1.5:80,10.244.2.3:80,10.244.3.4:80 + 1 more...");
  });

  it("endpoints: every address is paired with every port of its subset", () => {
    const cells = ep((e) => {
      e.subsets = [{ addresses: addr("10.244.1.5", "10.244.2.3"), ports: [{ port: 80 }, { port: 443 }] }];
    });
    expect(cells[1]).toBe("10.244.1.5:80,10.244.2.3:80,10.244.1.5:443 + 1 more...");
  });

  it("endpoints: subsets without ports list bare IPs; IPv6 gets brackets", () => {
    expect(ep((e) => (e.subsets = [{ addresses: addr("10.244.1.5") }]))[1]).toBe("10.244.1.5");
    expect(ep((e) => (e.subsets = [{ addresses: addr("fd00::5"), ports: [{ port: 80 }] }]))[1]).toBe(
      "[fd00::5]:80",
    );
  });

  it("endpoints: a subset with only not-ready addresses lists nothing", () => {
    expect(
      ep((e) => (e.subsets = [{ notReadyAddresses: addr("10.244.1.5"), ports: [{ port: 80 }] }]))[1],
    ).toBe("");
  });
});

describe("endpointslices", () => {
  function slice(mutate: (s: Plain<V1EndpointSlice>) => void): unknown[] {
    return endpointSlicePrinter.cells(makeEndpointSlice("ns1", "web-abc12", mutate), NOW);
  }

  it("endpointslices: column definitions match printers.go", () => {
    expect(endpointSlicePrinter.columns.map((c) => c.name)).toEqual([
      "Name",
      "AddressType",
      "Ports",
      "Endpoints",
      "Age",
    ]);
  });

  it("endpointslices: empty ports and endpoints are <unset>", () => {
    expect(slice(() => {})).toEqual(["web-abc12", "IPv4", "<unset>", "<unset>", "5m"]);
  });

  it("endpointslices: ports and addresses, the rest counted beyond three", () => {
    const cells = slice((s) => {
      s.ports = [{ name: "http", port: 80, protocol: "TCP" }];
      s.endpoints = [
        { addresses: ["10.244.1.5"], conditions: { ready: true } },
        { addresses: ["10.244.2.3"], conditions: { ready: true } },
        { addresses: ["10.244.3.4"], conditions: { ready: false } },
        { addresses: ["10.244.3.5"] },
        { addresses: ["10.244.3.6"] },
      ];
    });
    expect(cells).toEqual(["web-abc12", "IPv4", "80", "10.244.1.5,10.244.2.3,10.244.3.4 + 2 more...", "5m"]);
  });

  it("endpointslices: a port without a number shows its name, or * without either", () => {
    const cells = slice((s) => {
      s.ports = [{ name: "http" }, {}, { port: 443 }, { port: 8443 }];
    });
    expect(cells[2]).toBe("http,*,443 + 1 more...");
  });
});
