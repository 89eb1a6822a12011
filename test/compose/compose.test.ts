/**
 * End to end on `docker compose` (run by `npm run test:compose`; needs `prepare.sh --docker`):
 * the cluster as containers, one per node, on the kernel fabric. kubectl runs on the host against
 * the published API; curl and dig run inside the node containers, as on real nodes; the curl loop
 * goes through the edge on 127.0.0.1. Then chaos: a node container killed, the control plane and
 * NATS restarted, and `down -v` leaving nothing behind.
 *
 * The project is `kemu-e2e` with its own state directory and API port, so it does not touch a
 * developer's own `docker compose up` in the clone. NodePort 31180 is the walkthrough's.
 */
import { chown, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "@kemu/load";
import { eventually, fixture, retrying, ROOT, run, type RunResult } from "../harness.ts";

const PROJECT = "kemu-e2e";

/** An echo Deployment behind a NodePort the API server allocates, for the load scenario. */
const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 6
      containers:
      - name: app
        image: kemu/echo:1
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;
let stateDir: string;
let kubeconfig: string;
let apiPort: number;

function compose(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return run("docker", ["compose", "-p", PROJECT, "-f", join(ROOT, "compose.yaml"), ...args], {
    env: { KEMU_STATE_DIR: stateDir, KEMU_API_PORT: String(apiPort), DOCKER_BUILDKIT: "0" },
    timeoutMs,
  });
}

async function composeOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await compose(args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker compose ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs a command inside a node container (`docker compose exec -T node-1 ...`). */
function exec(service: string, ...cmd: string[]): Promise<RunResult> {
  return compose(["exec", "-T", service, ...cmd], 30_000);
}

function kubectl(...args: string[]): Promise<RunResult> {
  return run("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), ...args]);
}

async function kubectlOk(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** One request on a fresh connection from the host, through the edge. */
function curlEdge(path = "/linuxea.html"): Promise<RunResult> {
  return run("curl", ["-s", "--max-time", "3", `http://127.0.0.1:31180${path}`]);
}

/** The pod an nginx answer names: `linuxea-<pod>.com ▍ <id> ▍version number 1.0`. */
function podOf(answer: string): string {
  const m = /^linuxea-(\S+)\.com ▍/.exec(answer.trim());
  if (!m) throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
  return m[1]!;
}

/** A TCP port on 127.0.0.1 that the kernel says is free now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** name -> node of the nginx pods, from kubectl. */
async function nginxPods(): Promise<Map<string, string>> {
  const out = await kubectlOk(
    "get",
    "pods",
    "-l",
    "app=nginx",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{"\\n"}{end}',
  );
  return new Map(
    out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [name, node] = l.split(" ");
        return [name!, node!];
      }),
  );
}

/** uid of every object the store holds that a restart must keep. */
async function inventory(): Promise<string[]> {
  const kinds = "nodes,namespaces,pods,services,endpoints,deployments,replicasets,daemonsets,configmaps";
  const out = await kubectlOk(
    "get",
    kinds,
    "-A",
    "-o",
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}/{.metadata.uid}{"\\n"}{end}',
  );
  return out.trim().split("\n").sort();
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "kemu-compose-"));
  // As a user's clone would be: the bind-mounted directory belongs to someone other than root.
  if (process.getuid?.() === 0) await chown(stateDir, 1000, 1000);
  kubeconfig = join(stateDir, "kubeconfig");
  apiPort = await freePort();
  // Leftovers of an interrupted run would make this one lie.
  await compose(["down", "-v", "--remove-orphans"], 120_000);
  // The README's quick start: one command, nothing before it (it builds the image if needed).
  await composeOk(["up", "-d", "--build"], 900_000);
}, 960_000);

afterAll(async () => {
  if (!stateDir) return;
  const logs = await compose(["logs", "--no-color", "--tail", "40"], 60_000);
  if (process.env["KEMU_E2E_LOGS"]) process.stderr.write(logs.stdout);
  await compose(["down", "-v", "--remove-orphans"], 180_000);
  await rm(stateDir, { recursive: true, force: true });
}, 240_000);

describe("docker compose: the walkthrough with kubectl on the host, curl and dig in the node containers", () => {
  it("compose: up -d gives three Ready nodes, each at its container's own address", async () => {
    await eventually(
      async () => {
        const r = await kubectl("get", "nodes");
        return r.code === 0 && (r.stdout.match(/\sReady\s/g) ?? []).length === 3;
      },
      { what: "three Ready nodes", timeoutMs: 120_000, intervalMs: 500 },
    );
    const kc = await readFile(kubeconfig, "utf8");
    expect(kc).toContain(`server: https://127.0.0.1:${apiPort}`);
    // Written by root in the container, handed to the directory's owner, so they can read it.
    const owner = (await stat(stateDir)).uid;
    expect((await stat(kubeconfig)).uid).toBe(owner);
    expect((await stat(join(stateDir, "pki", "ca.crt"))).uid).toBe(owner);
    const wide = await kubectlOk("get", "nodes", "-o", "wide");
    for (const n of [1, 2, 3]) {
      const ip = (await exec(`node-${n}`, "hostname", "-i")).stdout.trim().split(" ")[0]!;
      expect(wide).toMatch(
        new RegExp(
          `^node-${n}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-kemu\\s+${ip.replace(/\./g, "\\.")}\\s`,
          "m",
        ),
      );
    }
  });

  it("compose: the kubernetes Service points at the control plane's container and answers on 10.96.0.1:443", async () => {
    const cpIP = (await exec("control-plane", "hostname", "-i")).stdout.trim().split(" ")[0]!;
    expect(
      await kubectlOk(
        "get",
        "endpoints",
        "kubernetes",
        "-o",
        "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}",
      ),
    ).toBe(`${cpIP}:6443`);
    await eventually(async () => {
      const r = await exec("node-2", "curl", "-sk", "--max-time", "2", "https://10.96.0.1/version");
      return r.code === 0 && /"gitVersion": ?"v1\.32\./.test(r.stdout);
    });
  });

  it("compose: steps 1-3, redis behind ClusterIP 10.96.65.65, reached from a node container", async () => {
    expect(await kubectlOk("apply", "-f", fixture("redis.yaml"))).toBe("deployment.apps/redis created\n");
    await kubectlOk("rollout", "status", "deployment/redis", "--timeout=90s");
    expect(await kubectlOk("get", "pods", "-o", "wide", "-l", "app=redis")).toMatch(
      /^redis-[a-z0-9]{8,10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.[1-3]\.\d+\s+node-[1-3]\s/m,
    );
    expect(await kubectlOk("apply", "-f", fixture("svc-redis.yaml"))).toBe("service/redis created\n");
    const svc = await kubectlOk("get", "svc");
    expect(svc).toMatch(/^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s/m);
    expect(svc).toMatch(/^redis\s+ClusterIP\s+10\.96\.65\.65\s+<none>\s+6379\/TCP\s/m);
    const ip = (
      await kubectlOk("get", "pods", "-l", "app=redis", "-o", "jsonpath={.items[0].status.podIP}")
    ).trim();
    await eventually(async () =>
      new RegExp(`^Endpoints:\\s+${ip.replace(/\./g, "\\.")}:6379$`, "m").test(
        await kubectlOk("describe", "svc", "redis"),
      ),
    );
    // Every node reaches the ClusterIP: real TCP to 10.96.65.65 on the container's lo, through
    // that node's kube-proxy, to the pod's IP, routed to whichever container runs it.
    for (const n of [1, 2, 3]) {
      await eventually(async () => {
        const r = await exec(
          `node-${n}`,
          "sh",
          "-c",
          'printf "PING\\r\\n" | curl -s --max-time 2 telnet://10.96.65.65:6379',
        );
        return r.stdout.includes("+PONG");
      });
    }
  });

  it("compose: steps 4-6, one nginx pod per node; curl in a node container and a curl loop through the edge reach all three", async () => {
    expect(await kubectlOk("apply", "-f", fixture("nginx.yaml"))).toBe(
      "daemonset.apps/nginx-linuxea created\n",
    );
    await kubectlOk("rollout", "status", "daemonset/nginx-linuxea", "--timeout=90s");
    const pods = await nginxPods();
    expect(new Set(pods.values())).toEqual(new Set(["node-1", "node-2", "node-3"]));
    const labels = await kubectlOk("get", "pods", "--show-labels", "-l", "app=nginx");
    expect(labels).toMatch(
      /app=nginx,controller-revision-hash=[a-z0-9]+,pod-template-generation=1,release=www/,
    );
    expect(await kubectlOk("apply", "-f", fixture("linuxea.yaml"))).toBe("service/linuxea created\n");
    expect(await kubectlOk("get", "svc", "linuxea")).toMatch(
      /^linuxea\s+NodePort\s+10\.96\.66\.66\s+<none>\s+80:31180\/TCP\s/m,
    );
    // As on a real node: `curl 10.96.66.66` inside node-1.
    await eventually(async () => {
      const r = await exec("node-1", "curl", "-s", "--max-time", "2", "http://10.96.66.66/linuxea.html");
      return pods.has(podOf(r.stdout));
    });
    // The article's loop, from outside: the edge spreads over the nodes, each node over the pods.
    const seen = new Set<string>();
    await eventually(
      async () => {
        const r = await curlEdge();
        if (r.code === 0 && r.stdout) seen.add(podOf(r.stdout));
        return seen.size === 3;
      },
      { what: "answers from the nginx pods on all three nodes", timeoutMs: 60_000, intervalMs: 10 },
    );
    expect([...seen].sort()).toEqual([...pods.keys()].sort());
    // And the article's own loop, to one node's IP at the NodePort, reaches all three as well.
    const nodeIP = (await exec("node-1", "hostname", "-i")).stdout.trim().split(" ")[0]!;
    const direct = new Set<string>();
    await eventually(
      async () => {
        const r = await run("curl", ["-s", "--max-time", "3", `http://${nodeIP}:31180/linuxea.html`]);
        if (r.code === 0 && r.stdout) direct.add(podOf(r.stdout));
        return direct.size === 3;
      },
      { what: "answers from all three pods through node-1's NodePort", timeoutMs: 60_000, intervalMs: 10 },
    );
  });

  it("compose: step 7, ClientIP affinity keeps the article's loop to a node IP on one pod", async () => {
    expect(await kubectlOk("patch", "svc", "linuxea", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')).toBe(
      "service/linuxea patched\n",
    );
    const d = await kubectlOk("describe", "svc", "linuxea");
    expect(d).toMatch(/^Session Affinity:\s+ClientIP$/m);
    expect(d).toMatch(/^External Traffic Policy:\s+Cluster$/m);
    expect(d).toMatch(/^NodePort:\s+<unset>\s+31180\/TCP$/m);
    // The article's loop: `curl <node IP>:31180` from outside the cluster. The host reaches the
    // node containers' addresses directly (Docker's bridge), as a machine on the node network.
    const nodeIP = (await exec("node-2", "hostname", "-i")).stdout.trim().split(" ")[0]!;
    const url = `http://${nodeIP}:31180/linuxea.html`;
    await eventually(async () => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => run("curl", ["-s", "--max-time", "2", url])),
      );
      return new Set(answers.map((a) => podOf(a.stdout))).size === 1;
    });
    const loop: string[] = [];
    for (let i = 0; i < 12; i++) loop.push(podOf((await run("curl", ["-s", "--max-time", "2", url])).stdout));
    expect(new Set(loop).size).toBe(1);
    await kubectlOk("patch", "svc", "linuxea", "-p", '{"spec":{"sessionAffinity":"None"}}');
  });

  it("compose: step 8, dig @10.96.0.10 in a node container answers the headless Service with the three pod IPs", async () => {
    expect(await kubectlOk("apply", "-f", fixture("none-linuxea.yaml"))).toBe(
      "service/none-linuxea created\n",
    );
    expect(await kubectlOk("get", "svc", "none-linuxea")).toMatch(
      /^none-linuxea\s+ClusterIP\s+None\s+<none>\s+80\/TCP\s/m,
    );
    const podIPs = (
      await kubectlOk("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[*].status.podIP}")
    )
      .trim()
      .split(" ")
      .sort();
    let answer = "";
    await eventually(async () => {
      const r = await exec(
        "node-3",
        "dig",
        "-t",
        "A",
        "none-linuxea.default.svc.cluster.local.",
        "@10.96.0.10",
      );
      answer = r.stdout;
      return /status: NOERROR/.test(answer) && /ANSWER: 3,/.test(answer);
    });
    expect(answer).toMatch(/;; flags: qr aa rd( ra)?;/);
    const records = [
      ...answer.matchAll(/^none-linuxea\.default\.svc\.cluster\.local\.\s+(\d+)\s+IN\s+A\s+(\S+)$/gm),
    ];
    expect(records.map((m) => m[1])).toEqual(["5", "5", "5"]);
    expect(records.map((m) => m[2]).sort()).toEqual(podIPs);
    const clusterIP = await exec(
      "node-1",
      "dig",
      "+short",
      "linuxea.default.svc.cluster.local",
      "@10.96.0.10",
    );
    expect(clusterIP.stdout.trim()).toBe("10.96.66.66");
    const tcp = await exec(
      "node-2",
      "dig",
      "+tcp",
      "+short",
      "redis.default.svc.cluster.local",
      "@10.96.0.10",
    );
    expect(tcp.stdout.trim()).toBe("10.96.65.65");
  });
});

describe("docker compose: step 10, a LoadBalancer Service", () => {
  it("compose: a LoadBalancer Service gets an EXTERNAL-IP on the compose network that the host reaches", async () => {
    const lb = `apiVersion: v1
kind: Service
metadata: {name: linuxea-lb}
spec:
  type: LoadBalancer
  selector: {app: nginx, release: www}
  ports: [{port: 80, targetPort: 80}]
`;
    const applied = await run(
      "kubectl",
      ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), "apply", "-f", "-"],
      { input: lb },
    );
    expect(applied.stdout).toBe("service/linuxea-lb created\n");
    let ip = "";
    await eventually(async () => {
      ip = (
        await kubectlOk("get", "svc", "linuxea-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
      ).trim();
      return ip !== "";
    });
    // From the top /28 of the network the containers share.
    const edgeIP = (await exec("edge", "hostname", "-i")).stdout.trim().split(" ")[0]!;
    expect(ip.split(".").slice(0, 1)).toEqual(edgeIP.split(".").slice(0, 1));
    expect(Number(ip.split(".")[3]) & 0xf0).toBe(0xf0);
    expect(await kubectlOk("get", "svc", "linuxea-lb")).toMatch(
      new RegExp(
        `^linuxea-lb\\s+LoadBalancer\\s+10\\.\\d+\\.\\d+\\.\\d+\\s+${ip.replace(/\./g, "\\.")}\\s+80:31\\d{3}/TCP\\s`,
        "m",
      ),
    );
    const pods = await nginxPods();
    await eventually(async () => {
      const r = await run("curl", ["-s", "--max-time", "2", `http://${ip}/linuxea.html`]);
      return r.code === 0 && pods.has(podOf(r.stdout));
    });
    await kubectlOk("delete", "svc", "linuxea-lb");
  });
});

describe("docker compose: kemu's own views, inside the containers", () => {
  it("compose: kemu status, kemu top and kemu curl --pod work through docker compose exec", async () => {
    // Each node's sync machine settles in "synced" (a change just before leaves it "pending" for
    // up to minSyncPeriod).
    await retrying(
      async () => {
        const status = await exec("control-plane", "kemu", "status");
        expect(status.code, status.stderr).toBe(0);
        for (const n of [1, 2, 3]) {
          expect(status.stdout).toMatch(
            new RegExp(
              `^node-${n}\\s+Ready\\s+\\d+\\.\\d+\\.\\d+\\.\\d+\\s+iptables\\s+synced\\s+false\\s+\\d+`,
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
      while (!stop) await curlEdge();
    })();
    const top = await exec("control-plane", "kemu", "top", "--once", "--interval", "1");
    stop = true;
    await loop;
    expect(top.code, top.stderr).toBe(0);
    expect(
      top.stdout.split("\n").filter((l) => l.startsWith("default/linuxea:")).length,
    ).toBeGreaterThanOrEqual(3);
    const pod = (
      await kubectlOk("get", "pods", "-l", "app=redis", "-o", "jsonpath={.items[0].metadata.name}")
    ).trim();
    const viaName = await exec(
      "control-plane",
      "kemu",
      "curl",
      "--pod",
      `default/${pod}`,
      "http://linuxea/linuxea.html",
    );
    expect(viaName.code, viaName.stderr).toBe(0);
    expect(viaName.stdout).toMatch(/^linuxea-nginx-linuxea-\S+\.com ▍/);
  });
});

describe("docker compose: load", () => {
  it("compose: kemu load pod-churn through the edge, 0 failures while a pod is deleted every 2 s", async () => {
    const applied = await run(
      "kubectl",
      ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), "apply", "-f", "-"],
      { input: WEB },
    );
    expect(applied.code, applied.stderr).toBe(0);
    await kubectlOk("rollout", "status", "deployment/web", "--timeout=90s");
    const nodePort = (
      await kubectlOk("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")
    ).trim();
    // Allocated from KEMU_NODEPORTS, so the edge publishes it on the host.
    expect(Number(nodePort)).toBeGreaterThanOrEqual(31100);
    expect(Number(nodePort)).toBeLessThanOrEqual(31199);
    await eventually(
      async () => (await run("curl", ["-sf", "--max-time", "2", `http://127.0.0.1:${nodePort}/`])).code === 0,
    );
    const r = await run(
      process.execPath,
      [
        join(ROOT, "packages/cli/bin/kemu.js"),
        "load",
        "pod-churn",
        "--targets",
        `127.0.0.1:${nodePort}`,
        "--rate",
        "100",
        "--duration",
        "12s",
        "--churn-every",
        "2s",
        "--selector",
        "app=web",
        "--kubeconfig",
        kubeconfig,
        "--json",
      ],
      { timeoutMs: 120_000 },
    );
    const report = JSON.parse(r.stdout) as LoadReport;
    expect(report.requests).toBeGreaterThanOrEqual(1100);
    expect(report.failed).toBe(0);
    expect(
      report.chaos.filter((c) => c.result?.startsWith("deleted default/web-")).length,
    ).toBeGreaterThanOrEqual(5);
    // Requests landed on pods on every node: real traffic between the containers.
    expect(new Set(report.pods.map((p) => p.node))).toEqual(new Set(["node-1", "node-2", "node-3"]));
    expect(r.code).toBe(0);
  });
});

describe("docker compose: chaos", () => {
  it("compose: kill node-2: it goes NotReady, its pod leaves the other nodes' rules, and the loop keeps flowing", async () => {
    const pods = await nginxPods();
    const onNode2 = [...pods].find(([, node]) => node === "node-2")![0];
    await composeOk(["kill", "node-2"]);
    try {
      await eventually(async () => /^node-2\s+NotReady\s/m.test(await kubectlOk("get", "nodes")), {
        what: "node-2 NotReady",
        timeoutMs: 120_000,
        intervalMs: 1000,
      });
      // Its pod is no longer ready, so every other node's kube-proxy drops it: the headless answer
      // (the cluster DNS follows the same EndpointSlices) and fresh connections both show it.
      await retrying(
        async () => {
          const r = await exec(
            "node-1",
            "dig",
            "+short",
            "+time=2",
            "+tries=1",
            "none-linuxea.default.svc.cluster.local",
            "@10.96.0.10",
          );
          expect(r.stdout.trim().split("\n").filter(Boolean)).toHaveLength(2);
        },
        60_000,
        500,
      );
      const landed = new Map<string, number>();
      await retrying(async () => {
        landed.clear();
        const failures: string[] = [];
        for (let i = 0; i < 30; i++) {
          const r = await curlEdge();
          if (r.code !== 0 || !r.stdout) failures.push(`curl exit ${r.code}`);
          else landed.set(podOf(r.stdout), (landed.get(podOf(r.stdout)) ?? 0) + 1);
        }
        expect(failures).toEqual([]);
      }, 60_000);
      expect(landed.has(onNode2)).toBe(false);
      expect(landed.size).toBe(2);
      for (const n of ["node-1", "node-3"]) {
        const r = await exec(
          n,
          "sh",
          "-c",
          "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s --max-time 2 http://10.96.66.66/linuxea.html; done",
        );
        const answered = r.stdout.trim().split("\n").map(podOf);
        expect(answered).toHaveLength(10);
        expect(answered).not.toContain(onNode2);
      }
    } finally {
      await composeOk(["start", "node-2"]);
    }
    await eventually(async () => /^node-2\s+Ready\s/m.test(await kubectlOk("get", "nodes")), {
      what: "node-2 Ready again",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  });

  it("compose: restart control-plane loses no object", async () => {
    const before = await inventory();
    expect(before.length).toBeGreaterThan(10);
    await composeOk(["restart", "control-plane"]);
    await eventually(async () => (await kubectl("get", "--raw", "/readyz")).code === 0, {
      what: "API server ready after restart",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(await inventory()).toEqual(before);
    // And the cluster still serves: a new Service is allocated and answered from the edge.
    await kubectlOk("patch", "svc", "linuxea", "-p", '{"metadata":{"labels":{"after":"restart"}}}');
    await eventually(async () => (await curlEdge()).code === 0);
  });

  it("compose: restart nats loses no object, and every component reconnects", async () => {
    const before = await inventory();
    await composeOk(["restart", "nats"]);
    await eventually(
      async () => {
        const r = await kubectl("get", "nodes");
        return r.code === 0 && (r.stdout.match(/\sReady\s/g) ?? []).length === 3;
      },
      { what: "API back with three Ready nodes", timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(await inventory()).toEqual(before);
    // Nodes and controllers follow changes again: scale redis and see it through a node.
    await kubectlOk("scale", "deployment/redis", "--replicas=2");
    await kubectlOk("rollout", "status", "deployment/redis", "--timeout=90s");
    await eventually(async () => {
      const r = await exec("node-1", "dig", "+short", "redis.default.svc.cluster.local", "@10.96.0.10");
      return r.stdout.trim() === "10.96.65.65";
    });
    await eventually(async () => (await curlEdge()).code === 0);
  });

  it("compose: a fourth node joins without editing the cluster, gets routes and a DaemonSet pod", async () => {
    await composeOk(["run", "-d", "--no-deps", "-e", "KEMU_NODE_NAME=node-4", "node-1"]);
    await eventually(async () => /^node-4\s+Ready\s/m.test(await kubectlOk("get", "nodes")), {
      what: "node-4 Ready",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await kubectlOk("rollout", "status", "daemonset/nginx-linuxea", "--timeout=90s");
    const pods = await nginxPods();
    const onNode4 = [...pods].find(([, node]) => node === "node-4")?.[0];
    expect(onNode4).toBeDefined();
    // Every other node routes node-4's pod CIDR to it, so the new pod is reached from node-1.
    await eventually(async () => {
      const r = await exec("node-1", "ip", "route", "show", "10.244.4.0/24");
      return /via \d+\.\d+\.\d+\.\d+/.test(r.stdout);
    });
    const ip = (await kubectlOk("get", "pod", onNode4!, "-o", "jsonpath={.status.podIP}")).trim();
    expect(ip).toMatch(/^10\.244\.4\.\d+$/);
    await eventually(async () => {
      const r = await exec("node-1", "curl", "-s", "--max-time", "2", `http://${ip}/linuxea.html`);
      return r.stdout.includes(`linuxea-${onNode4}.com`);
    });
  });

  it("compose: down -v removes every container, the network and the store volume", async () => {
    await composeOk(["down", "-v", "--remove-orphans"], 180_000);
    expect((await compose(["ps", "-q"])).stdout.trim()).toBe("");
    const containers = await run("docker", [
      "ps",
      "-aq",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    expect(containers.stdout.trim()).toBe("");
    const volumes = await run("docker", [
      "volume",
      "ls",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    expect(volumes.stdout.trim()).toBe("");
    const networks = await run("docker", [
      "network",
      "ls",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    expect(networks.stdout.trim()).toBe("");
  });
});
