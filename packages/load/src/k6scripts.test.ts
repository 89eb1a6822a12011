import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { HarnessInput, HarnessOutput } from "./k6-harness.ts";

const run = promisify(execFile);
const LOADTESTS = resolve(import.meta.dirname, "../../../loadtests");
const HARNESS = resolve(import.meta.dirname, "k6-harness.ts");
const TWO_NODES = "127.0.1.1:31180,127.0.1.2:31180";

let scratch: string | undefined;
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs a loadtests/ script under the harness (k6's modules stubbed) and returns what it did. */
async function k6(script: string, input: Partial<HarnessInput> & { env: Record<string, string> }) {
  const full: HarnessInput = { iterations: 0, ...input };
  const { stdout } = await run(process.execPath, [HARNESS, join(LOADTESTS, script), JSON.stringify(full)]);
  return JSON.parse(stdout) as HarnessOutput;
}

const echo = (pod: string, node: string) =>
  `pod=${pod} namespace=default node=${node} podIP=10.244.1.5 client=10.244.1.7:51234 image=kemu/echo:1 container=app method=GET path=/\n`;

describe("k6 scripts", () => {
  it("k6 scripts: every script is a syntactically valid ES module (node --check)", async () => {
    const files = (await readdir(LOADTESTS, { recursive: true })).filter((f) => f.endsWith(".js"));
    expect(files.sort()).toEqual([
      "lib/kemu.js",
      "nodeport-spread.js",
      "pod-churn.js",
      "session-affinity.js",
    ]);
    await Promise.all(files.map((f) => run(process.execPath, ["--check", join(LOADTESTS, f)])));
  });

  it("k6 scripts: nodeport-spread counts pods and builds a share threshold per named pod", async () => {
    const out = await k6("nodeport-spread.js", {
      env: { K6_TARGETS: TWO_NODES, K6_PODS: "web-a,web-b", K6_PATH: "/hello", K6_RUN_VUS: "4" },
      iterations: 4,
      responses: [
        { match: "127\\.0\\.1\\.1", status: 200, body: echo("web-a", "node-1") },
        { match: "127\\.0\\.1\\.2", status: 200, body: JSON.stringify({ pod: "web-b", node: "node-2" }) },
      ],
    });
    expect(out.options).toEqual({
      noConnectionReuse: true,
      scenarios: { spread: { executor: "constant-vus", vus: 4, duration: "30s" } },
      thresholds: {
        http_req_failed: ["rate<0.01"],
        pods_seen: ["max>=2"],
        "pod_share{pod:web-a}": ["rate>0.05"],
        "pod_share{pod:web-b}": ["rate>0.05"],
      },
    });
    // New connections go round the targets.
    expect(out.requests.map((r) => r.url)).toEqual([
      "http://127.0.1.2:31180/hello",
      "http://127.0.1.1:31180/hello",
      "http://127.0.1.2:31180/hello",
      "http://127.0.1.1:31180/hello",
    ]);
    const values = (metric: string, tags: Record<string, string> = {}) =>
      out.samples
        .filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v))
        .map((s) => s.value);
    expect(values("pod_share", { pod: "web-a" })).toEqual([0, 1, 0, 1]);
    expect(values("pod_share", { pod: "web-b" })).toEqual([1, 0, 1, 0]);
    expect(values("pods_seen")).toEqual([1, 2, 2, 2]);
    expect(values("pod_requests", { pod: "web-a", node: "node-1" })).toEqual([1, 1]);
    expect(out.checks.every((c) => c.ok)).toBe(true);
  });

  it("k6 scripts: nodeport-spread with K6_KEEPALIVE=1 keeps one target per VU and expects it to stick", async () => {
    const out = await k6("nodeport-spread.js", {
      env: { K6_TARGETS: TWO_NODES, K6_KEEPALIVE: "1", K6_EXPECT_PODS: "3" },
      vu: 2,
      iterations: 3,
      responses: [{ match: ".", status: 200, body: echo("web-a", "node-1") }],
    });
    expect(out.options).toMatchObject({
      noConnectionReuse: false,
      scenarios: { spread_keepalive: { executor: "constant-vus" } },
      thresholds: { pods_seen: ["max>=3"], same_pod_as_first: ["rate==1"] },
    });
    expect(new Set(out.requests.map((r) => r.url))).toEqual(new Set(["http://127.0.1.2:31180/"]));
    expect(out.samples.filter((s) => s.metric === "same_pod_as_first").map((s) => s.value)).toEqual([
      1, 1, 1,
    ]);
  });

  it("k6 scripts: session-affinity never reuses connections and rates responses on the VU's first pod", async () => {
    const out = await k6("session-affinity.js", {
      env: { K6_TARGETS: TWO_NODES, K6_RUN_VUS: "4", K6_RUN_ITERATIONS: "5" },
      vu: 3,
      iterations: 2,
      responses: [
        { match: "127\\.0\\.1\\.1", status: 200, body: echo("web-a", "node-1") },
        { match: "127\\.0\\.1\\.2", status: 503, body: "kemu: not ready\n" },
      ],
    });
    expect(out.options).toEqual({
      noConnectionReuse: true,
      scenarios: { affinity: { executor: "per-vu-iterations", vus: 4, iterations: 5, maxDuration: "5m" } },
      thresholds: { http_req_failed: ["rate<0.01"], same_pod_as_first: ["rate==1"] },
    });
    // VU 3 of two targets keeps to the first: affinity is per node.
    expect(out.requests.map((r) => r.url)).toEqual(["http://127.0.1.1:31180/", "http://127.0.1.1:31180/"]);
    expect(out.samples.filter((s) => s.metric === "same_pod_as_first").map((s) => s.value)).toEqual([1, 1]);
  });

  it("k6 scripts: pod-churn without an API server only sends traffic, judged on kind:traffic", async () => {
    const out = await k6("pod-churn.js", {
      env: { K6_TARGETS: TWO_NODES, K6_RATE: "20" },
      exec: "traffic",
      iterations: 2,
      responses: [{ match: ".", status: 200, body: echo("web-a", "node-1") }],
    });
    expect(out.exports).toEqual(["churn", "options", "traffic"]);
    expect(out.options).toEqual({
      noConnectionReuse: true,
      scenarios: {
        traffic: {
          executor: "constant-arrival-rate",
          rate: 20,
          timeUnit: "1s",
          duration: "60s",
          preAllocatedVUs: 4,
          maxVUs: 100,
          exec: "traffic",
        },
      },
      thresholds: {
        "http_req_failed{kind:traffic}": ["rate<0.01"],
        "http_req_duration{kind:traffic}": ["p(95)<500"],
      },
    });
    expect(out.requests[0]!.params).toMatchObject({ tags: { kind: "traffic" } });
  });

  it("k6 scripts: pod-churn deletes a random Running pod through the API with the client certificate", async () => {
    scratch ??= await mkdtemp(join(tmpdir(), "kemu-k6-"));
    await writeFile(join(scratch, "admin.crt"), "-----BEGIN CERTIFICATE-----\n");
    await writeFile(join(scratch, "admin.key"), "-----BEGIN PRIVATE KEY-----\n");
    const pods = {
      items: [
        {
          metadata: { name: "web-a", deletionTimestamp: "2026-11-24T22:00:00Z" },
          status: { phase: "Running" },
        },
        { metadata: { name: "web-b" }, status: { phase: "Pending" } },
        { metadata: { name: "web-c" }, status: { phase: "Running" } },
      ],
    };
    const out = await k6("pod-churn.js", {
      env: {
        K6_TARGETS: TWO_NODES,
        K6_KUBE_API: "https://127.0.0.1:6443/",
        K6_SELECTOR: "app=web,tier in (front)",
        K6_NAMESPACE: "shop",
        K6_CHURN_EVERY: "3s",
        K6_KUBE_CERT: join(scratch, "admin.crt"),
        K6_KUBE_KEY: join(scratch, "admin.key"),
      },
      exec: "churn",
      iterations: 1,
      responses: [
        { match: "^GET .*/pods\\?", status: 200, body: JSON.stringify(pods) },
        { match: "^DELETE ", status: 200, body: "{}" },
      ],
    });
    expect(out.options).toMatchObject({
      insecureSkipTLSVerify: true,
      tlsAuth: [
        {
          domains: ["127.0.0.1"],
          cert: "-----BEGIN CERTIFICATE-----\n",
          key: "-----BEGIN PRIVATE KEY-----\n",
        },
      ],
      scenarios: {
        churn: { executor: "constant-arrival-rate", rate: 1, timeUnit: "3s", maxVUs: 1, exec: "churn" },
      },
      thresholds: { pods_deleted: ["count>0"] },
    });
    expect(out.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET https://127.0.0.1:6443/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier%20in%20(front)",
      "DELETE https://127.0.0.1:6443/api/v1/namespaces/shop/pods/web-c",
    ]);
    expect(out.requests[1]!.params).toMatchObject({ tags: { kind: "kube-api", name: "delete-pod" } });
    expect(out.samples).toEqual([{ metric: "pods_deleted", type: "counter", value: 1, tags: {} }]);
    expect(out.logs).toEqual(["log: deleted shop/web-c"]);
  });

  it("k6 scripts: a missing K6_TARGETS stops the script in its init context", async () => {
    await expect(k6("session-affinity.js", { env: {} })).rejects.toThrow(/set K6_TARGETS=host:port/);
  });
});
