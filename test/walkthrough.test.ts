/**
 * The article's walkthrough (../shared/seed/WALKTHROUGH.md), steps 1-9, on `kemu up --nodes 3`
 * with real kubectl, curl and dig: the loopback fabric, node N at 127.0.1.N, NodePort 31180.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, fixture, freeUdpTcpPort, retrying, ROOT, run, type RunResult } from "./harness.ts";

const KEMU = join(ROOT, "packages/cli/bin/kemu.js");
let stateDir: string;
let kubeconfig: string;
let dnsPort: number;

function kubectl(...args: string[]): Promise<RunResult> {
  return run("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), ...args]);
}

function kubectlInput(input: string, ...args: string[]): Promise<RunResult> {
  return run("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), ...args], {
    input,
  });
}

async function kubectlOk(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** One request on a fresh connection, as `curl` in the article's loop makes it. */
async function curl(url: string, extra: string[] = []): Promise<RunResult> {
  return run("curl", ["-s", "--max-time", "3", ...extra, url]);
}

/** The pod name an nginx-like answer carries: `linuxea-<pod>.com ▍ <id> ▍version number 1.0`. */
/**
 * The header flags cluster DNS answers with: `ra` (recursion available) when CoreDNS can forward,
 * that is when the host's resolv.conf names a nameserver, as in the article.
 */
const DNS_FLAGS = /^\s*nameserver\s/m.test(readFileSync("/etc/resolv.conf", "utf8"))
  ? "qr aa rd ra"
  : "qr aa rd";

function podOf(answer: string): string {
  const m = /^linuxea-(\S+)\.com ▍/.exec(answer.trim());
  if (!m) throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
  return m[1]!;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "kemu-walkthrough-"));
  kubeconfig = join(stateDir, "kubeconfig");
  dnsPort = await freeUdpTcpPort();
  const up = await run(
    process.execPath,
    [
      KEMU,
      "up",
      "--nodes",
      "3",
      "--detach",
      "--state-dir",
      stateDir,
      "--api-port",
      "0",
      "--dns-port",
      String(dnsPort),
    ],
    {
      timeoutMs: 180_000,
    },
  );
  if (up.code !== 0) throw new Error(`kemu up failed: ${up.stdout}${up.stderr}`);
  expect(up.stdout).toContain("Cluster is ready.");
  expect(up.stdout).toContain(`cluster DNS: dig @127.0.0.1 -p ${dnsPort} `);
}, 200_000);

afterAll(async () => {
  if (stateDir) {
    await run(process.execPath, [KEMU, "down", "--state-dir", stateDir], { timeoutMs: 60_000 });
    await rm(stateDir, { recursive: true, force: true });
  }
}, 90_000);

describe("walkthrough on kemu up", () => {
  it("walkthrough: three Ready nodes at 127.0.1.1-3", async () => {
    const out = await kubectlOk("get", "nodes", "-o", "wide");
    for (const n of [1, 2, 3])
      expect(out).toMatch(
        new RegExp(`^node-${n}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-kemu\\s+127\\.0\\.1\\.${n}\\s`, "m"),
      );
  });

  it("walkthrough: step 1, redis runs as redis-<hash>-<id>, 1/1 Running with a pod IP and a node", async () => {
    expect(await kubectlOk("apply", "-f", fixture("redis.yaml"))).toBe("deployment.apps/redis created\n");
    await kubectlOk("rollout", "status", "deployment/redis", "--timeout=60s");
    const out = await kubectlOk("get", "pods", "-o", "wide", "-l", "app=redis");
    expect(out).toMatch(
      /^redis-[a-z0-9]{8,10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.[1-3]\.\d+\s+node-[1-3]\s/m,
    );
  });

  it("walkthrough: steps 2-3, the redis Service gets its endpoint", async () => {
    expect(await kubectlOk("apply", "-f", fixture("svc-redis.yaml"))).toBe("service/redis created\n");
    const ip = (
      await kubectlOk("get", "pods", "-l", "app=redis", "-o", "jsonpath={.items[0].status.podIP}")
    ).trim();
    await eventually(async () =>
      /^Endpoints:\s+\S+:6379$/m.test(await kubectlOk("describe", "svc", "redis")),
    );
    const d = await kubectlOk("describe", "svc", "redis");
    expect(d).toMatch(new RegExp(`^Endpoints:\\s+${ip.replace(/\./g, "\\.")}:6379$`, "m"));
    expect(d).toMatch(/^IP:\s+10\.96\.65\.65$/m);
  });

  it("walkthrough: steps 4-6, one nginx pod per node, and a fresh-connection curl loop reaches all three", async () => {
    expect(await kubectlOk("apply", "-f", fixture("nginx.yaml"))).toBe(
      "daemonset.apps/nginx-linuxea created\n",
    );
    await kubectlOk("rollout", "status", "daemonset/nginx-linuxea", "--timeout=60s");
    const pods = await kubectlOk("get", "pods", "-o", "wide", "--show-labels", "-l", "app=nginx");
    const rows = pods.trim().split("\n").slice(1);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatch(/^nginx-linuxea-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d\.\d+\s+node-\d/);
      expect(r).toMatch(
        /app=nginx,controller-revision-hash=[a-z0-9]+,pod-template-generation=1,release=www$/,
      );
    }
    expect(new Set(rows.map((r) => r.split(/\s+/)[6])).size).toBe(3);
    expect(await kubectlOk("apply", "-f", fixture("linuxea.yaml"))).toBe("service/linuxea created\n");
    expect(await kubectlOk("get", "svc", "linuxea")).toMatch(
      /^linuxea\s+NodePort\s+10\.96\.66\.66\s+<none>\s+80:31180\/TCP\s/m,
    );
    const names = rows.map((r) => r.split(/\s+/)[0]!);
    const seen = new Set<string>();
    await eventually(
      async () => {
        const r = await curl("http://127.0.1.1:31180/linuxea.html");
        if (r.code === 0 && r.stdout) seen.add(podOf(r.stdout));
        return seen.size === 3;
      },
      { what: "answers from all three nginx pods", timeoutMs: 60_000, intervalMs: 10 },
    );
    expect([...seen].sort()).toEqual([...names].sort());
  });

  it("walkthrough: step 7, ClientIP session affinity keeps the loop on one pod", async () => {
    expect(await kubectlOk("patch", "svc", "linuxea", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')).toBe(
      "service/linuxea patched\n",
    );
    const d = await kubectlOk("describe", "svc", "linuxea");
    expect(d).toMatch(/^Session Affinity:\s+ClientIP$/m);
    expect(d).toMatch(/^External Traffic Policy:\s+Cluster$/m);
    expect(d).toMatch(/^NodePort:\s+<unset>\s+31180\/TCP$/m);
    expect(d).toMatch(/^Endpoints:\s+10\.244\.\d\.\d+:80,10\.244\.\d\.\d+:80,10\.244\.\d\.\d+:80$/m);
    // The node's rules follow the patch; then every fresh connection lands on one pod. Twenty
    // connections at once: without affinity, all on one of three pods is a 1-in-10^9 chance.
    await eventually(async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => curl("http://127.0.1.2:31180/linuxea.html")),
      );
      return new Set(answers.map((a) => podOf(a.stdout))).size === 1;
    });
    const loop: string[] = [];
    for (let i = 0; i < 20; i++) loop.push(podOf((await curl("http://127.0.1.2:31180/linuxea.html")).stdout));
    expect(new Set(loop).size).toBe(1);
  });

  it("walkthrough: steps 8-9, the headless Service resolves to the three pod IPs through the cluster DNS", async () => {
    expect(await kubectlOk("apply", "-f", fixture("none-linuxea.yaml"))).toBe(
      "service/none-linuxea created\n",
    );
    expect(await kubectlOk("get", "svc", "none-linuxea")).toMatch(
      /^none-linuxea\s+ClusterIP\s+None\s+<none>\s+80\/TCP\s/m,
    );
    await kubectlOk("-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=60s");
    const port = String(JSON.parse(await readFile(join(stateDir, "run.json"), "utf8")).dnsPort);
    expect(port).toBe(String(dnsPort));
    const podIPs = (
      await kubectlOk("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[*].status.podIP}")
    )
      .trim()
      .split(" ")
      .sort();
    let out = "";
    await eventually(async () => {
      out = (
        await run("dig", ["-t", "A", "none-linuxea.default.svc.cluster.local.", "@127.0.0.1", "-p", port])
      ).stdout;
      return /status: NOERROR/.test(out) && /ANSWER: 3,/.test(out);
    });
    expect(out).toContain(`;; flags: ${DNS_FLAGS};`);
    const answers = [
      ...out.matchAll(/^none-linuxea\.default\.svc\.cluster\.local\.\s+(\d+)\s+IN\s+A\s+(\S+)$/gm),
    ];
    expect(answers.map((m) => m[1])).toEqual(["5", "5", "5"]);
    expect(answers.map((m) => m[2]).sort()).toEqual(podIPs);
    // A Service with a ClusterIP answers that IP, over UDP and TCP.
    for (const transport of ["+notcp", "+tcp"]) {
      const a = await run("dig", [
        "+short",
        transport,
        "linuxea.default.svc.cluster.local",
        "@127.0.0.1",
        "-p",
        port,
      ]);
      expect(a.stdout.trim()).toBe("10.96.66.66");
    }
    // Step 9: an ExternalName Service is a CNAME to its external name.
    await kubectlOk("create", "service", "externalname", "ext", "--external-name=linuxea.example.com");
    await eventually(async () =>
      /ext\.default\.svc\.cluster\.local\.\s+5\s+IN\s+CNAME\s+linuxea\.example\.com\./.test(
        (await run("dig", ["ext.default.svc.cluster.local", "@127.0.0.1", "-p", port])).stdout,
      ),
    );
  });

  it("cluster DNS on kemu up answers every record type of the DNS spec", async () => {
    const port = String(JSON.parse(await readFile(join(stateDir, "run.json"), "utf8")).dnsPort);
    const dig = async (...args: string[]) => (await run("dig", [...args, "@127.0.0.1", "-p", port])).stdout;
    const short = async (...args: string[]) => (await dig("+short", ...args)).trim();
    // The schema version, SRV for a ClusterIP Service's named ports, PTR for its ClusterIP.
    expect(await short("-t", "TXT", "dns-version.cluster.local")).toBe('"1.1.0"');
    expect(await short("-t", "SRV", "_dns._udp.kube-dns.kube-system.svc.cluster.local")).toBe(
      "0 100 53 kube-dns.kube-system.svc.cluster.local.",
    );
    expect(await short("-x", "10.96.0.10")).toBe("kube-dns.kube-system.svc.cluster.local.");
    // IPv4-only names answer AAAA with no records; unknown names are NXDOMAIN, authoritatively.
    const aaaa = await dig("-t", "AAAA", "linuxea.default.svc.cluster.local");
    expect(aaaa).toMatch(/status: NOERROR/);
    expect(aaaa).toMatch(/ANSWER: 0,/);
    const nx = await dig("nosuch.default.svc.cluster.local");
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toContain(`;; flags: ${DNS_FLAGS};`);
    // Pod records in `pods insecure` mode.
    const podIP = (
      await kubectlOk("get", "pods", "-l", "app=redis", "-o", "jsonpath={.items[0].status.podIP}")
    ).trim();
    expect(await short(`${podIP.replaceAll(".", "-")}.default.pod.cluster.local`)).toBe(podIP);
    // A headless Service whose pod names itself into its subdomain: the pod's own A record,
    // SRV per named port pointing at it, and PTR from its IP.
    const applied = await kubectlInput(
      [
        "apiVersion: v1",
        "kind: Service",
        "metadata: {name: web}",
        "spec:",
        "  clusterIP: None",
        "  selector: {app: web}",
        "  ports: [{name: http, port: 8080}]",
        "---",
        "apiVersion: v1",
        "kind: Pod",
        "metadata: {name: web-0, labels: {app: web}}",
        "spec:",
        "  hostname: web-0",
        "  subdomain: web",
        "  containers: [{name: echo, image: kemu/echo, ports: [{name: http, containerPort: 8080}]}]",
      ].join("\n"),
      "apply",
      "-f",
      "-",
    );
    expect(applied.stdout).toBe("service/web created\npod/web-0 created\n");
    await kubectlOk("wait", "--for=condition=Ready", "pod/web-0", "--timeout=60s");
    const webIP = (await kubectlOk("get", "pod", "web-0", "-o", "jsonpath={.status.podIP}")).trim();
    await eventually(async () => (await short("web-0.web.default.svc.cluster.local")) === webIP);
    expect(await short("web.default.svc.cluster.local")).toBe(webIP);
    expect(await short("-t", "SRV", "_http._tcp.web.default.svc.cluster.local")).toBe(
      "0 100 8080 web-0.web.default.svc.cluster.local.",
    );
    expect(await short("-x", webIP)).toBe("web-0.web.default.svc.cluster.local.");
    // Names outside the zone go upstream (the host's resolver) or are refused: never a hang.
    const outside = await run("dig", ["+tries=1", "+time=5", "kemu.invalid", "@127.0.0.1", "-p", port]);
    expect(outside.code).toBe(0);
    expect(outside.stdout).toMatch(/status: (NOERROR|NXDOMAIN|SERVFAIL|REFUSED)/);
    expect(outside.stdout).not.toMatch(/;; flags: [^;]*\baa\b/);
    await kubectlOk("delete", "pod/web-0", "service/web", "--grace-period=0", "--force");
    // CoreDNS's metrics on :9153 of its pods, read from inside a pod: the SRV queries above were
    // counted by one replica or the other.
    const corednsIPs = (
      await kubectlOk(
        "-n",
        "kube-system",
        "get",
        "pods",
        "-l",
        "k8s-app=kube-dns",
        "-o",
        "jsonpath={.items[*].status.podIP}",
      )
    )
      .trim()
      .split(" ");
    expect(corednsIPs).toHaveLength(2);
    const redisPod = (
      await kubectlOk("get", "pods", "-l", "app=redis", "-o", "jsonpath={.items[0].metadata.name}")
    ).trim();
    let srv = 0;
    for (const ip of corednsIPs) {
      const m = await run(process.execPath, [
        KEMU,
        "curl",
        "--state-dir",
        stateDir,
        "--pod",
        `default/${redisPod}`,
        `http://${ip}:9153/metrics`,
      ]);
      expect(m.code).toBe(0);
      expect(m.stdout).toMatch(/^coredns_build_info\{version="1\.11\.3",/m);
      for (const line of m.stdout.matchAll(
        /^coredns_dns_requests_total\{[^}]*proto="udp"[^}]*type="SRV"\} (\d+)$/gm,
      ))
        srv += Number(line[1]);
    }
    expect(srv).toBeGreaterThanOrEqual(2);
  });

  it("walkthrough: externalTrafficPolicy Local shows the real client and drops on a node without a local pod", async () => {
    await kubectlOk("create", "deployment", "echo", "--image=kemu/echo", "--port=8080");
    await kubectlOk("rollout", "status", "deployment/echo", "--timeout=60s");
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "echo-local" },
      spec: {
        type: "NodePort",
        externalTrafficPolicy: "Local",
        selector: { app: "echo" },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    };
    const applied = await kubectlInput(JSON.stringify(svc), "apply", "-f", "-");
    expect(applied.stdout).toBe("service/echo-local created\n");
    const nodePort = (
      await kubectlOk("get", "svc", "echo-local", "-o", "jsonpath={.spec.ports[0].nodePort}")
    ).trim();
    const host = (
      await kubectlOk("get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[0].spec.nodeName}")
    ).trim();
    const local = Number(host.split("-")[1]);
    const other = [1, 2, 3].find((n) => n !== local)!;
    let answer = "";
    await eventually(async () => {
      const r = await curl(`http://127.0.1.${local}:${nodePort}/`, ["-H", "Accept: application/json"]);
      answer = r.stdout;
      return r.code === 0 && answer.startsWith("{");
    });
    const j = JSON.parse(answer);
    // The client address is preserved: curl's own loopback address, not the node's 127.0.1.N.
    expect(j.clientIP).toBe("127.0.0.1");
    expect(j.node).toBe(host);
    const dropped = await curl(`http://127.0.1.${other}:${nodePort}/`, ["--max-time", "1"]);
    expect(dropped.code).toBe(28); // curl: operation timed out
  });

  it("walkthrough: deleting a pod takes it out of the rules while a curl loop keeps succeeding", async () => {
    await kubectlOk("patch", "svc", "linuxea", "-p", '{"spec":{"sessionAffinity":"None"}}');
    const victim = (
      await kubectlOk("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[0].metadata.name}")
    ).trim();
    let failures = 0;
    let ok = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await curl("http://127.0.1.3:31180/linuxea.html");
        if (r.code === 0 && r.stdout.includes("version number")) ok++;
        else failures++;
      }
    })();
    // A 5 s grace period (30 s by default): the pod keeps serving through it, as a well-behaved server does.
    const del = await kubectl("delete", "pod", victim, "--wait=true", "--grace-period=5");
    expect(del.stdout).toBe(`pod "${victim}" deleted\n`);
    // The DaemonSet replaces it, and the endpoints and every node's rules follow.
    await kubectlOk("rollout", "status", "daemonset/nginx-linuxea", "--timeout=60s");
    await eventually(
      async () =>
        !(await kubectlOk("get", "endpoints", "linuxea", "-o", "jsonpath={.subsets}")).includes(victim),
    );
    const after = new Set<string>();
    await eventually(async () => {
      const r = await curl("http://127.0.1.1:31180/linuxea.html");
      if (r.code === 0) after.add(podOf(r.stdout));
      return after.size === 3;
    });
    stop = true;
    await loop;
    expect(after.has(victim)).toBe(false);
    expect(ok).toBeGreaterThan(0);
    expect(failures).toBe(0);
  });

  it("walkthrough: kemu status and kemu top show every node's proxy synced and the traffic per endpoint", async () => {
    // Each node's sync machine settles in "synced" (a change just before leaves it "pending" for
    // up to minSyncPeriod).
    await retrying(
      async () => {
        const status = await run(process.execPath, [KEMU, "status", "--state-dir", stateDir]);
        expect(status.code).toBe(0);
        for (const n of [1, 2, 3]) {
          expect(status.stdout).toMatch(
            new RegExp(
              `^node-${n}\\s+Ready\\s+127\\.0\\.1\\.${n}\\s+iptables\\s+synced\\s+false\\s+\\d+`,
              "m",
            ),
          );
        }
      },
      30_000,
      200,
    );
    let stop = false;
    const loop = (async () => {
      while (!stop) await curl("http://127.0.1.1:31180/linuxea.html");
    })();
    const top = await run(process.execPath, [
      KEMU,
      "top",
      "--once",
      "--interval",
      "1",
      "--state-dir",
      stateDir,
    ]);
    stop = true;
    await loop;
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^node-1\s+Ready\s+127\.0\.1\.1\s+iptables\s+synced\s+no\s+\d+\s+[1-9]/m);
    const linuxea = top.stdout.split("\n").filter((l) => l.startsWith("default/linuxea:"));
    expect(linuxea.length).toBeGreaterThanOrEqual(3);
    // Traffic entered through node-1, so that column carries the rate.
    expect(linuxea.some((l) => /\s[1-9][\d.]*\s+[\d.]+\s+[\d.]+$/.test(l))).toBe(true);
  });

  it("walkthrough: kemu curl reaches the ClusterIP and Service names (through the cluster DNS) from inside a pod", async () => {
    const pod = (
      await kubectlOk("get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[0].metadata.name}")
    ).trim();
    for (const url of [
      "http://10.96.66.66/linuxea.html",
      "http://linuxea.default.svc.cluster.local/linuxea.html",
      // Short names go through kube-dns with the pod's search path.
      "http://linuxea/linuxea.html",
      "http://linuxea.default/linuxea.html",
    ]) {
      const r = await run(process.execPath, [
        KEMU,
        "curl",
        "--state-dir",
        stateDir,
        "--pod",
        `default/${pod}`,
        url,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^linuxea-nginx-linuxea-[a-z0-9]{5}\.com ▍ /);
    }
    const refused = await run(process.execPath, [
      KEMU,
      "curl",
      "--state-dir",
      stateDir,
      "--pod",
      pod,
      "http://10.96.65.65:6380/",
    ]);
    expect(refused.code).not.toBe(0);
  });

  it("walkthrough: the kubernetes Service reaches the API server from a pod (https://kubernetes.default, curl -k)", async () => {
    const ep = await kubectlOk(
      "get",
      "endpoints",
      "kubernetes",
      "-o",
      "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}",
    );
    expect(ep).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/);
    const pod = (
      await kubectlOk("get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[0].metadata.name}")
    ).trim();
    const curlIn = (...args: string[]) =>
      run(process.execPath, [KEMU, "curl", "--state-dir", stateDir, "--pod", `default/${pod}`, ...args]);
    const ok = await curlIn("-k", "https://kubernetes.default/version");
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).gitVersion).toMatch(/^v1\.32\./);
    // The cluster's CA is not the system's: without -k, curl's certificate error.
    const untrusted = await curlIn("https://10.96.0.1/version");
    expect(untrusted.code).toBe(60);
    expect(untrusted.stderr).toContain("SSL certificate problem");
  });
});
