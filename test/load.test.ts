/**
 * `kemu load` (the Node twin of loadtests/'s k6 scripts) against `kemu up --nodes 3`, as real
 * processes: new connections spread over every pod and node, ClientIP affinity holds per client,
 * and the pod-churn scenario: a constant arrival rate while a pod is deleted every 2 s through the
 * API, with pods that keep serving through their grace period: not one request may fail.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "@kemu/load";
import { ROOT, run, type RunResult } from "./harness.ts";

const KEMU = join(ROOT, "packages/cli/bin/kemu.js");
let stateDir: string;
let kubeconfig: string;
let nodePort: number;

function kubectl(input: string | undefined, ...args: string[]): Promise<RunResult> {
  return run("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(stateDir, "kube-cache"), ...args], {
    ...(input !== undefined ? { input } : {}),
  });
}

async function kubectlOk(...args: string[]): Promise<string> {
  const r = await kubectl(undefined, ...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Runs `kemu load <args> --json` and returns its exit code, report and progress output. */
async function load(...args: string[]): Promise<{ code: number; report: LoadReport; stderr: string }> {
  const r = await run(process.execPath, [KEMU, "load", ...args, "--json", "--kubeconfig", kubeconfig], {
    timeoutMs: 120_000,
  });
  let report: LoadReport;
  try {
    report = JSON.parse(r.stdout) as LoadReport;
  } catch {
    throw new Error(`kemu load ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

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
      terminationGracePeriodSeconds: 8
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

const nodes = () => [1, 2, 3].map((n) => `127.0.1.${n}:${nodePort}`).join(",");

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "kemu-load-"));
  kubeconfig = join(stateDir, "kubeconfig");
  const up = await run(
    process.execPath,
    [KEMU, "up", "--nodes", "3", "--detach", "--state-dir", stateDir, "--api-port", "0", "--dns-port", "0"],
    { timeoutMs: 180_000 },
  );
  if (up.code !== 0) throw new Error(`kemu up failed: ${up.stdout}${up.stderr}`);
  const applied = await kubectl(WEB, "apply", "-f", "-");
  if (applied.code !== 0) throw new Error(applied.stderr);
  await kubectlOk("rollout", "status", "deployment/web", "--timeout=60s");
  nodePort = Number(await kubectlOk("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"));
}, 240_000);

afterAll(async () => {
  if (stateDir) {
    await run(process.execPath, [KEMU, "down", "--state-dir", stateDir], { timeoutMs: 60_000 });
    await rm(stateDir, { recursive: true, force: true });
  }
}, 90_000);

describe("kemu load on kemu up", () => {
  it("load: nodeport-spread reaches every pod on every node with new connections", async () => {
    const { code, report } = await load(
      "nodeport-spread",
      "--targets",
      nodes(),
      "--vus",
      "8",
      "--duration",
      "3s",
      "--expect-pods",
      "4",
    );
    expect(report.failed).toBe(0);
    expect(report.requests).toBeGreaterThan(100);
    expect(report.pods.map((p) => p.name).filter((n) => n.startsWith("web-"))).toHaveLength(4);
    expect(new Set(report.pods.map((p) => p.node)).size).toBeGreaterThanOrEqual(2);
    expect(report.perTarget).toHaveLength(3);
    expect(code).toBe(0);
  });

  it("load: session-affinity keeps each client (source address) on one pod under ClientIP", async () => {
    await kubectlOk("patch", "svc", "web", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}');
    try {
      // Affinity is per node: one node as the target, six clients on six source addresses.
      let res: Awaited<ReturnType<typeof load>> | undefined;
      for (let attempt = 0; attempt < 20; attempt++) {
        res = await load(
          "session-affinity",
          "--targets",
          `127.0.1.1:${nodePort}`,
          "--local-ips",
          "127.0.0.2-127.0.0.7",
          "--vus",
          "6",
          "--iterations",
          "10",
        );
        // The node's rules follow the patch within a sync; until then clients may wander.
        if (res.code === 0) break;
      }
      expect(res!.report.failed).toBe(0);
      expect(res!.report.clients).toHaveLength(6);
      expect(res!.report.stickyClients.rate).toBe(1);
      expect(res!.code).toBe(0);
    } finally {
      await kubectlOk("patch", "svc", "web", "-p", '{"spec":{"sessionAffinity":"None"}}');
    }
  });

  it("load: pod-churn, 0 failed requests out of more than 5,000 while a pod is deleted every 2 s", async () => {
    const before = new Set(
      (await kubectlOk("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}")).split(
        " ",
      ),
    );
    const { code, report, stderr } = await load(
      "pod-churn",
      "--targets",
      nodes(),
      "--rate",
      "250",
      "--duration",
      "22s",
      "--churn-every",
      "2s",
      "--selector",
      "app=web",
    );
    expect(report.requests).toBeGreaterThanOrEqual(5000);
    expect(report.errors).toEqual(Object.fromEntries(Object.keys(report.errors).map((k) => [k, 0])));
    expect(report.failed).toBe(0);
    expect(report.droppedIterations).toBe(0);
    // A pod really was deleted every 2 s, and replacements served traffic.
    const deleted = report.chaos.filter((c) => c.result?.startsWith("deleted default/web-"));
    expect(deleted.length).toBeGreaterThanOrEqual(9);
    expect(report.chaos.filter((c) => c.error)).toEqual([]);
    expect(report.pods.some((p) => !before.has(p.name))).toBe(true);
    // Progress went to stderr while it ran.
    expect(stderr.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(10);
    expect(code).toBe(0);
  }, 120_000);

  it("load: pod-churn with pods that stop at once (KEMU_SHUTDOWN=immediate) does see failures, and exits 99", async () => {
    // The control for the test above: the same churn, but each pod closes its sockets on SIGTERM,
    // before every node's kube-proxy has dropped it: the requests in that window are reset.
    await kubectlOk("set", "env", "deployment/web", "KEMU_SHUTDOWN=immediate");
    await kubectlOk("rollout", "status", "deployment/web", "--timeout=60s");
    const { code, report } = await load(
      "pod-churn",
      "--targets",
      nodes(),
      "--rate",
      "250",
      "--duration",
      "12s",
      "--churn-every",
      "2s",
      "--selector",
      "app=web",
    );
    expect(report.failed).toBeGreaterThan(0);
    expect(report.errors.ECONNRESET + report.errors.ECONNREFUSED).toBeGreaterThan(0);
    expect(code).toBe(99);
  }, 120_000);
});
