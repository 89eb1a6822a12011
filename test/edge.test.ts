/**
 * The edge load balancer with a real API server: LoadBalancer Services get an address from the
 * pool, NodePorts and LoadBalancer addresses are published and spread over healthy nodes, and a
 * node failing its health check stops getting connections. Nodes are stand-ins here: a
 * kube-proxy /healthz and a NodePort listener on 127.0.1.2xx that answer with their node name
 * and the client address from the PROXY header.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, connect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestLog } from "@kemu/common";
import { R } from "@kemu/controllers";
import { Edge } from "@kemu/edge";
import { eventually, TestCluster, uniqueNamespace } from "./harness.ts";
import { createNode, TestClient } from "./fakes.ts";

let c: TestCluster;
let client: TestClient;
let edge: Edge;
const servers: (Server | HttpServer)[] = [];
const healthy = new Map<string, boolean>();
const NODES = [
  { name: "edge-1", index: 201 },
  { name: "edge-2", index: 202 },
  { name: "edge-3", index: 203 },
];

function listen(s: Server | HttpServer, port: number, host: string): Promise<void> {
  servers.push(s);
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, host, () => resolve());
  });
}

/** A stand-in node: kube-proxy's /healthz on 10256, and a NodePort answering "<node> <client>". */
async function standInNode(name: string, ip: string, nodePort: number): Promise<void> {
  healthy.set(name, true);
  await listen(
    createHttpServer((_req, res) => {
      res.writeHead(healthy.get(name) ? 200 : 503).end();
    }),
    10256,
    ip,
  );
  await listen(
    createServer((sock) => {
      let buf = "";
      sock.on("data", (d) => {
        buf += d.toString("latin1");
        const i = buf.indexOf("\r\n");
        if (i < 0) return;
        const client = /^PROXY TCP4 (\S+) /.exec(buf.slice(0, i))?.[1] ?? "none";
        sock.end(`${name} ${client}\n`);
      });
    }),
    nodePort,
    ip,
  );
}

function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("end", () => resolve(out.trim()));
    s.on("error", reject);
  });
}

beforeAll(async () => {
  c = await TestCluster.start();
  client = await TestClient.connect(c);
  for (const n of NODES) await createNode(client.api, n.name, { index: n.index });
  edge = await Edge.start({ nc: client.nc, log: new TestLog().logger("edge"), healthIntervalMs: 200 });
});

afterAll(async () => {
  await edge?.stop();
  for (const s of servers) s.close();
  await client?.close();
  await c?.stop();
});

describe("edge", () => {
  it("edge: a LoadBalancer Service gets an address from the pool, shown as EXTERNAL-IP", async () => {
    const ns = uniqueNamespace("lb");
    await client.api.create(R.namespaces, undefined, { metadata: { name: ns } });
    await client.api.create(R.services, ns, {
      metadata: { name: "web" },
      spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 8080 }] },
    });
    const svc = await eventually(async () => {
      const s = await client.api.get(R.services, ns, "web");
      return s?.["status"]?.["loadBalancer"]?.["ingress"]?.[0]?.["ip"] !== undefined;
    }).then(() => client.api.get(R.services, ns, "web"));
    const ip: string = svc!["status"]["loadBalancer"]["ingress"][0]["ip"];
    expect(ip).toMatch(/^127\.0\.2\.\d+$/);
    const row = (await c.kubectlOk(["get", "svc", "web", "-n", ns])).split("\n")[1]!;
    expect(row.split(/\s+/).slice(0, 5)).toEqual([
      "web",
      "LoadBalancer",
      svc!["spec"]["clusterIP"],
      ip,
      `8080:${svc!["spec"]["ports"][0]["nodePort"]}/TCP`,
    ]);

    // It spreads over healthy nodes, with the client's address in the PROXY header.
    const nodePort: number = svc!["spec"]["ports"][0]["nodePort"];
    for (const n of NODES) await standInNode(n.name, `127.0.1.${n.index}`, nodePort);
    await eventually(async () => edge.balancer.frontends().some((f) => f.host === ip));
    const seen = new Set<string>();
    await eventually(async () => {
      const answer = await ask(ip, 8080).catch(() => "");
      if (answer) {
        expect(answer.split(" ")[1]).toBe("127.0.0.1");
        seen.add(answer.split(" ")[0]!);
      }
      return seen.size === 3;
    });
    const viaNodePort = await ask("127.0.0.1", nodePort);
    expect(viaNodePort).toMatch(/^edge-\d 127\.0\.0\.1$/);

    // A node failing kube-proxy's health check stops getting new connections.
    healthy.set("edge-2", false);
    await eventually(async () => {
      const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => ask(ip, 8080)));
      return answers.every((a) => !a.startsWith("edge-2 "));
    });
    healthy.set("edge-2", true);
  });

  it("edge: changing the Service away from LoadBalancer releases its address and frontend", async () => {
    const ns = uniqueNamespace("lb2");
    await client.api.create(R.namespaces, undefined, { metadata: { name: ns } });
    await client.api.create(R.services, ns, {
      metadata: { name: "tmp" },
      spec: { type: "LoadBalancer", selector: { app: "x" }, ports: [{ port: 9090 }] },
    });
    await eventually(
      async () =>
        (await client.api.get(R.services, ns, "tmp"))?.["status"]?.["loadBalancer"]?.["ingress"] !==
        undefined,
    );
    await c.kubectlOk([
      "patch",
      "svc",
      "tmp",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"spec":{"type":"ClusterIP"}}',
    ]);
    await eventually(
      async () =>
        (await client.api.get(R.services, ns, "tmp"))?.["status"]?.["loadBalancer"]?.["ingress"] ===
        undefined,
    );
    await eventually(async () => !edge.balancer.frontends().some((f) => f.service === `${ns}/tmp`));
  });
});
