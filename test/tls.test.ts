/**
 * HTTPS as kube-apiserver serves it: a cluster CA created on first start, a serving certificate
 * for the usual names, and a kubeconfig that trusts the CA, used by real kubectl and client-node.
 */
import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { run, ROOT, TestCluster } from "./harness.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await TestCluster.start({ tls: true });
});

afterAll(async () => {
  await c?.stop();
});

describe("tls", () => {
  it("tls: the API is served over HTTPS with a certificate for the apiserver's names", async () => {
    expect(c.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = new X509Certificate(
      await (await import("node:fs/promises")).readFile(join(c.dir, "pki", "apiserver.crt")),
    );
    for (const name of [
      "DNS:kubernetes.default.svc.cluster.local",
      "DNS:localhost",
      "IP Address:127.0.0.1",
      "IP Address:10.96.0.1",
    ]) {
      expect(cert.subjectAltName).toContain(name);
    }
    expect(cert.checkIssued(new X509Certificate(c.caPem!))).toBe(true);
  });

  it("tls: kubectl and client-node verify the server against the CA in the kubeconfig", async () => {
    expect(await c.kubectlOk(["get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"])).toBe(
      "10.96.0.1",
    );
    const core = c.kubeConfig().makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: "kube-system" });
    expect(ns.status?.phase).toBe("Active");
  });

  it("tls: a connection that starts with a PROXY line (kube-proxy's data plane) is served, and so is the kubernetes Service's endpoint", async () => {
    const port = Number(new URL(c.url).port);
    const raw = connect({ host: "127.0.0.1", port });
    await new Promise<void>((r) => raw.once("connect", () => r()));
    raw.write("PROXY TCP4 10.244.1.5 10.96.0.1 40000 443\r\n");
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${c.url}/version`,
        {
          ca: c.caPem!,
          createConnection: () => tlsConnect({ socket: raw, ca: c.caPem!, servername: "localhost" }),
        },
        (res) => {
          let b = "";
          res.setEncoding("utf8").on("data", (d: string) => (b += d));
          res.on("end", () => resolve(b));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body).gitVersion).toMatch(/^v1\.32\./);
    // The endpoint is an address Endpoints may hold (not loopback), at the API's port.
    const ep = await c.kubectlOk([
      "get",
      "endpoints",
      "kubernetes",
      "-o",
      "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}",
    ]);
    expect(ep).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+\\.\\d+:${port}$`));
    expect(ep.startsWith("127.")).toBe(false);
  });

  it("tls: a client without the CA is refused by certificate verification", async () => {
    const err = await new Promise<Error>((resolve) => {
      const req = request(`${c.url}/version`, (res) => resolve(new Error(`unexpected ${res.statusCode}`)));
      req.on("error", resolve);
      req.end();
    });
    expect(String(err)).toMatch(/self[- ]signed certificate|unable to verify/i);
  });

  it("tls: kemu kubeconfig writes a kubeconfig that trusts the cluster CA", async () => {
    const out = await run(process.execPath, [
      join(ROOT, "packages/cli/bin/kemu.js"),
      "kubeconfig",
      "--server",
      c.url,
      "--cert-dir",
      join(c.dir, "pki"),
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`certificate-authority-data: ${Buffer.from(c.caPem!).toString("base64")}`);
    const bad = await run(process.execPath, [
      join(ROOT, "packages/cli/bin/kemu.js"),
      "kubeconfig",
      "--server",
      c.url,
      "--cert-dir",
      join(c.dir, "nope"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid --cert-dir: no ca.crt in");
  });

  it("tls: the CA survives a restart and the serving certificate is reused", async () => {
    const before = c.caPem;
    await c.stopApiServer();
    await c.startApiServer();
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(c.dir, "pki", "ca.crt"), "utf8")).toBe(before);
    expect(await c.kubectlOk(["get", "ns", "default", "-o", "name"])).toBe("namespace/default\n");
  });
});
