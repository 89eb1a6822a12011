/** Service semantics in the API server (defaulting, validation, allocation, type changes) through real kubectl. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCluster, uniqueNamespace } from "./harness.ts";

let c: TestCluster;
let ns: string;

beforeAll(async () => {
  c = await TestCluster.start();
  ns = uniqueNamespace("svc");
  await c.kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
  });
});

afterAll(async () => {
  await c?.stop();
});

function svc(name: string, spec: object): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec });
}

async function get(name: string): Promise<any> {
  return JSON.parse(await c.kubectlOk(["get", "svc", name, "-n", ns, "-o", "json"]));
}

describe("services", () => {
  it("services: a LoadBalancer with Local policy gets a healthCheckNodePort and shows <pending> until an address comes", async () => {
    await c.kubectlOk(["apply", "-f", "-"], {
      input: svc("lb", {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        selector: { app: "x" },
        ports: [{ port: 80 }],
      }),
    });
    const s = await get("lb");
    expect(s.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(s.spec.healthCheckNodePort).toBeLessThanOrEqual(32767);
    expect(s.spec.healthCheckNodePort).not.toBe(s.spec.ports[0].nodePort);
    expect(s.spec.allocateLoadBalancerNodePorts).toBe(true);
    const row = (await c.kubectlOk(["get", "svc", "lb", "-n", ns])).split("\n")[1]!;
    expect(row.split(/\s+/).slice(1, 5)).toEqual([
      "LoadBalancer",
      s.spec.clusterIP,
      "<pending>",
      `80:${s.spec.ports[0].nodePort}/TCP`,
    ]);
  });

  it("services: ExternalName has no ClusterIP and shows its name as EXTERNAL-IP; a bad name is Invalid", async () => {
    await c.kubectlOk(["apply", "-f", "-"], {
      input: svc("ext", { type: "ExternalName", externalName: "example.com" }),
    });
    const s = await get("ext");
    expect(s.spec.clusterIP).toBeUndefined();
    expect(
      (await c.kubectlOk(["get", "svc", "ext", "-n", ns])).split("\n")[1]!.split(/\s+/).slice(1, 5),
    ).toEqual(["ExternalName", "<none>", "example.com", "<none>"]);
    const bad = await c.kubectl(["apply", "-f", "-"], {
      input: svc("ext2", { type: "ExternalName", externalName: "Not_A_DNS_Name" }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'The Service "ext2" is invalid: spec.externalName: Invalid value: "Not_A_DNS_Name"',
    );
  });

  it("services: changing type allocates and releases node ports", async () => {
    await c.kubectlOk(["apply", "-f", "-"], {
      input: svc("flip", { selector: { app: "f" }, ports: [{ port: 80 }] }),
    });
    expect((await get("flip")).spec.ports[0].nodePort).toBeUndefined();
    await c.kubectlOk(["patch", "svc", "flip", "-n", ns, "-p", '{"spec":{"type":"NodePort"}}']);
    const port = (await get("flip")).spec.ports[0].nodePort;
    expect(port).toBeGreaterThanOrEqual(30000);
    // The port is taken while flip holds it ...
    const taken = await c.kubectl(["apply", "-f", "-"], {
      input: svc("thief", {
        type: "NodePort",
        selector: { app: "t" },
        ports: [{ port: 80, nodePort: port }],
      }),
    });
    expect(taken.stderr).toContain(
      `spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`,
    );
    // ... and free once flip goes back to ClusterIP.
    await c.kubectlOk(["patch", "svc", "flip", "-n", ns, "-p", '{"spec":{"type":"ClusterIP"}}']);
    expect((await get("flip")).spec.ports[0].nodePort).toBeUndefined();
    await c.kubectlOk(["apply", "-f", "-"], {
      input: svc("thief", {
        type: "NodePort",
        selector: { app: "t" },
        ports: [{ port: 80, nodePort: port }],
      }),
    });
    expect((await get("thief")).spec.ports[0].nodePort).toBe(port);
  });

  it("services: out-of-range addresses and ports, unnamed ports and bad affinity timeouts are Invalid", async () => {
    const cases: [object, string][] = [
      [
        { clusterIP: "10.0.0.5", ports: [{ port: 80 }] },
        'spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
      ],
      [
        { type: "NodePort", ports: [{ port: 80, nodePort: 40000 }] },
        "spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
      ],
      [{ ports: [{ port: 80 }, { port: 81 }] }, "spec.ports[0].name: Required value"],
      [
        {
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
          ports: [{ port: 80 }],
        },
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400",
      ],
    ];
    for (const [spec, message] of cases) {
      const r = await c.kubectl(["create", "-f", "-"], { input: svc("bad", spec) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });

  it("services: the ClusterIP is immutable", async () => {
    await c.kubectlOk(["apply", "-f", "-"], {
      input: svc("fixed", { clusterIP: "10.96.77.77", ports: [{ port: 80 }] }),
    });
    const r = await c.kubectl([
      "patch",
      "svc",
      "fixed",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"spec":{"clusterIP":"10.96.77.78","clusterIPs":["10.96.77.78"]}}',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.77.78"}: may not change once set',
    );
  });
});
