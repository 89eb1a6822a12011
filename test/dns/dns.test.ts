/**
 * Cluster DNS on the real path: nats-server, `kemu apiserver` and `kemu controller-manager`
 * processes; Services created with real kubectl, EndpointSlices made by the controllers from
 * pods the test binds to nodes and marks Ready through the status subresource; ClusterDNS
 * following them over NATS, queried with real dig over UDP and TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterDNS } from "@kemu/dns";
import { TestLog } from "@kemu/common";
import { R, type ApiClient, type KObject } from "@kemu/controllers";
import { TestCluster, fixture, retrying, run, uniqueNamespace } from "../harness.ts";
import { TestClient, createNode, renewLease } from "../fakes.ts";

let c: TestCluster;
let tc: TestClient;
let api: ApiClient;
let dns: ClusterDNS;
let heartbeat: NodeJS.Timeout;
const NODES = { "node-1": 1, "node-2": 2, "node-3": 3 };

beforeAll(async () => {
  c = await TestCluster.start({ controllers: true });
  tc = await TestClient.connect(c);
  api = tc.api;
  for (const [name, index] of Object.entries(NODES)) await createNode(api, name, { index });
  // Fresh leases keep the node lifecycle controller from marking the test's pods NotReady.
  heartbeat = setInterval(() => {
    for (const name of Object.keys(NODES)) void renewLease(api, name).catch(() => {});
  }, 10_000);
  dns = new ClusterDNS({ log: new TestLog().logger("dns"), api, zone: "cluster.local", ttl: 5 });
  await dns.start({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  clearInterval(heartbeat);
  await dns?.stop();
  await tc?.close();
  await c?.stop();
});

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Creates a pod bound to node, then gives it a Running, Ready status with ip, as a kubelet would. */
async function readyPod(
  ns: string,
  name: string,
  node: string,
  ip: string,
  mutate: (p: KObject) => void = () => {},
): Promise<void> {
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "nginx", release: "www" } },
    spec: {
      nodeName: node,
      containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80 }] }],
    },
  };
  mutate(pod);
  await api.create(R.pods, ns, pod);
  const at = rfc3339(new Date());
  const hostIP = `127.0.1.${node.slice(-1)}`;
  await api.patch(
    R.pods,
    ns,
    name,
    { status: { phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP, startTime: at } },
    { subresource: "status" },
  );
  const cond = (type: string) => ({ type, status: "True", lastTransitionTime: at });
  await api.patch(
    R.pods,
    ns,
    name,
    { status: { conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map(cond) } },
    { subresource: "status" },
  );
}

/** What dig printed, parsed. */
interface Dig {
  status: string;
  flags: string[];
  answers: string[][];
  authority: string[][];
  raw: string;
}

/** Runs real dig against ClusterDNS. */
async function dig(args: string[]): Promise<Dig> {
  const r = await run(
    "dig",
    ["@127.0.0.1", "-p", String(dns.port), "+norec", "+time=2", "+tries=1", ...args],
    {
      timeoutMs: 10_000,
    },
  );
  if (r.code !== 0) throw new Error(`dig ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  const section = (title: string) => {
    const lines = r.stdout.split("\n");
    const at = lines.indexOf(`;; ${title} SECTION:`);
    if (at < 0) return [];
    const out: string[][] = [];
    for (const l of lines.slice(at + 1)) {
      if (!l.trim()) break;
      out.push(l.trim().split(/\s+/));
    }
    return out;
  };
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? "";
  const flags = (/;; flags: ([^;]*);/.exec(r.stdout)?.[1] ?? "").trim().split(/\s+/);
  return { status, flags, answers: section("ANSWER"), authority: section("AUTHORITY"), raw: r.stdout };
}

/** Polls dig (bounded) until check accepts what it printed. */
function digUntil(args: string[], check: (d: Dig) => void): Promise<Dig> {
  return retrying(async () => {
    const d = await dig(args);
    try {
      check(d);
    } catch (err) {
      throw new Error(`${String(err)}\n${d.raw}`, { cause: err });
    }
    return d;
  }, 20_000);
}

describe("cluster DNS", () => {
  it("dns: walkthrough step 8: the headless Service answers the three Ready pod IPs, aa, TTL 5", async () => {
    await c.kubectlOk(["apply", "-f", fixture("none-linuxea.yaml"), "-f", fixture("linuxea.yaml")]);
    const ips = ["10.244.1.11", "10.244.2.12", "10.244.3.13"];
    await Promise.all(ips.map((ip, i) => readyPod("default", `nginx-${i}`, `node-${i + 1}`, ip)));
    const d = await digUntil(["none-linuxea.default.svc.cluster.local", "A"], (x) => {
      expect(x.status).toBe("NOERROR");
      expect(x.answers.map((a) => a[4]).sort()).toEqual(ips);
    });
    expect(d.flags).toContain("aa");
    for (const a of d.answers)
      expect(a.slice(0, 4)).toEqual(["none-linuxea.default.svc.cluster.local.", "5", "IN", "A"]);
    // Each endpoint's own name and its PTR.
    const own = await dig(["10-244-2-12.none-linuxea.default.svc.cluster.local", "A"]);
    expect(own.answers.map((a) => a[4])).toEqual(["10.244.2.12"]);
    const ptr = await dig(["-x", "10.244.2.12"]);
    expect(ptr.answers.map((a) => a[4])).toEqual(["10-244-2-12.none-linuxea.default.svc.cluster.local."]);
    // The ClusterIP Service over the same pods.
    const svc = await dig(["linuxea.default.svc.cluster.local", "A"]);
    expect([svc.status, svc.answers.map((a) => a[4])]).toEqual(["NOERROR", ["10.96.66.66"]]);
    const rev = await dig(["-x", "10.96.66.66"]);
    expect(rev.answers.map((a) => a[4])).toEqual(["linuxea.default.svc.cluster.local."]);
  });

  it("dns: a new ClusterIP Service resolves, with SRV for its named port, and NODATA for AAAA", async () => {
    const ns = uniqueNamespace("dns");
    await c.kubectlOk(["create", "namespace", ns]);
    const args = ["-n", ns, "create", "service", "clusterip", "web", "--tcp=8080:80", "-o", "json"];
    const ip = String(JSON.parse(await c.kubectlOk(args)).spec.clusterIP);
    // How fast it becomes resolvable is a benchmark's question; here it must become resolvable.
    await digUntil([`web.${ns}.svc.cluster.local`, "A"], (d) => {
      expect([d.status, d.answers.map((a) => a[4])]).toEqual(["NOERROR", [ip]]);
    });
    // kubectl names the port "8080-80".
    const srv = await dig([`_8080-80._tcp.web.${ns}.svc.cluster.local`, "SRV"]);
    expect(srv.answers.map((a) => a.slice(3))).toEqual([
      ["SRV", "0", "100", "8080", `web.${ns}.svc.cluster.local.`],
    ]);
    const aaaa = await dig([`web.${ns}.svc.cluster.local`, "AAAA"]);
    expect([aaaa.status, aaaa.answers.length, aaaa.authority[0]?.[3]]).toEqual(["NOERROR", 0, "SOA"]);
  });

  it("dns: headless SRV points at pod hostnames; ExternalName is a CNAME", async () => {
    const ns = uniqueNamespace("dns");
    await c.kubectlOk(["create", "namespace", ns]);
    await c.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: ns },
        spec: { clusterIP: "None", selector: { app: "nginx" }, ports: [{ name: "http", port: 80 }] },
      }),
    });
    await c.kubectlOk(["-n", ns, "create", "service", "externalname", "ext", "--external-name=example.com"]);
    await readyPod(ns, "web-0", "node-1", "10.244.1.21", (p) => {
      p["spec"]["hostname"] = "web-0";
      p["spec"]["subdomain"] = "web";
    });
    const srv = await digUntil([`_http._tcp.web.${ns}.svc.cluster.local`, "SRV"], (d) => {
      expect(d.answers.map((a) => a.slice(3))).toEqual([
        ["SRV", "0", "100", "80", `web-0.web.${ns}.svc.cluster.local.`],
      ]);
    });
    expect(srv.flags).toContain("aa");
    const host = await dig([`web-0.web.${ns}.svc.cluster.local`, "A"]);
    expect(host.answers.map((a) => a[4])).toEqual(["10.244.1.21"]);
    const cname = await digUntil([`ext.${ns}.svc.cluster.local`, "CNAME"], (d) => {
      expect(d.answers.map((a) => a.slice(3))).toEqual([["CNAME", "example.com."]]);
    });
    expect(cname.status).toBe("NOERROR");
  });

  it("dns: a large answer is truncated over UDP without EDNS and dig retries over TCP", async () => {
    const ns = uniqueNamespace("dns");
    await c.kubectlOk(["create", "namespace", ns]);
    await c.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "many", namespace: ns },
        spec: { clusterIP: "None", selector: { app: "nginx" }, ports: [{ name: "http", port: 80 }] },
      }),
    });
    // 40 A records do not fit in 512 bytes.
    const ips = Array.from({ length: 40 }, (_, i) => `10.244.${(i % 3) + 1}.${100 + i}`);
    await Promise.all(ips.map((ip, i) => readyPod(ns, `many-${i}`, `node-${(i % 3) + 1}`, ip)));
    const name = `many.${ns}.svc.cluster.local`;
    await digUntil(["+tcp", name, "A"], (d) => expect(d.answers).toHaveLength(40));
    const truncated = await dig(["+noedns", "+ignore", name, "A"]);
    expect([truncated.status, truncated.answers.length]).toEqual(["NOERROR", 0]);
    expect(truncated.flags).toContain("tc");
    const retried = await dig(["+noedns", name, "A"]);
    expect(retried.raw).toMatch(/Truncated, retrying in TCP mode/);
    expect(retried.answers.map((a) => a[4]).sort()).toEqual([...ips].sort());
    // dig's default EDNS buffer (1232) holds them all over UDP.
    const edns = await dig([name, "A"]);
    expect([edns.flags.includes("tc"), edns.answers.length]).toEqual([false, 40]);
  });

  it("dns: dns-version TXT, NXDOMAIN with SOA, pod names, REFUSED outside the zone, and +tcp", async () => {
    const txt = await dig(["dns-version.cluster.local", "TXT"]);
    expect(txt.answers.map((a) => a.slice(3))).toEqual([["TXT", '"1.1.0"']]);
    const nx = await dig(["nope.default.svc.cluster.local", "A"]);
    expect([nx.status, nx.answers.length, nx.authority[0]?.[3]]).toEqual(["NXDOMAIN", 0, "SOA"]);
    const pod = await dig(["10-244-1-11.default.pod.cluster.local", "A"]);
    expect(pod.answers.map((a) => a[4])).toEqual(["10.244.1.11"]);
    const outside = await dig(["example.com", "A"]);
    expect(outside.status).toBe("REFUSED");
    const tcp = await dig(["+tcp", "none-linuxea.default.svc.cluster.local", "A"]);
    expect([tcp.status, tcp.answers.length]).toEqual(["NOERROR", 3]);
    expect(tcp.raw).toMatch(/\(TCP\)/);
  });
});
