/**
 * The walkthrough (../shared/seed/WALKTHROUGH.md) steps 1-3, 5, 7 and 8 as far as the API
 * server is concerned, with real kubectl. Pods and endpoints come from later components.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, TestCluster } from "./harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start();
});

afterAll(async () => {
  await c?.stop();
});

/** Splits kubectl table output into rows of cells. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));
}

describe("walkthrough (API)", () => {
  it("walkthrough: step 1 applies the redis Deployment", async () => {
    expect(await c.kubectlOk(["apply", "-f", fixture("redis.yaml")])).toBe("deployment.apps/redis created\n");
    const out = await c.kubectlOk(["get", "deployment", "redis"]);
    expect(rows(out)[0]).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    expect(rows(out)[1]?.slice(0, 2)).toEqual(["redis", "0/1"]);
  });

  it("walkthrough: step 2 creates the redis Service at 10.96.65.65", async () => {
    expect(await c.kubectlOk(["apply", "-f", fixture("svc-redis.yaml")])).toBe("service/redis created\n");
    const table = rows(await c.kubectlOk(["get", "svc"]));
    expect(table[0]).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    expect(table.find((r) => r[0] === "kubernetes")?.slice(0, 5)).toEqual([
      "kubernetes",
      "ClusterIP",
      "10.96.0.1",
      "<none>",
      "443/TCP",
    ]);
    expect(table.find((r) => r[0] === "redis")?.slice(0, 5)).toEqual([
      "redis",
      "ClusterIP",
      "10.96.65.65",
      "<none>",
      "6379/TCP",
    ]);
  });

  it("walkthrough: step 3 describes the redis Service", async () => {
    const out = await c.kubectlOk(["describe", "svc", "redis"]);
    expect(out).toMatch(/^Selector:\s+app=redis,role=Logstorage$/m);
    expect(out).toMatch(/^Type:\s+ClusterIP$/m);
    expect(out).toMatch(/^IP:\s+10\.96\.65\.65$/m);
    expect(out).toMatch(/^Port:\s+<unset>\s+6379\/TCP$/m);
    expect(out).toMatch(/^TargetPort:\s+6379\/TCP$/m);
    expect(out).toMatch(/^Session Affinity:\s+None$/m);
  });

  it("walkthrough: step 5 creates the linuxea NodePort Service", async () => {
    expect(await c.kubectlOk(["apply", "-f", fixture("linuxea.yaml")])).toBe("service/linuxea created\n");
    const table = rows(await c.kubectlOk(["get", "svc"]));
    expect(table.find((r) => r[0] === "linuxea")?.slice(0, 5)).toEqual([
      "linuxea",
      "NodePort",
      "10.96.66.66",
      "<none>",
      "80:31180/TCP",
    ]);
  });

  it("walkthrough: step 7 patches sessionAffinity to ClientIP", async () => {
    const out = await c.kubectlOk([
      "patch",
      "svc",
      "linuxea",
      "-p",
      '{"spec":{"sessionAffinity":"ClientIP"}}',
    ]);
    expect(out).toBe("service/linuxea patched\n");
    const d = await c.kubectlOk(["describe", "svc", "linuxea"]);
    expect(d).toMatch(/^Session Affinity:\s+ClientIP$/m);
    expect(d).toMatch(/^External Traffic Policy:\s+Cluster$/m);
    expect(d).toMatch(/^NodePort:\s+<unset>\s+31180\/TCP$/m);
    const svc = JSON.parse(await c.kubectlOk(["get", "svc", "linuxea", "-o", "json"]));
    expect(svc.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it("walkthrough: step 8 creates the headless none-linuxea Service", async () => {
    expect(await c.kubectlOk(["apply", "-f", fixture("none-linuxea.yaml")])).toBe(
      "service/none-linuxea created\n",
    );
    const table = rows(await c.kubectlOk(["get", "svc"]));
    expect(table.find((r) => r[0] === "none-linuxea")?.slice(0, 5)).toEqual([
      "none-linuxea",
      "ClusterIP",
      "None",
      "<none>",
      "80/TCP",
    ]);
  });

  it("walkthrough: re-applying unchanged manifests reports unchanged", async () => {
    for (const f of ["svc-redis.yaml", "none-linuxea.yaml"]) {
      expect(await c.kubectlOk(["apply", "-f", fixture(f)])).toMatch(/ unchanged\n$/);
    }
  });

  it("walkthrough: a second Service cannot take 10.96.65.65 or node port 31180", async () => {
    const taken = await c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "thief" },
        spec: { clusterIP: "10.96.65.65", ports: [{ port: 80 }] },
      }),
    });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(
      'The Service "thief" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.65.65"}: failed to allocate IP 10.96.65.65: provided IP is already allocated',
    );
    const port = await c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "thief" },
        spec: { type: "NodePort", ports: [{ port: 80, nodePort: 31180 }] },
      }),
    });
    expect(port.code).toBe(1);
    expect(port.stderr).toContain(
      'The Service "thief" is invalid: spec.ports[0].nodePort: Invalid value: 31180: provided port is already allocated',
    );
  });
});
